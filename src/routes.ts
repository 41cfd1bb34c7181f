import type { Registry } from './registry.js';
import type { Plane, RouteSpec } from './platform/http/route-table.js';
import { systemRoutes } from './system/routes.js';
import { tenancyRoutes } from './tenancy/routes.js';
import { unofferedManagementRoutes } from './tenancy/unoffered-routes.js';
import { keyRoutes } from './keys/routes.js';
import { identityRoutes } from './identity/routes.js';
import { selfServiceRoutes } from './selfservice/routes.js';
import { selfServiceAdminRoutes } from './selfservice/admin-routes.js';
import { disabledSelfServiceRoutes } from './selfservice/disabled-routes.js';
import { oauth2ProtocolRoutes, oauth2Routes } from './oauth2/routes.js';
import { dynamicRegistrationRoutes } from './oauth2/dynamic-registration.js';
import { permissionRoutes } from './permissions/routes.js';
import { consoleRoutes } from './console/routes.js';
import { userKeyRoutes } from './user-keys/routes.js';
import { auditRoutes } from './audit/routes.js';
import { usageRoutes } from './usage/routes.js';

/**
 * The one route table. Every route declares its plane and the credential it accepts; the
 * authorization matrix test is generated from this list, so a route missing here fails CI.
 */
export function allRoutes(r: Registry): RouteSpec[] {
  const table = routeTable(r);
  return [...table.system, ...table.console, ...table.management, ...table.project, ...table.oauth2Protocol];
}

/** The route table by where each route is mounted: one plane plugin each, OAuth2's protocol scope apart. */
export type RouteTable = Record<Plane, RouteSpec[]> & { oauth2Protocol: RouteSpec[] };

export function routeTable(r: Registry): RouteTable {
  const table: RouteTable = { system: [], console: [], management: [], project: [], oauth2Protocol: [...oauth2ProtocolRoutes(r), ...dynamicRegistrationRoutes(r)] };
  for (const spec of planeRoutes(r)) table[spec.plane].push(spec);
  return table;
}

function planeRoutes(r: Registry): RouteSpec[] {
  return [
    ...systemRoutes(r),
    ...tenancyRoutes(r),
    ...unofferedManagementRoutes(r),
    ...keyRoutes(r),
    ...auditRoutes(r),
    ...usageRoutes(r),
    ...identityRoutes(r),
    ...selfServiceRoutes(r),
    ...selfServiceAdminRoutes(r),
    ...disabledSelfServiceRoutes(r),
    ...oauth2Routes(r),
    ...permissionRoutes(r),
    ...userKeyRoutes(r),
    ...consoleRoutes(r),
  ];
}

