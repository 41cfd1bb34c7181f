import type { Registry } from '../registry.js';
import type { RouteSpec } from '../platform/http/route-table.js';

export function permissionRoutes(_r: Registry): RouteSpec[] {
  return [];
}
