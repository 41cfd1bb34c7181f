import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestContext, dialectName, seedTenant, type Tenant, type TestContext } from '../helpers/context.js';
import { DOCS_OPL, insert, legacyConfig, oplConfig, projectApi, rt, setPermissionConfig } from './helpers.js';

describe(`relation tuples (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  let api: ReturnType<typeof projectApi>;
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry);
    api = projectApi(ctx, t);
    await setPermissionConfig(ctx, t, oplConfig(DOCS_OPL));
  });
  afterAll(() => ctx.close());

  it('creates a tuple with PUT (201, echoing it) and reads it back; writing it again is harmless', async () => {
    const tuple = rt('Document', 'put-1', 'viewers', 'alice');
    const res = await api.put(tuple);
    expect(res.status).toBe(201);
    expect(res.body).toEqual(tuple);
    expect((await api.put(tuple)).status).toBe(201);
    const list = await api.list({ namespace: 'Document', object: 'put-1' });
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ relation_tuples: [tuple], next_page_token: '' });
  });

  it('stores subject sets, including ones naming an object (empty relation)', async () => {
    const a = rt('Document', 'put-2', 'viewers', 'Group:eng#members');
    const b = rt('Document', 'put-2', 'viewers', 'User:bob');
    expect((await api.put(a)).status).toBe(201);
    expect((await api.put(b)).status).toBe(201);
    expect(b.subject_set).toEqual({ namespace: 'User', object: 'bob', relation: '' });
    const list = await api.list({ namespace: 'Document', object: 'put-2' });
    expect(list.body.relation_tuples).toEqual([a, b]);
  });

  it('applies a PATCH batch of inserts and deletes in one transaction', async () => {
    const keep = rt('Document', 'patch-1', 'owners', 'carol');
    const gone = rt('Document', 'patch-1', 'editors', 'dave');
    expect((await api.patch(insert(keep, gone))).status).toBe(204);
    expect((await api.patch([{ action: 'delete', relation_tuple: gone }, { action: 'insert', relation_tuple: rt('Document', 'patch-1', 'viewers', 'erin') }])).status).toBe(204);
    const list = await api.list({ namespace: 'Document', object: 'patch-1' });
    expect(list.body.relation_tuples).toEqual([keep, rt('Document', 'patch-1', 'viewers', 'erin')]);

    // One bad delta refuses the whole batch: nothing of it is written.
    const bad = await api.patch([...insert(rt('Document', 'patch-2', 'viewers', 'x')), { action: 'insert', relation_tuple: rt('Nope', 'o', 'r', 's') }]);
    expect(bad.status).toBe(404);
    expect(bad.body.error.reason).toMatch(/Unknown namespace with name "Nope"/);
    expect((await api.list({ namespace: 'Document', object: 'patch-2' })).body.relation_tuples).toEqual([]);
  });

  it('refuses malformed PATCH deltas with 400', async () => {
    const ok = rt('Document', 'p', 'viewers', 'x');
    for (const body of [
      [{ action: 'upsert', relation_tuple: ok }],
      [{ action: 'insert' }],
      [{ relation_tuple: ok }],
      [{ action: 'insert', relation_tuple: ok, extra: 1 }],
      { action: 'insert', relation_tuple: ok },
      [{ action: 'insert', relation_tuple: 'Document:p#viewers@x' }],
    ]) {
      const res = await api.patch(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe(400);
    }
  });

  it('bounds the PATCH batch size', async () => {
    const many = Array.from({ length: 1001 }, (_, i) => ({ action: 'insert', relation_tuple: rt('Document', `big-${i}`, 'viewers', 'x') }));
    expect((await api.patch(many)).status).toBe(400);
    expect((await api.patch(many.slice(0, 1000))).status).toBe(204);
    expect((await api.list({ namespace: 'Document', relation: 'viewers', subject_id: 'x', page_size: 1000 })).body.relation_tuples.length).toBeGreaterThanOrEqual(1000);
    expect((await api.del({ namespace: 'Document', subject_id: 'x' })).status).toBe(204);
    expect((await api.list({ namespace: 'Document', subject_id: 'x' })).body.relation_tuples).toEqual([]);
  });

  it('refuses tuples in an unknown namespace (404, as Keto), with an unknown relation, or on a permission', async () => {
    const cases: [unknown, RegExp, number][] = [
      [rt('Nope', 'o', 'viewers', 'alice'), /Unknown namespace with name "Nope"/, 404],
      [rt('Document', 'o', 'readers', 'alice'), /has no relation "readers"/, 400],
      [rt('Document', 'o', 'view', 'alice'), /is a permission/, 400],
      [rt('Document', 'o', 'viewers', 'Nope:x#members'), /Unknown namespace with name "Nope" in subject_set/, 404],
      [rt('Document', 'o', 'viewers', 'Group:eng#admins'), /has no relation "admins"/, 400],
    ];
    for (const [body, reason, status] of cases) {
      const res = await api.put(body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error.reason).toMatch(reason);
    }
  });

  it('refuses malformed tuples with 400', async () => {
    for (const body of [
      {},
      { namespace: 'Document', object: 'o', relation: 'viewers' },
      { namespace: 'Document', object: 'o', relation: 'viewers', subject_id: 'a', subject_set: { namespace: 'User', object: 'a', relation: '' } },
      { namespace: 'Document', object: '', relation: 'viewers', subject_id: 'a' },
      { namespace: 'Document', object: 'o', relation: 'viewers', subject_id: 42 },
      { namespace: 'Document', object: 'o', relation: 'viewers', subject_set: { namespace: 'User', object: 'a' } },
      { namespace: 'Document', object: 'o', relation: 'viewers', subject_id: 'a', unknown: true },
      { namespace: 'Document', object: 'x'.repeat(600), relation: 'viewers', subject_id: 'a' },
      { namespace: 'Document', object: 'nul\u0000byte', relation: 'viewers', subject_id: 'a' },
    ]) {
      const res = await api.put(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const notJson = await api.call('PUT', '/admin/relation-tuples', '{"namespace":', { 'content-type': 'application/json' });
    expect(notJson.status).toBe(400);
  });

  it('reads with any combination of filters', async () => {
    const tuples = [
      rt('Folder', 'f1', 'viewers', 'u1'),
      rt('Folder', 'f1', 'viewers', 'Group:g1#members'),
      rt('Folder', 'f1', 'owners', 'u1'),
      rt('Folder', 'f2', 'viewers', 'u1'),
      rt('Folder', 'f2', 'viewers', 'u2'),
      rt('Group', 'g1', 'members', 'u1'),
    ];
    expect((await api.patch(insert(...tuples))).status).toBe(204);
    const q = async (query: Record<string, string>) => (await api.list(query)).body.relation_tuples;
    expect(await q({ namespace: 'Folder' })).toHaveLength(5);
    expect(await q({ namespace: 'Folder', object: 'f1' })).toHaveLength(3);
    expect(await q({ namespace: 'Folder', object: 'f1', relation: 'viewers' })).toHaveLength(2);
    expect(await q({ namespace: 'Folder', relation: 'viewers' })).toHaveLength(4);
    expect(await q({ subject_id: 'u1', namespace: 'Folder' })).toEqual([tuples[2], tuples[0], tuples[3]]);
    expect(await q({ subject_id: 'u1' })).toEqual([tuples[2], tuples[0], tuples[3], tuples[5]]);
    expect(await q({ object: 'f2', subject_id: 'u2' })).toEqual([tuples[4]]);
    expect(await q({ 'subject_set.namespace': 'Group', 'subject_set.object': 'g1', 'subject_set.relation': 'members' })).toEqual([tuples[1]]);
    expect(await q({ namespace: 'Folder', object: 'nothing' })).toEqual([]);
  });

  it('refuses contradictory or incomplete read filters', async () => {
    expect((await api.list({ subject_id: 'u1', 'subject_set.namespace': 'Group', 'subject_set.object': 'g', 'subject_set.relation': 'members' })).status).toBe(400);
    expect((await api.list({ 'subject_set.namespace': 'Group' })).status).toBe(400);
    expect((await api.list({ namespace: 'Folder', relation: 'readers' })).status).toBe(400);
    const unknown = await api.list({ namespace: 'Nope' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe(404);
  });

  it('paginates with next_page_token until it is empty', async () => {
    const tuples = Array.from({ length: 25 }, (_, i) => rt('Folder', 'paged', 'viewers', `user-${String(i).padStart(2, '0')}`));
    expect((await api.patch(insert(...tuples))).status).toBe(204);
    const seen: unknown[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const res = await api.list({ namespace: 'Folder', object: 'paged', page_size: 10, page_token: token });
      expect(res.status).toBe(200);
      expect(res.body.relation_tuples.length).toBeLessThanOrEqual(10);
      seen.push(...res.body.relation_tuples);
      token = res.body.next_page_token || undefined;
      pages++;
    } while (token && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(tuples);
    expect((await api.list({ page_token: 'not-a-token' })).status).toBe(400);
    expect((await api.list({ page_size: 0 })).status).toBe(400);
    expect((await api.list({ page_size: 5000 })).status).toBe(400);
  });

  it('deletes by query, and refuses a query that would delete everything', async () => {
    await api.patch(insert(rt('Folder', 'del-1', 'viewers', 'a'), rt('Folder', 'del-1', 'viewers', 'b'), rt('Folder', 'del-2', 'viewers', 'a')));
    expect((await api.del({ namespace: 'Folder', object: 'del-1', subject_id: 'a' })).status).toBe(204);
    expect((await api.list({ namespace: 'Folder', object: 'del-1' })).body.relation_tuples).toEqual([rt('Folder', 'del-1', 'viewers', 'b')]);
    expect((await api.del({ object: 'del-2' })).status).toBe(204);
    expect((await api.list({ namespace: 'Folder', object: 'del-2' })).body.relation_tuples).toEqual([]);
    const all = await api.del({});
    expect(all.status).toBe(400);
    expect((await api.del({ namespace: 'Nope' })).status).toBe(404);
    expect((await api.list({ namespace: 'Folder', object: 'del-1' })).body.relation_tuples).toHaveLength(1);
  });

  it('lists the namespaces of the config', async () => {
    const res = await api.namespaces();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ namespaces: [{ name: 'User' }, { name: 'Group' }, { name: 'Folder' }, { name: 'Document' }] });
  });

  it('reports OPL syntax errors with positions', async () => {
    const ok = await api.opl(DOCS_OPL);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ errors: [] });
    const bad = await api.opl('class User implements Namespace {}\nclass Doc implements Namespace {\n  related: { viewers: User }\n}');
    expect(bad.status).toBe(200);
    expect(bad.body.errors).toEqual([{ message: 'expected "[]" after the relation\'s type, got "}"', start: { Line: 3, column: 27 }, end: { Line: 3, column: 28 } }]);
    expect((await api.call('POST', '/opl/syntax/check', { not: 'text' })).status).toBe(400);
  });

  it('takes a config change into account on the next request', async () => {
    const other = await seedTenant(ctx.registry, 'switch');
    const api2 = projectApi(ctx, other);
    expect((await api2.put(rt('files', 'a', 'owner', 'x'))).status).toBe(404);
    await setPermissionConfig(ctx, other, legacyConfig('files'));
    expect((await api2.put(rt('files', 'a', 'owner', 'x'))).status).toBe(201);
    // Legacy namespaces accept any relation name.
    expect((await api2.put(rt('files', 'a', 'anything-goes', 'x'))).status).toBe(201);
    expect((await api2.namespaces()).body).toEqual({ namespaces: [{ name: 'files' }] });
    await setPermissionConfig(ctx, other, { opl: 'class files implements Namespace { related: { owner: files[] } }' });
    expect((await api2.put(rt('files', 'a', 'anything-goes', 'y'))).status).toBe(400);
    expect((await api2.put(rt('files', 'a', 'owner', 'y'))).status).toBe(201);
  });

  it('refuses a permission config that does not parse at write time, naming line and column', async () => {
    const broken = await seedTenant(ctx.registry, 'broken');
    const api3 = projectApi(ctx, broken);
    await setPermissionConfig(ctx, broken, legacyConfig('Doc'));
    const patch = (value: unknown, path = '/services/permission/config') =>
      ctx.app.inject({ method: 'PATCH', url: `/projects/${broken.projectId}`, headers: bearer(broken.workspaceKey), payload: [{ op: 'replace', path, value }] });
    const refused = await patch({ opl: 'class Doc implements Namespace {' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.reason).toMatch(/OPL does not parse \(1:\d+: expected "related" or "permits"/);
    for (const bad of [{ namespaces: 5 }, { namespaces: { location: 'file:///etc/passwd' } }, { namespaces: [], limit: { max_read_depth: -1 } }, { namespaces: [{ id: 1 }] }]) {
      expect((await patch(bad)).statusCode, JSON.stringify(bad)).toBe(400);
    }
    // Nothing was stored: the namespace of the last good config still works.
    expect((await api3.put(rt('Doc', 'a', 'r', 'x'))).status).toBe(201);
  });

  it('answers 400 (not 500) for a stored config that does not parse (written before write-time checks)', async () => {
    const legacy = await seedTenant(ctx.registry, 'legacy-broken');
    const api4 = projectApi(ctx, legacy);
    await ctx.registry.db.updateTable('projects').set({ permission_config: JSON.stringify({ opl: 'class Doc implements Namespace {' }) }).where('id', '=', legacy.projectId).execute();
    await ctx.registry.notifier.publish({ type: 'project', id: legacy.projectId, slug: legacy.projectSlug });
    await new Promise((r) => setTimeout(r, 20));
    const res = await api4.put(rt('Doc', 'a', 'r', 'x'));
    expect(res.status).toBe(400);
    expect(res.body.error.reason).toMatch(/permission config is invalid \(1:\d+: expected "related" or "permits"/);
  });
});

describe(`relation tuple isolation between projects (${dialectName()})`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it("keeps one project's tuples invisible to and untouchable by another", async () => {
    const a = await seedTenant(ctx.registry, 'iso-a');
    const b = await seedTenant(ctx.registry, 'iso-b');
    const apiA = projectApi(ctx, a);
    const apiB = projectApi(ctx, b);
    for (const tn of [a, b]) await setPermissionConfig(ctx, tn, oplConfig(DOCS_OPL));

    const secret = rt('Document', 'secret', 'viewers', 'alice');
    expect((await apiA.put(secret)).status).toBe(201);
    expect((await apiA.put(rt('Document', 'secret', 'parents', 'Folder:f'))).status).toBe(201);
    expect((await apiA.put(rt('Folder', 'f', 'viewers', 'Group:g#members'))).status).toBe(201);
    expect((await apiA.put(rt('Group', 'g', 'members', 'mallory'))).status).toBe(201);

    // Reads, checks and expand on B see nothing of A.
    expect((await apiB.list({})).body).toEqual({ relation_tuples: [], next_page_token: '' });
    expect((await apiB.list({ subject_id: 'alice' })).body.relation_tuples).toEqual([]);
    expect((await apiB.check({ namespace: 'Document', object: 'secret', relation: 'view', subject_id: 'alice' })).status).toBe(403);
    expect((await apiB.check({ namespace: 'Document', object: 'secret', relation: 'view', subject_id: 'mallory' })).status).toBe(403);
    expect((await apiB.check({ namespace: 'Document', object: 'secret', relation: 'viewers', subject_id: 'alice' })).status).toBe(403);
    expect((await apiB.expand({ namespace: 'Document', object: 'secret', relation: 'viewers' })).status).toBe(404);
    expect((await apiA.check({ namespace: 'Document', object: 'secret', relation: 'view', subject_id: 'mallory' })).status).toBe(200);

    // B writing the same subject set reaches nothing of A either.
    expect((await apiB.put(rt('Document', 'mine', 'parents', 'Folder:f'))).status).toBe(201);
    expect((await apiB.check({ namespace: 'Document', object: 'mine', relation: 'view', subject_id: 'mallory' })).status).toBe(403);

    // B's deletes and patches leave A's tuples alone.
    expect((await apiB.del({ namespace: 'Document', object: 'secret' })).status).toBe(204);
    expect((await apiB.patch([{ action: 'delete', relation_tuple: secret }])).status).toBe(204);
    expect((await apiA.list({ namespace: 'Document', object: 'secret' })).body.relation_tuples).toHaveLength(2);

    // A's project key does not open B's project.
    const cross = await ctx.app.inject({ method: 'GET', url: `/p/${b.projectSlug}/relation-tuples`, headers: { authorization: `Bearer ${a.projectKey}` } });
    expect(cross.statusCode).toBe(401);
  });

  it("deletes a project's tuples when the project is purged, and only those", async () => {
    const a = await seedTenant(ctx.registry, 'purge-a');
    const b = await seedTenant(ctx.registry, 'purge-b');
    for (const tn of [a, b]) {
      await setPermissionConfig(ctx, tn, legacyConfig('files'));
      expect((await projectApi(ctx, tn).put(rt('files', 'f', 'owner', 'x'))).status).toBe(201);
    }
    const purge = await ctx.app.inject({ method: 'DELETE', url: `/projects/${a.projectId}`, headers: bearer(a.workspaceKey) });
    expect(purge.statusCode).toBeLessThan(300);
    const count = async (projectId: string) => (await ctx.registry.db.selectFrom('relation_tuples').select('object').where('project_id', '=', projectId).execute()).length;
    expect(await count(a.projectId)).toBe(0);
    expect(await count(b.projectId)).toBe(1);
  });
});
