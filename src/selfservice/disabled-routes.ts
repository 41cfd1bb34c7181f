import type { Registry } from '../registry.js';
import { defineRoute, type RouteSpec } from '../platform/http/route-table.js';
import { endpointDisabled } from '../platform/errors/errors.js';
import { flowConfig } from './config.js';
import { WEBAUTHN_JS } from './webauthn-script.js';

/**
 * Kratos endpoints of features Gatehouse does not offer (FedCM and the dry-run OIDC test
 * login flows all need social or device sign-in). They answer as Kratos does with the feature turned
 * off, a 404 in Ory's shape, instead of the router's "no route"; the admin one still needs the
 * project's key first, like every admin route.
 */
export function disabledSelfServiceRoutes(_r: Registry): RouteSpec[] {
  const disabled = async () => {
    throw endpointDisabled();
  };
  return [
    // The WebAuthn script is served while the project has security keys or passkeys switched on.
    defineRoute({
      method: 'GET', url: '/.well-known/ory/webauthn.js', plane: 'project', credential: 'none', operation: 'getWebAuthnJavaScript',
      handler: async (req, reply) => {
        const cfg = flowConfig(req.project);
        if (!cfg.webauthnEnabled && !cfg.passkeyEnabled) throw endpointDisabled();
        return reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(WEBAUTHN_JS);
      },
    }),
    defineRoute({ method: 'GET', url: '/self-service/fed-cm/parameters', plane: 'project', credential: 'none', operation: 'createFedcmFlow', handler: disabled }),
    defineRoute({ method: 'POST', url: '/self-service/fed-cm/token', plane: 'project', credential: 'none', operation: 'updateFedcmFlow', bodyLimit: 64 * 1024, handler: disabled }),
    defineRoute({ method: 'DELETE', url: '/self-service/login/test', plane: 'project', credential: 'none', operation: 'deleteTestLoginFlow', handler: disabled }),
    defineRoute({ method: 'POST', url: '/admin/test-login-flows', plane: 'project', credential: 'project', scope: 'identities:write', operation: 'createTestLoginFlow', bodyLimit: 64 * 1024, handler: disabled }),
  ];
}
