import type { Registry } from '../registry.js';
import type { RouteSpec } from '../platform/http/route-table.js';

export function consoleRoutes(_r: Registry): RouteSpec[] {
  return [];
}
