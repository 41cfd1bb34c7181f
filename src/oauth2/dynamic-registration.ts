import { Type } from '@sinclair/typebox';
import type { Registry } from '../registry.js';
import { defineRoute, type RouteSpec } from '../platform/http/route-table.js';
import { OAuth2Error } from './errors.js';

/**
 * OpenID Connect Dynamic Client Registration (OidcApi `*OidcDynamicClient`). Hydra serves these
 * routes only when `oidc.dynamic_client_registration.enabled` is set and answers a 404 otherwise;
 * Gatehouse never enables it (clients are created with the project key), so every call gets Hydra's
 * answer for the disabled feature: `herodot.ErrNotFound` with its reason, rendered in RFC 6749's shape
 * by Hydra's error enhancer (the routes are mounted in the OAuth2 scope). The discovery document
 * accordingly carries no `registration_endpoint`.
 */
export function dynamicRegistrationRoutes(_r: Registry): RouteSpec[] {
  const disabled = async () => {
    throw new OAuth2Error('The requested resource could not be found', 'Dynamic registration is not enabled.', 404);
  };
  const id = { params: Type.Object({ id: Type.String({ maxLength: 255 }) }) };
  const open = { plane: 'project', credential: 'none', bodyLimit: 64 * 1024 } as const;
  return [
    defineRoute({ method: 'POST', url: '/oauth2/register', ...open, operation: 'createOidcDynamicClient', handler: disabled }),
    defineRoute({ method: 'GET', url: '/oauth2/register/:id', ...open, schema: id, operation: 'getOidcDynamicClient', handler: disabled }),
    defineRoute({ method: 'PUT', url: '/oauth2/register/:id', ...open, schema: id, operation: 'setOidcDynamicClient', handler: disabled }),
    defineRoute({ method: 'DELETE', url: '/oauth2/register/:id', ...open, schema: id, operation: 'deleteOidcDynamicClient', handler: disabled }),
  ];
}
