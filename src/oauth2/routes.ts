import type { Registry } from '../registry.js';
import type { RouteSpec } from '../platform/http/route-table.js';

export function oauth2Routes(_r: Registry): RouteSpec[] {
  return [];
}
