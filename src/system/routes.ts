import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import type { Registry } from '../registry.js';
import { defineRoute, type RouteSpec } from '../platform/http/route-table.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function systemRoutes(r: Registry): RouteSpec[] {
  // MetadataApi.getVersion: Kratos answers `/version` on every API, so the SDK finds it under a
  // project's base path as well as on the Management API's host.
  const getVersion = { method: 'GET', url: '/version', credential: 'none', operation: 'getVersion', handler: async () => ({ version: `v${version}` }) } as const;
  return [
    defineRoute({ ...getVersion, plane: 'system' }),
    defineRoute({ ...getVersion, plane: 'project' }),
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
