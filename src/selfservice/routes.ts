import type { Registry } from '../registry.js';
import type { RouteSpec } from '../platform/http/route-table.js';

export function selfServiceRoutes(_r: Registry): RouteSpec[] {
  return [];
}
