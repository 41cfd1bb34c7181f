import type { FastifyInstance } from 'fastify';
import type { RouteSpec } from '../platform/http/route-table.js';
import { assertPlane, mountRoutes } from './mount.js';

/** Health, readiness, metrics and version, on every host, with no credential. */
export async function systemPlane(app: FastifyInstance, o: { routes: RouteSpec[] }): Promise<void> {
  assertPlane(o.routes, 'system');
  mountRoutes(app, o.routes, (spec) => {
    if (spec.credential !== 'none') throw new Error(`${spec.method} ${spec.url}: system routes take no credential`);
    return null;
  });
}
