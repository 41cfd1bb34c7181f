import { sql } from 'kysely';
import type { Registry } from '../registry.js';
import { defineRoute, type RouteSpec } from '../platform/http/route-table.js';

export function systemRoutes(r: Registry): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET', url: '/health/alive', plane: 'system', credential: 'none',
      handler: async () => ({ status: 'ok' }),
    }),
    defineRoute({
      method: 'GET', url: '/health/ready', plane: 'system', credential: 'none',
      handler: async (_req, reply) => {
        try {
          await sql`select 1`.execute(r.db);
          return { status: 'ok' };
        } catch {
          return reply.status(503).send({ errors: { database: 'The database is not answering.' } });
        }
      },
    }),
    defineRoute({
      method: 'GET', url: '/metrics', plane: 'system', credential: 'none',
      handler: async (_req, reply) => reply.type(r.metrics.registry.contentType).send(await r.metrics.registry.metrics()),
    }),
  ];
}
