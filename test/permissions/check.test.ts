import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, dialectName, seedTenant, type Tenant, type TestContext } from '../helpers/context.js';
import { cq, DOCS_OPL, insert, legacyConfig, oplConfig, projectApi, rt, setPermissionConfig } from './helpers.js';

describe(`permission checks with subject sets (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  let api: ReturnType<typeof projectApi>;
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry);
    api = projectApi(ctx, t);
    await setPermissionConfig(ctx, t, legacyConfig('files', 'groups'));
  });
  afterAll(() => ctx.close());

  it('allows a direct tuple: 200 from /check, 403 when denied; /openapi answers 200 with allowed:false', async () => {
    await api.put(rt('files', 'readme', 'read', 'alice'));
    expect(await api.check(cq('files', 'readme', 'read', 'alice'))).toEqual({ status: 200, body: { allowed: true } });
    expect(await api.check(cq('files', 'readme', 'read', 'bob'))).toEqual({ status: 403, body: { allowed: false } });
    expect(await api.checkOpenapi(cq('files', 'readme', 'read', 'alice'))).toEqual({ status: 200, body: { allowed: true } });
    expect(await api.checkOpenapi(cq('files', 'readme', 'read', 'bob'))).toEqual({ status: 200, body: { allowed: false } });
    expect(await api.postCheck(rt('files', 'readme', 'read', 'alice'))).toEqual({ status: 200, body: { allowed: true } });
    expect(await api.postCheck(rt('files', 'readme', 'read', 'bob'))).toEqual({ status: 403, body: { allowed: false } });
    expect(await api.postCheckOpenapi(rt('files', 'readme', 'read', 'alice'))).toEqual({ status: 200, body: { allowed: true } });
    expect(await api.postCheckOpenapi(rt('files', 'readme', 'read', 'bob'))).toEqual({ status: 200, body: { allowed: false } });
  });

  it('follows subject sets recursively and checks subject sets as subjects', async () => {
    await api.patch(insert(
      rt('files', 'plan', 'read', 'groups:eng#member'),
      rt('groups', 'eng', 'member', 'groups:backend#member'),
      rt('groups', 'backend', 'member', 'carol'),
    ));
    expect((await api.check(cq('files', 'plan', 'read', 'carol'))).status).toBe(200);
    expect((await api.check(cq('files', 'plan', 'read', 'groups:backend#member'))).status).toBe(200);
    expect((await api.check(cq('files', 'plan', 'read', 'groups:eng#member'))).status).toBe(200);
    expect((await api.check(cq('files', 'plan', 'read', 'groups:frontend#member'))).status).toBe(403);
    expect((await api.check(cq('files', 'plan', 'read', 'dave'))).status).toBe(403);
  });

  it('terminates on cycles', async () => {
    await api.patch(insert(
      rt('groups', 'cyc-a', 'member', 'groups:cyc-b#member'),
      rt('groups', 'cyc-b', 'member', 'groups:cyc-c#member'),
      rt('groups', 'cyc-c', 'member', 'groups:cyc-a#member'),
      rt('groups', 'cyc-c', 'member', 'groups:cyc-c#member'),
      rt('groups', 'cyc-c', 'member', 'erin'),
    ));
    expect((await api.check(cq('groups', 'cyc-a', 'member', 'erin'))).status).toBe(200);
    expect((await api.check(cq('groups', 'cyc-a', 'member', 'nobody', { 'max-depth': 1000 }))).status).toBe(403);
  });

  it('honours the depth limit: the request max-depth, never above the configured one', async () => {
    // chain-0#member <- chain-1 <- ... : reaching "deep" from chain-0 takes n+1 levels.
    const tuples = [rt('groups', 'chain-6', 'member', 'deep')];
    for (let i = 0; i < 6; i++) tuples.push(rt('groups', `chain-${i}`, 'member', `groups:chain-${i + 1}#member`));
    await api.patch(insert(...tuples));
    const at = async (level: number, maxDepth?: number) =>
      (await api.checkOpenapi(cq('groups', `chain-${6 - level}`, 'member', 'deep', maxDepth === undefined ? {} : { 'max-depth': maxDepth }))).body.allowed;
    expect(await at(0, 1)).toBe(true);
    expect(await at(1, 1)).toBe(false);
    expect(await at(1, 2)).toBe(true);
    expect(await at(3, 3)).toBe(false);
    expect(await at(3, 4)).toBe(true);
    // The default (and ceiling) is the config's max_read_depth of 5.
    expect(await at(4)).toBe(true);
    expect(await at(5)).toBe(false);
    expect(await at(5, 6)).toBe(false);
    expect(await at(5, 1_000_000)).toBe(false);
    expect(await at(4, 0)).toBe(true);
    expect(await at(4, -3)).toBe(true);

    await setPermissionConfig(ctx, t, { ...legacyConfig('files', 'groups'), limit: { max_read_depth: 7 } });
    expect(await at(5)).toBe(true);
    expect(await at(6)).toBe(true);
    await setPermissionConfig(ctx, t, { ...legacyConfig('files', 'groups'), limit: { max_read_depth: 2 } });
    expect(await at(2, 5)).toBe(false);
    expect(await at(1)).toBe(true);
    await setPermissionConfig(ctx, t, legacyConfig('files', 'groups'));
  });

  it('refuses malformed checks with 400, and treats an unknown namespace as not allowed', async () => {
    for (const q of [
      {},
      { namespace: 'files', object: 'readme', relation: 'read' },
      { namespace: 'files', object: 'readme', subject_id: 'alice' },
      { ...cq('files', 'readme', 'read', 'alice'), 'subject_set.namespace': 'groups' },
      { namespace: 'files', object: 'readme', relation: 'read', 'subject_set.namespace': 'groups', 'subject_set.object': 'eng' },
      { ...cq('files', 'readme', 'read', 'alice'), 'max-depth': 'deep' },
      { ...cq('files', 'readme', 'read', 'alice'), 'max-depth': '1.5' },
      { ...cq('files', 'readme', 'read', 'alice'), 'max-depth': '99999999999999999999' },
    ]) {
      const res = await api.check(q as Record<string, string>);
      expect(res.status, JSON.stringify(q)).toBe(400);
      expect(res.body.error.code).toBe(400);
    }
    expect((await api.postCheck({ namespace: 'files', object: 'readme', relation: 'read' })).status).toBe(400);
    expect((await api.postCheck({ ...rt('files', 'readme', 'read', 'alice'), bogus: 1 })).status).toBe(400);
    expect((await api.postCheck({ ...rt('files', 'readme', 'read', 'alice'), subject_set: null })).status).toBe(400);
    expect((await api.postCheck([rt('files', 'readme', 'read', 'alice')])).status).toBe(400);
    expect((await api.call('GET', '/relation-tuples/check?namespace=files&namespace=other&object=readme&relation=read&subject_id=alice')).status).toBe(400);
    expect(await api.check(cq('nope', 'readme', 'read', 'alice'))).toEqual({ status: 403, body: { allowed: false } });
    expect(await api.checkOpenapi(cq('nope', 'readme', 'read', 'alice'))).toEqual({ status: 200, body: { allowed: false } });
  });

  it('bounds the work of one check: a huge fan-out answers quickly, never a 500', async () => {
    const wide = Array.from({ length: 1000 }, (_, i) => rt('groups', 'wide', 'member', `groups:w-${i}#member`));
    const leaves = Array.from({ length: 1000 }, (_, i) => rt('groups', `w-${i}`, 'member', `groups:w-${i}-x#member`));
    await api.patch(insert(...wide));
    await api.patch(insert(...leaves));
    const started = Date.now();
    const res = await api.check(cq('groups', 'wide', 'member', 'nobody'));
    expect(res.status).toBe(403);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('checks a batch, in order, with per-tuple errors, and bounds its size', async () => {
    const res = await api.batch([rt('files', 'readme', 'read', 'alice'), rt('files', 'readme', 'read', 'bob'), { namespace: 'files' }, rt('groups', 'backend', 'member', 'carol')]);
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual([
      { allowed: true },
      { allowed: false },
      { allowed: false, error: expect.stringMatching(/needs object/) },
      { allowed: true },
    ]);
    expect((await api.batch([])).body).toEqual({ results: [] });
    const eleven = Array.from({ length: 11 }, () => rt('files', 'readme', 'read', 'alice'));
    const tooMany = await api.batch(eleven);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.reason).toBe('batch exceeds max size of 10');
    // max-depth applies to every tuple of the batch.
    expect((await api.batch([rt('files', 'plan', 'read', 'carol')], 2)).body.results).toEqual([{ allowed: false }]);
    expect((await api.batch([rt('files', 'plan', 'read', 'carol')], 3)).body.results).toEqual([{ allowed: true }]);
  });

  it('expands a subject set into its subject tree', async () => {
    const res = await api.expand({ namespace: 'files', object: 'plan', relation: 'read' });
    expect(res.status).toBe(200);
    const set = (namespace: string, object: string, relation: string) => ({ namespace, object, relation, subject_set: { namespace, object, relation } });
    expect(res.body).toEqual({
      type: 'union',
      tuple: set('files', 'plan', 'read'),
      children: [
        {
          type: 'union',
          tuple: set('groups', 'eng', 'member'),
          children: [
            {
              type: 'union',
              tuple: set('groups', 'backend', 'member'),
              children: [{ type: 'leaf', tuple: { namespace: 'groups', object: 'backend', relation: 'member', subject_id: 'carol' } }],
            },
          ],
        },
      ],
    });
    const shallow = await api.expand({ namespace: 'files', object: 'plan', relation: 'read', 'max-depth': 1 });
    expect(shallow.body.children).toEqual([{ type: 'leaf', tuple: set('groups', 'eng', 'member') }]);
    const cyc = await api.expand({ namespace: 'groups', object: 'cyc-a', relation: 'member', 'max-depth': 50 });
    expect(cyc.status).toBe(200);
    expect(JSON.stringify(cyc.body)).toContain('"subject_id":"erin"');
    expect((await api.expand({ namespace: 'files', object: 'none', relation: 'read' })).status).toBe(404);
    expect((await api.expand({ namespace: 'nope', object: 'plan', relation: 'read' })).status).toBe(404);
    expect((await api.expand({ namespace: 'files', object: 'plan' })).status).toBe(400);
  });
});

describe(`permission checks with OPL rules (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  let api: ReturnType<typeof projectApi>;
  const allowed = async (ns: string, obj: string, rel: string, subject: string) => (await api.postCheckOpenapi(rt(ns, obj, rel, subject))).body.allowed;

  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry);
    api = projectApi(ctx, t);
    await setPermissionConfig(ctx, t, oplConfig(DOCS_OPL));
    expect((await api.patch(insert(
      rt('Group', 'eng', 'members', 'ann'),
      rt('Group', 'eng', 'members', 'Group:sre#members'),
      rt('Group', 'sre', 'members', 'sam'),
      rt('Folder', 'root', 'viewers', 'Group:eng#members'),
      rt('Folder', 'root', 'owners', 'olga'),
      rt('Folder', 'sub', 'parents', 'Folder:root'),
      rt('Document', 'spec', 'parents', 'Folder:sub'),
      rt('Document', 'spec', 'viewers', 'vic'),
      rt('Document', 'spec', 'viewers', 'User:una'),
      rt('Document', 'spec', 'editors', 'ed'),
      rt('Document', 'spec', 'owners', 'owen'),
      rt('Document', 'spec', 'editors', 'owen'),
      rt('Document', 'spec', 'banned', 'sam'),
    ))).status).toBe(204);
  });
  afterAll(() => ctx.close());

  it('evaluates includes on the relation (this.related.x.includes(ctx.subject))', async () => {
    expect(await allowed('Document', 'spec', 'view', 'vic')).toBe(true);
    expect(await allowed('Document', 'spec', 'view', 'User:una')).toBe(true);
    expect(await allowed('Document', 'spec', 'view', 'una')).toBe(false);
  });

  it('evaluates || across relations and other permits', async () => {
    expect(await allowed('Document', 'spec', 'edit', 'ed')).toBe(true);
    expect(await allowed('Document', 'spec', 'view', 'ed')).toBe(true);
    expect(await allowed('Document', 'spec', 'edit', 'vic')).toBe(false);
  });

  it('evaluates traversal through parents, recursively, with subject sets at the end', async () => {
    // spec -> sub -> root, whose viewers are eng's members (ann, and sre's members).
    expect(await allowed('Document', 'spec', 'view', 'ann')).toBe(true);
    expect(await allowed('Document', 'spec', 'view', 'olga')).toBe(true);
    expect(await allowed('Folder', 'sub', 'view', 'ann')).toBe(true);
    expect(await allowed('Folder', 'sub', 'view', 'vic')).toBe(false);
  });

  it('evaluates && and !', async () => {
    // sam reaches the document through sre ⊂ eng, but is banned.
    expect(await allowed('Folder', 'root', 'view', 'sam')).toBe(true);
    expect(await allowed('Document', 'spec', 'view', 'sam')).toBe(false);
    // share = edit && owners.
    expect(await allowed('Document', 'spec', 'share', 'owen')).toBe(true);
    expect(await allowed('Document', 'spec', 'share', 'ed')).toBe(false);
  });

  it('counts traversal hops against the depth limit', async () => {
    // ann: spec -> sub (1) -> root (2) -> viewers eng#members (3) -> ann direct (needs 4 levels).
    expect((await api.checkOpenapi(cq('Document', 'spec', 'view', 'ann', { 'max-depth': 4 }))).body.allowed).toBe(true);
    expect((await api.checkOpenapi(cq('Document', 'spec', 'view', 'ann', { 'max-depth': 3 }))).body.allowed).toBe(false);
    // A negation resolved within the limit still applies at the smallest depth.
    expect((await api.checkOpenapi(cq('Document', 'spec', 'view', 'vic', { 'max-depth': 1 }))).body.allowed).toBe(true);
  });

  it('does not grant access when the depth limit cuts a negation short', async () => {
    const other = await seedTenant(ctx.registry, 'negation');
    const api2 = projectApi(ctx, other);
    await setPermissionConfig(ctx, other, {
      opl: `class U implements Namespace {}
        class G implements Namespace { related: { m: (U | SubjectSet<G, "m">)[] } }
        class D implements Namespace {
          related: { r: U[]; blocked: SubjectSet<G, "m">[] }
          permits = { open: (ctx) => this.related.r.includes(ctx.subject) && !this.related.blocked.includes(ctx.subject) }
        }`,
    });
    await api2.patch(insert(rt('D', 'd', 'r', 'u1'), rt('D', 'd', 'r', 'u3'), rt('D', 'd', 'blocked', 'G:g1#m'), rt('G', 'g1', 'm', 'G:g2#m'), rt('G', 'g2', 'm', 'u1')));
    const open = async (who: string, depth: number) => (await api2.checkOpenapi(cq('D', 'd', 'open', who, { 'max-depth': depth }))).body.allowed;
    expect(await open('u1', 5)).toBe(false);
    expect(await open('u3', 5)).toBe(true);
    // At depth 2 the ban on g2's members cannot be ruled out: denied, for u1 and u3 alike.
    expect(await open('u1', 2)).toBe(false);
    expect(await open('u3', 2)).toBe(false);
  });

  it('terminates on parent cycles and mutually recursive rules', async () => {
    await api.patch(insert(rt('Folder', 'loop-a', 'parents', 'Folder:loop-b'), rt('Folder', 'loop-b', 'parents', 'Folder:loop-a')));
    expect(await allowed('Folder', 'loop-a', 'view', 'ann')).toBe(false);
    const other = await seedTenant(ctx.registry, 'mutual');
    const api2 = projectApi(ctx, other);
    await setPermissionConfig(ctx, other, {
      opl: `class U implements Namespace {}
        class D implements Namespace {
          related: { r: U[] }
          permits = {
            a: (ctx) => this.permits.b(ctx) || this.related.r.includes(ctx.subject),
            b: (ctx) => this.permits.a(ctx),
            c: (ctx) => !this.permits.c(ctx),
          }
        }`,
    });
    await api2.put(rt('D', 'd', 'r', 'u1'));
    expect((await api2.checkOpenapi(cq('D', 'd', 'b', 'u1'))).body.allowed).toBe(true);
    expect((await api2.checkOpenapi(cq('D', 'd', 'b', 'u2'))).body.allowed).toBe(false);
    expect((await api2.checkOpenapi(cq('D', 'd', 'c', 'u2'))).status).toBe(200);
  });

  it('refuses a check of a relation the namespace does not declare', async () => {
    const res = await api.check(cq('Document', 'spec', 'print', 'vic'));
    expect(res.status).toBe(400);
    expect(res.body.error.reason).toMatch(/no relation or permission "print"/);
    const batch = await api.batch([rt('Document', 'spec', 'print', 'vic'), rt('Document', 'spec', 'view', 'vic')]);
    expect(batch.body.results).toEqual([{ allowed: false, error: expect.stringMatching(/print/) }, { allowed: true }]);
  });

  it('uses the new rules on the next request after a config change', async () => {
    const other = await seedTenant(ctx.registry, 'rules');
    const api2 = projectApi(ctx, other);
    const v1 = 'class U implements Namespace {}\nclass D implements Namespace { related: { owners: U[]; readers: U[] } permits = { read: (ctx) => this.related.readers.includes(ctx.subject) } }';
    await setPermissionConfig(ctx, other, { opl: v1 });
    await api2.patch(insert(rt('D', 'd', 'owners', 'o'), rt('D', 'd', 'readers', 'r')));
    expect((await api2.checkOpenapi(cq('D', 'd', 'read', 'o'))).body.allowed).toBe(false);
    await setPermissionConfig(ctx, other, { opl: v1.replace('this.related.readers.includes(ctx.subject)', 'this.related.readers.includes(ctx.subject) || this.related.owners.includes(ctx.subject)') });
    expect((await api2.checkOpenapi(cq('D', 'd', 'read', 'o'))).body.allowed).toBe(true);
  });
});
