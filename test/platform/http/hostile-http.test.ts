import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/app.js';
import { allRoutes } from '../../../src/routes.js';
import { createTestContext, dialectName, seedTenant, type Tenant, type TestContext } from '../../helpers/context.js';
import { hostileRequest, SECRET_MARKER, sendRaw, type HostileRequest } from '../../helpers/hostile.js';

// Property-based hostile input (issue #19) over every route of the route table, over real sockets:
// random methods, paths, path params, query strings, headers, credentials (none, right, another
// tenant's, forged), bodies (JSON, forms, bytes) with any content type, chunked or not. For every
// request: an answer (no dropped connection, no hang), never a 5xx, a 4xx in Ory's error shape, and
// nothing stored changed by a refused request; at the end no secret is in any log line.
// HOSTILE_RUNS sets the number of requests (CI: 400 per store; `npm run stress`: 10,000);
// HOSTILE_SEED replays a run (a failure prints its seed and the shrunk request).

const RUNS = Number(process.env.HOSTILE_RUNS ?? 400);
const SEED = process.env.HOSTILE_SEED !== undefined ? Number(process.env.HOSTILE_SEED) : 20261204;

/** Tables that a refused request may write by design: limits, audit records, flows' messages, counters. */
const BOOKKEEPING = new Set(['audit_events', 'api_key_addresses', 'selfservice_flows', 'selfservice_errors', 'usage_counters', 'quota_windows', 'rate_limit_windows', 'oauth2_rate_limits', 'kysely_migration', 'kysely_migration_lock']);

describe(`hostile HTTP over every route, property-based (${dialectName()})`, () => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let port: number;
  let t: Tenant;
  let other: Tenant;
  const lines: string[] = [];

  /** How each table's rows of the two tenants are found: the column and the tenant ids it holds. */
  let scopes: { table: string; column: string; ids: string[] }[];

  /**
   * A digest of the two tenants' rows in every table but the bookkeeping ones (other test files share
   * a PostgreSQL database and write their own tenants' rows meanwhile).
   */
  async function snapshot(): Promise<string> {
    const h = createHash('sha256');
    for (const { table, column, ids } of scopes) {
      const rows = await ctx.registry.db.selectFrom(table as 'projects').selectAll().where(column as 'id', 'in', ids).execute();
      h.update(table).update(JSON.stringify(rows.map((r) => JSON.stringify(r)).sort()));
    }
    return h.digest('hex');
  }

  beforeAll(async () => {
    // Keys' last use is written in batches; none during the run, so a batch is not taken for a change.
    ctx = await createTestContext({ lastUsedFlushMs: 3_600_000 });
    t = await seedTenant(ctx.registry, 'hostile');
    other = await seedTenant(ctx.registry, 'hostile-other');
    // Debug level: every line the server can write is checked for secrets.
    app = await buildApp(ctx.registry, { log: { stream: { write: (line: string) => lines.push(line) }, level: 'debug' } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
    const ids: Record<string, string[]> = {
      project_id: [t.projectId, other.projectId],
      workspace_id: [t.workspaceId, other.workspaceId],
      user_id: [t.userId, other.userId],
    };
    const own: Record<string, string[]> = { projects: ids.project_id, workspaces: ids.workspace_id, users: ids.user_id };
    scopes = [];
    for (const table of await ctx.registry.db.introspection.getTables()) {
      if (BOOKKEEPING.has(table.name)) continue;
      const names = table.columns.map((c) => c.name);
      const column = own[table.name] ? 'id' : ['project_id', 'workspace_id', 'user_id'].find((c) => names.includes(c));
      if (column) scopes.push({ table: table.name, column, ids: own[table.name] ?? ids[column] });
    }
    scopes.sort((a, b) => a.table.localeCompare(b.table));
    expect(scopes.length).toBeGreaterThan(20);
    // Keys made on first use by public reads (JWKS) are made now, not by a refused request later.
    for (const slug of [t.projectSlug, other.projectSlug]) {
      await app.inject({ method: 'GET', url: `/p/${slug}/.well-known/jwks.json` });
      await app.inject({ method: 'GET', url: `/p/${slug}/v2alpha1/derivedKeys/jwks.json` });
    }
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
  });

  it(`answers ${RUNS} random requests with no 5xx, no dropped connection, and no change when refused`, async () => {
    const routes = allRoutes(ctx.registry).filter((r) => !(r.method === 'DELETE' && /^\/projects\/:project_id$/.test(r.url)) && !(r.method === 'DELETE' && /^\/workspaces\/:workspace$/.test(r.url)));
    let before = await snapshot();
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(hostileRequest(routes, t, other), async (r: HostileRequest) => {
        const answer = await sendRaw(port, r);
        seen.set(answer.status, (seen.get(answer.status) ?? 0) + 1);
        const what = `${r.method} ${r.target.slice(0, 160)} (${r.route}) → ${answer.status} ${answer.body.slice(0, 200)}`;
        expect(answer.status, what).toBeLessThan(500);
        const after = await snapshot();
        if (answer.status >= 400) {
          expect(after, `a refused request changed stored data: ${what}`).toBe(before);
          if (r.method !== 'HEAD' && (answer.headers['content-type'] ?? '').includes('json') && answer.body) {
            const parsed = JSON.parse(answer.body) as Record<string, unknown>;
            // Ory's error shape, or a self-service flow carrying its messages, or RFC 6749's.
            expect('error' in parsed || 'ui' in parsed, what).toBe(true);
          }
        }
        before = after;
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    // The run reached past the credential checks: some requests were answered 2xx and some 4xx.
    const statuses = [...seen.keys()];
    expect(statuses.some((s) => s < 300)).toBe(true);
    expect(statuses.some((s) => s >= 400)).toBe(true);
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    // No secret in any log line: the tenants' keys, and the marker sent as passwords, tokens and secrets.
    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(RUNS / 2);
    for (const secret of [SECRET_MARKER, encodeURIComponent(SECRET_MARKER), t.workspaceKey, t.projectKey, other.workspaceKey, other.projectKey]) expect(log.includes(secret), `a log line holds ${secret.slice(0, 12)}…`).toBe(false);
  }, 600_000);
});
