import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { bearer, createTestContext, dialectName, seedTenant, type Tenant, type TestContext } from '../helpers/context.js';

// Purging a project deletes its data from every table that has a project_id column (api_keys keeps
// the revoked keys for audit; projects keeps the tombstone that reserves the slug; audit_events is
// the workspace's record of what happened to the project, deletion included, kept for its retention).

const KEPT = new Set(['projects', 'api_keys', 'audit_events']);

describe(`project purge (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry);
  });
  afterAll(() => ctx.close());

  it('leaves no row of the project in any table', async () => {
    const p = `/p/${t.projectSlug}`;
    const h = bearer(t.projectKey);
    // Some data on each plane; whatever a route refuses here is simply not seeded.
    await ctx.app.inject({ method: 'POST', url: `${p}/admin/identities`, headers: h, payload: { schema_id: 'preset://email', traits: { email: 'gone@example.com' }, credentials: { password: { config: { password: 'correct horse battery staple' } } } } });
    await ctx.app.inject({ method: 'POST', url: `${p}/admin/clients`, headers: h, payload: { client_name: 'gone', grant_types: ['client_credentials'] } });
    await ctx.app.inject({ method: 'PATCH', url: `/projects/${t.projectId}`, headers: bearer(t.workspaceKey), payload: [{ op: 'replace', path: '/services/permission/config/namespaces', value: [{ id: 0, name: 'files' }] }] });
    await ctx.app.inject({ method: 'PUT', url: `${p}/admin/relation-tuples`, headers: h, payload: { namespace: 'files', object: 'doc', relation: 'view', subject_id: 'alice' } });
    await ctx.app.inject({ method: 'POST', url: `/projects/${t.projectId}/organizations`, headers: bearer(t.workspaceKey), payload: { label: 'Gone', domains: ['gone.example.com'] } });

    const tables = (await ctx.registry.db.introspection.getTables()).filter((tb) => tb.columns.some((c) => c.name === 'project_id') && !KEPT.has(tb.name));
    const count = async () => {
      const out: Record<string, number> = {};
      for (const tb of tables) {
        const r = await sql<{ n: number }>`select count(*) as n from ${sql.table(tb.name)} where project_id = ${t.projectId}`.execute(ctx.registry.db);
        out[tb.name] = Number(r.rows[0].n);
      }
      return out;
    };
    const before = await count();
    expect(Object.values(before).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

    const res = await ctx.app.inject({ method: 'DELETE', url: `/projects/${t.projectId}`, headers: bearer(t.workspaceKey) });
    expect(res.statusCode).toBe(204);
    const after = await count();
    expect(Object.entries(after).filter(([, n]) => n > 0)).toEqual([]);
  });
});
