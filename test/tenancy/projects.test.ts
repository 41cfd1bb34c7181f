import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestContext, dialectName, seedTenant, type Tenant, type TestContext } from '../helpers/context.js';

describe(`projects over the Management API (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  let other: Tenant;
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry);
    other = await seedTenant(ctx.registry, 'other');
  });
  afterAll(() => ctx.close());

  const call = (method: string, url: string, key: string, payload?: unknown) =>
    ctx.app.inject({ method: method as 'GET', url, headers: bearer(key), payload: payload as object });

  it('creates a project with a fresh slug, defaults and a revision', async () => {
    const res = await call('POST', '/projects', t.workspaceKey, { name: 'Login Service', environment: 'prod' });
    expect(res.statusCode).toBe(201);
    const p = res.json();
    expect(p).toMatchObject({ name: 'Login Service', environment: 'prod', state: 'running', workspace_id: t.workspaceId, organizations: [] });
    expect(p.slug).toMatch(/^login-service-[a-z0-9]{8}$/);
    expect(p.services.identity.config.identity.default_schema_id).toBe('preset://email');
    expect(p.services.oauth2.config).toBeTypeOf('object');
    expect(p.services.permission.config).toBeTypeOf('object');
    const again = (await call('POST', '/projects', t.workspaceKey, { name: 'Login Service', environment: 'prod' })).json();
    expect(again.slug).not.toBe(p.slug);
  });

  it('lists projects of its own workspace only', async () => {
    const all = (await call('GET', '/projects', t.workspaceKey)).json();
    expect(all.map((p: { id: string }) => p.id)).toContain(t.projectId);
    expect(all.map((p: { id: string }) => p.id)).not.toContain(other.projectId);
    expect(all[0].hosts[0]).toMatch(/\.projects\.gatehouse\.test$/);
    const ws = (await call('GET', `/workspaces/${t.workspaceId}/projects`, t.workspaceKey)).json();
    expect(ws.projects.map((p: { id: string }) => p.id)).toContain(t.projectId);
    expect(ws.has_next_page).toBe(false);
  });

  it('refuses to create a project in another workspace as if it did not exist', async () => {
    const res = await call('POST', '/projects', t.workspaceKey, { name: 'x', environment: 'dev', workspace_id: other.workspaceId });
    expect(res.statusCode).toBe(404);
  });

  it('patches name and nested config, changing the revision', async () => {
    const before = (await call('GET', `/projects/${t.projectId}`, t.workspaceKey)).json();
    const res = await call('PATCH', `/projects/${t.projectId}`, t.workspaceKey, [
      { op: 'replace', path: '/name', value: 'Renamed' },
      { op: 'replace', path: '/services/identity/config/session/lifespan', value: '1h' },
      { op: 'add', path: '/services/oauth2/config/ttl/access_token', value: '5m' },
      { op: 'add', path: '/services/permission/config/namespaces', value: [{ id: 1, name: 'files' }] },
      { op: 'add', path: '/services/identity/config/brand/new/deep', value: true },
    ]);
    expect(res.statusCode).toBe(200);
    const { project, warnings } = res.json();
    expect(warnings).toEqual([]);
    expect(project.name).toBe('Renamed');
    expect(project.services.identity.config.session.lifespan).toBe('1h');
    expect(project.services.identity.config.brand.new.deep).toBe(true);
    expect(project.services.oauth2.config.ttl.access_token).toBe('5m');
    expect(project.services.permission.config.namespaces).toEqual([{ id: 1, name: 'files' }]);
    expect(project.revision_id).not.toBe(before.revision_id);
    // The project plane sees the change on the next request.
    const resolved = await ctx.registry.projects.bySlug(t.projectSlug);
    expect((resolved?.services.identity.config as { session: { lifespan: string } } | undefined)?.session.lifespan).toBe('1h');
  });

  it('refuses patches outside the patchable paths, and failing operations, changing nothing', async () => {
    const before = (await call('GET', `/projects/${t.projectId}`, t.workspaceKey)).json();
    for (const ops of [
      [{ op: 'replace', path: '/id', value: 'x' }],
      [{ op: 'replace', path: '/slug', value: 'x' }],
      [{ op: 'replace', path: '/workspace_id', value: other.workspaceId }],
      [{ op: 'replace', path: '/services/identity', value: {} }],
      [{ op: 'replace', path: '/services/identity/config', value: 'not an object' }],
      [{ op: 'remove', path: '/services/identity/config/does/not/exist' }],
      [{ op: 'test', path: '/name', value: 'something else' }],
      [{ op: 'replace', path: '/name', value: '' }],
      [{ op: 'bogus', path: '/name', value: 'x' }],
      [{ op: 'replace', path: '/name' }],
      [],
      { op: 'replace', path: '/name', value: 'x' },
    ]) {
      const res = await call('PATCH', `/projects/${t.projectId}`, t.workspaceKey, ops);
      expect(res.statusCode, JSON.stringify(ops)).toBe(400);
      expect(res.json().error.code).toBe(400);
    }
    const after = (await call('GET', `/projects/${t.projectId}`, t.workspaceKey)).json();
    expect(after).toEqual(before);
  });

  it('patches with a revision: a stale revision is a 409', async () => {
    const p = (await call('GET', `/projects/${t.projectId}`, t.workspaceKey)).json();
    const ok = await call('PATCH', `/projects/${t.projectId}/revision/${p.revision_id}`, t.workspaceKey, [{ op: 'replace', path: '/name', value: 'Rev 1' }]);
    expect(ok.statusCode).toBe(200);
    const stale = await call('PATCH', `/projects/${t.projectId}/revision/${p.revision_id}`, t.workspaceKey, [{ op: 'replace', path: '/name', value: 'Rev 2' }]);
    expect(stale.statusCode).toBe(409);
    expect((await call('GET', `/projects/${t.projectId}`, t.workspaceKey)).json().name).toBe('Rev 1');
  });

  it('replaces a project with PUT', async () => {
    const p = (await call('GET', `/projects/${t.projectId}`, t.workspaceKey)).json();
    const res = await call('PUT', `/projects/${t.projectId}`, t.workspaceKey, {
      name: 'Put Name',
      cors_admin: { enabled: false, origins: [] },
      cors_public: { enabled: true, origins: ['https://app.example.com'] },
      organizations: [],
      services: { identity: { config: { ...p.services.identity.config, session: { lifespan: '2h' } } } },
    });
    expect(res.statusCode).toBe(200);
    const { project } = res.json();
    expect(project.name).toBe('Put Name');
    expect(project.cors_public).toEqual({ enabled: true, origins: ['https://app.example.com'] });
    expect(project.services.identity.config.session.lifespan).toBe('2h');
    expect(project.services.oauth2.config).toEqual(p.services.oauth2.config);
    const bad = await call('PUT', `/projects/${t.projectId}`, t.workspaceKey, { name: 'x', cors_admin: {}, cors_public: {}, services: {}, surprise: 1 });
    expect(bad.statusCode).toBe(400);
  });

  it('takes back with PUT the project GET returned (read-modify-write), ignoring its read-only fields', async () => {
    const p = (await call('GET', `/projects/${t.projectId}`, t.workspaceKey)).json();
    const res = await call('PUT', `/projects/${t.projectId}`, t.workspaceKey, { ...p, name: 'Round Trip', id: 'ignored', slug: 'ignored' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().project).toMatchObject({ id: p.id, slug: p.slug, name: 'Round Trip', services: p.services });
  });

  it('refuses config a plane could not use, naming the key, and stores nothing', async () => {
    const before = (await call('GET', `/projects/${t.projectId}`, t.workspaceKey)).json();
    for (const [path, value, key] of [
      ['/services/identity/config/selfservice/methods/password/config/min_password_length', 'eight', 'min_password_length'],
      ['/services/identity/config/identity/schemas', 5, 'identity.schemas'],
      ['/services/identity/config/session/lifespan', 'forever', 'session.lifespan'],
      ['/services/identity/config/session/lifespan', '0s', 'session.lifespan'],
      ['/services/oauth2/config/ttl/access_token', '0h0m', 'ttl.access_token'],
      ['/services/oauth2/config/ttl/access_token', 'forever', 'ttl.access_token'],
      ['/services/oauth2/config/strategies/access_token', 'bogus', 'strategies.access_token'],
      ['/services/oauth2/config/secrets', 'x', 'secrets'],
      ['/services/oauth2/config/oauth2/grant/jwt/max_ttl', '1 day', 'grant.jwt.max_ttl'],
      ['/services/oauth2/config/oauth2/grant/jwt/jti_optional', 'yes', 'grant.jwt.jti_optional'],
      ['/services/permission/config/namespaces', 'x', 'namespaces'],
      ['/services/permission/config/limit/max_read_depth', -1, 'max_read_depth'],
    ] as const) {
      const res = await call('PATCH', `/projects/${t.projectId}`, t.workspaceKey, [{ op: 'add', path, value }]);
      expect(res.statusCode, `${path}: ${res.body}`).toBe(400);
      expect(res.json().error.reason).toContain(key);
    }
    expect((await call('GET', `/projects/${t.projectId}`, t.workspaceKey)).json()).toEqual(before);
    // Keys Gatehouse does not act on are kept as given.
    const extra = await call('PATCH', `/projects/${t.projectId}`, t.workspaceKey, [{ op: 'add', path: '/services/identity/config/feature_flags', value: { anything: [1, 'two'] } }]);
    expect(extra.statusCode, extra.body).toBe(200);
  });

  it('purges a project: gone everywhere, keys refused, slug never reused', async () => {
    const p = (await call('POST', '/projects', t.workspaceKey, { name: 'Doomed', environment: 'dev' })).json();
    const key = (await call('POST', `/projects/${p.id}/tokens`, t.workspaceKey, { name: 'k' })).json();
    expect((await ctx.registry.keys.verify(key.value)).ok).toBe(true);
    expect(await ctx.registry.projects.bySlug(p.slug)).not.toBeNull();
    expect((await call('DELETE', `/projects/${p.id}`, other.workspaceKey)).statusCode).toBe(404);
    expect((await call('DELETE', `/projects/${p.id}`, t.workspaceKey)).statusCode).toBe(204);
    expect((await call('GET', `/projects/${p.id}`, t.workspaceKey)).statusCode).toBe(404);
    expect((await call('DELETE', `/projects/${p.id}`, t.workspaceKey)).statusCode).toBe(404);
    expect(await ctx.registry.projects.bySlug(p.slug)).toBeNull();
    expect((await ctx.registry.keys.verify(key.value)).ok).toBe(false);
    const listed = (await call('GET', '/projects', t.workspaceKey)).json();
    expect(listed.map((x: { id: string }) => x.id)).not.toContain(p.id);
    const row = await ctx.registry.db.selectFrom('projects').select(['slug', 'state']).where('id', '=', p.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ slug: p.slug, state: 'deleted' });
  });

  it('answers malformed input with a 4xx in Ory shape and changes nothing', async () => {
    const before = (await call('GET', `/projects/${t.projectId}`, t.workspaceKey)).json();
    const cases = [
      { payload: '{"name": ', type: 'application/json', status: 400 },
      { payload: '{"name": 12, "environment": "dev"}', type: 'application/json', status: 400 },
      { payload: '{"name": "x", "environment": "moon"}', type: 'application/json', status: 400 },
      { payload: '{"name": "x", "environment": "dev", "unknown": true}', type: 'application/json', status: 400 },
      { payload: 'name=x', type: 'text/xml', status: 415 },
      { payload: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024), environment: 'dev' }), type: 'application/json', status: 413 },
    ];
    for (const c of cases) {
      const res = await ctx.app.inject({ method: 'POST', url: '/projects', headers: { ...bearer(t.workspaceKey), 'content-type': c.type }, payload: c.payload });
      expect(res.statusCode, c.payload.slice(0, 60)).toBe(c.status);
      expect(res.json().error).toMatchObject({ code: c.status });
      expect(res.json().error.request).toBeTruthy();
    }
    const list = await ctx.app.inject({ method: 'GET', url: '/workspaces?page_size=100000', headers: bearer(t.workspaceKey) });
    expect(list.statusCode).toBe(400);
    const token = await ctx.app.inject({ method: 'GET', url: '/workspaces?page_token=garbage', headers: bearer(t.workspaceKey) });
    expect(token.statusCode).toBe(400);
    expect((await call('GET', `/projects/${t.projectId}`, t.workspaceKey)).json()).toEqual(before);
    expect((await call('GET', '/projects/not-a-uuid', t.workspaceKey)).statusCode).toBe(404);
    const unknown = await call('GET', '/no/such/route', t.workspaceKey);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe(404);
  });
});
