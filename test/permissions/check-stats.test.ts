import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, dialectName, seedTenant, type Tenant, type TestContext } from '../helpers/context.js';
import { PermissionService, type PermissionScope } from '../../src/permissions/permission-service.js';
import { cq, insert, legacyConfig, projectApi, rt, setPermissionConfig } from './helpers.js';

// The check queries are written so that planner statistics cannot make SQLite recompile them on
// every run (cast(? as text) comparisons, cast(? as integer) limits). These tests pin that the
// answers, the depth limit and the row budget are the same on an ANALYZEd store.
describe(`permission checks on an ANALYZEd store (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  let api: ReturnType<typeof projectApi>;
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry);
    api = projectApi(ctx, t);
    await setPermissionConfig(ctx, t, legacyConfig('files', 'groups'));
    const filler = Array.from({ length: 300 }, (_, i) => rt('files', `f-${i % 40}`, 'read', i % 3 === 0 ? `groups:g-${i % 25}#member` : `u-${i}`));
    await api.patch(insert(...filler));
    await api.patch(insert(
      rt('files', 'direct', 'read', 'alice'),
      rt('files', 'chain', 'read', 'groups:c1#member'),
      rt('groups', 'c1', 'member', 'groups:c2#member'),
      rt('groups', 'c2', 'member', 'groups:c3#member'),
      rt('groups', 'c3', 'member', 'carol'),
      // Five subject sets under one node; only the last one (in key order) leads to dave.
      ...['s1', 's2', 's3', 's4', 's5'].map((g) => rt('groups', 'fan', 'member', `groups:${g}#member`)),
      rt('groups', 's5', 'member', 'dave'),
    ));
    await sql`ANALYZE`.execute(ctx.registry.db);
  });
  afterAll(() => ctx.close());

  it('answers direct checks, chains and the depth limit as before', async () => {
    expect(await api.check(cq('files', 'direct', 'read', 'alice'))).toEqual({ status: 200, body: { allowed: true } });
    expect(await api.check(cq('files', 'direct', 'read', 'bob'))).toEqual({ status: 403, body: { allowed: false } });
    expect((await api.check(cq('files', 'chain', 'read', 'carol'))).status).toBe(200);
    expect((await api.check(cq('files', 'chain', 'read', 'carol', { 'max-depth': 3 }))).status).toBe(403);
    expect((await api.check(cq('files', 'chain', 'read', 'carol', { 'max-depth': 4 }))).status).toBe(200);
    expect((await api.check(cq('files', 'chain', 'read', 'groups:c3#member'))).status).toBe(200);
    expect((await api.check(cq('files', 'chain', 'read', 'dave'))).status).toBe(403);
    expect((await api.check(cq('groups', 'fan', 'member', 'dave'))).status).toBe(200);
  });

  it('sees a revoke on the very next check (nothing is remembered across requests)', async () => {
    expect((await api.check(cq('files', 'revoked', 'read', 'erin'))).status).toBe(403);
    await api.put(rt('files', 'revoked', 'read', 'erin'));
    await api.put(rt('groups', 'c3', 'member', 'frank'));
    expect((await api.check(cq('files', 'revoked', 'read', 'erin'))).status).toBe(200);
    expect((await api.check(cq('files', 'chain', 'read', 'frank'))).status).toBe(200);
    expect((await api.del({ namespace: 'files', object: 'revoked', relation: 'read', subject_id: 'erin' })).status).toBe(204);
    expect((await api.del({ namespace: 'groups', object: 'c3', relation: 'member', subject_id: 'frank' })).status).toBe(204);
    expect((await api.check(cq('files', 'revoked', 'read', 'erin'))).status).toBe(403);
    expect((await api.check(cq('files', 'chain', 'read', 'frank'))).status).toBe(403);
  });

  it('keeps the row budget: a check that would read more subject-set rows answers not allowed', async () => {
    const project: PermissionScope = { id: t.projectId, services: { permission: { config: legacyConfig('files', 'groups') } } };
    const tuple = { namespace: 'groups', object: 'fan', relation: 'member', subject: { id: 'dave' } };
    // Reaching dave reads the 5 sets under "fan", then 1 row per set below it (none there).
    expect(await new PermissionService(ctx.registry.db, { maxNodes: 5000, maxRows: 5 }).check(project, tuple)).toBe(true);
    expect(await new PermissionService(ctx.registry.db, { maxNodes: 5000, maxRows: 4 }).check(project, tuple)).toBe(false);
    // c1 -> c2 -> c3 -> carol reads one subject-set row under c1 and one under c2; the direct
    // lookup that finds carol under c3 needs no budget.
    const carol = { ...tuple, object: 'c1', subject: { id: 'carol' } };
    expect(await new PermissionService(ctx.registry.db, { maxNodes: 5000, maxRows: 2 }).check(project, carol)).toBe(true);
    expect(await new PermissionService(ctx.registry.db, { maxNodes: 5000, maxRows: 1 }).check(project, carol)).toBe(false);
    expect(await new PermissionService(ctx.registry.db, { maxNodes: 5000, maxRows: 1 }).check(project, { ...carol, object: 'c2', subject: { set: { namespace: 'groups', object: 'c3', relation: 'member' } } })).toBe(true);
  });
});
