import type { Registry } from '../registry.js';
import type { RouteSpec } from '../platform/http/route-table.js';
import { identityAdminRoutes } from './admin-routes.js';
import { identityFrontendRoutes } from './frontend-routes.js';

/** Identity plane routes: the admin API (project key) and the public frontend API, registered apart. */
export function identityRoutes(r: Registry): RouteSpec[] {
  return [...identityAdminRoutes(r), ...identityFrontendRoutes(r)];
}
