import type { Registry } from '../registry.js';
import { defineRoute, type RouteSpec } from '../platform/http/route-table.js';
import { endpointDisabled } from '../platform/errors/errors.js';

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
    defineRoute({ method: 'GET', url: '/self-service/fed-cm/parameters', plane: 'project', credential: 'none', operation: 'createFedcmFlow', handler: disabled }),
    defineRoute({ method: 'POST', url: '/self-service/fed-cm/token', plane: 'project', credential: 'none', operation: 'updateFedcmFlow', bodyLimit: 64 * 1024, handler: disabled }),
    defineRoute({ method: 'DELETE', url: '/self-service/login/test', plane: 'project', credential: 'none', operation: 'deleteTestLoginFlow', handler: disabled }),
    defineRoute({ method: 'POST', url: '/admin/test-login-flows', plane: 'project', credential: 'project', scope: 'identities:write', operation: 'createTestLoginFlow', bodyLimit: 64 * 1024, handler: disabled }),
  ];
}
