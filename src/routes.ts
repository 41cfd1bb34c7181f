import type { Registry } from './registry.js';
import type { RouteSpec } from './platform/http/route-table.js';
import { systemRoutes } from './system/routes.js';
import { tenancyRoutes } from './tenancy/routes.js';
import { unofferedManagementRoutes } from './tenancy/unoffered-routes.js';
import { keyRoutes } from './keys/routes.js';
import { identityRoutes } from './identity/routes.js';
import { selfServiceRoutes } from './selfservice/routes.js';
import { selfServiceAdminRoutes } from './selfservice/admin-routes.js';
import { disabledSelfServiceRoutes } from './selfservice/disabled-routes.js';
import { oauth2Routes } from './oauth2/routes.js';
import { dynamicRegistrationRoutes } from './oauth2/dynamic-registration.js';
import { permissionRoutes } from './permissions/routes.js';
import { consoleRoutes } from './console/routes.js';

/**
 * The one route table. Every route declares its plane and the credential it accepts; the
 * authorization matrix test is generated from this list, so a route missing here fails CI.
 */
export function allRoutes(r: Registry): RouteSpec[] {
  return [
    ...systemRoutes(r),
    ...tenancyRoutes(r),
    ...unofferedManagementRoutes(r),
    ...keyRoutes(r),
    ...identityRoutes(r),
    ...selfServiceRoutes(r),
    ...selfServiceAdminRoutes(r),
    ...disabledSelfServiceRoutes(r),
    ...oauth2Routes(r),
    ...dynamicRegistrationRoutes(r),
    ...permissionRoutes(r),
    ...consoleRoutes(r),
  ];
}
