import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestContext, dialectName, seedTenant, type TestContext, type Tenant } from '../helpers/context.js';
import type { ResolvedProject } from '../../src/tenancy/project-resolver.js';

describe(`identity frontend API (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  let other: Tenant;
  let project: ResolvedProject;
  const get = (path: string, headers: Record<string, string> = {}, tenant: Tenant = t) => ctx.app.inject({ method: 'GET', url: `/p/${tenant.projectSlug}${path}`, headers });
  const del = (path: string, headers: Record<string, string> = {}, tenant: Tenant = t) => ctx.app.inject({ method: 'DELETE', url: `/p/${tenant.projectSlug}${path}`, headers });

  async function login(email: string) {
    const identity = await ctx.registry.identities.create(project, { traits: { email }, metadata_admin: { internal: 'only for admins' } });
    const now = new Date().toISOString();
    const issued = await ctx.registry.sessions.issue(project, identity.id, { methods: [{ method: 'password', aal: 'aal1', completed_at: now }], devices: [{ ip_address: '127.0.0.1', user_agent: 'test' }] });
    return { identity, ...issued };
  }

  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry, 'front');
    other = await seedTenant(ctx.registry, 'front-other');
    project = (await ctx.registry.projects.bySlug(t.projectSlug))!;
  });
  afterAll(() => ctx.close());

  it('lists schemas and serves one by raw or base64url id', async () => {
    const list = await get('/schemas');
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual([{ id: 'preset://email', schema: expect.objectContaining({ type: 'object' }) }]);
    const one = await get(`/schemas/${Buffer.from('preset://email').toString('base64url')}`);
    expect(one.statusCode).toBe(200);
    expect(one.json().properties.traits.properties.email['ory.sh/kratos'].credentials.password.identifier).toBe(true);
    expect((await get('/schemas/unknown')).statusCode).toBe(404);
  });

  it('serves custom schemas from base64:// and inline config, validating against them', async () => {
    const custom = {
      type: 'object',
      properties: {
        traits: {
          type: 'object',
          properties: {
            username: { type: 'string', minLength: 3, 'ory.sh/kratos': { credentials: { password: { identifier: true } } } },
            emails: { type: 'array', items: { type: 'string', format: 'email', 'ory.sh/kratos': { verification: { via: 'email' }, recovery: { via: 'email' } } } },
          },
          required: ['username'],
          additionalProperties: false,
        },
      },
    };
    const t2 = await seedTenant(ctx.registry, 'schemas');
    const res = await ctx.app.inject({
      method: 'PATCH', url: `/projects/${t2.projectId}`, headers: bearer(t2.workspaceKey),
      payload: [
        { op: 'replace', path: '/services/identity/config/identity/schemas', value: [
          { id: 'preset://email', url: 'preset://email' },
          { id: 'customer', url: `base64://${Buffer.from(JSON.stringify(custom)).toString('base64')}` },
          { id: 'inline', url: JSON.stringify({ type: 'object', properties: { traits: { type: 'object' } } }) },
        ] },
        { op: 'replace', path: '/services/identity/config/identity/default_schema_id', value: 'customer' },
      ],
    });
    expect(res.statusCode, res.body).toBeLessThan(300);
    const list = await get('/schemas', {}, t2);
    expect(list.json().map((s: { id: string }) => s.id)).toEqual(['preset://email', 'customer', 'inline']);
    expect((await get('/schemas/customer', {}, t2)).json()).toEqual(custom);
    const created = await ctx.app.inject({ method: 'POST', url: `/p/${t2.projectSlug}/admin/identities`, headers: bearer(t2.projectKey), payload: { traits: { username: 'Bob', emails: ['b1@example.com', 'B2@example.com'] } } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ schema_id: 'customer', credentials: { password: { identifiers: ['bob'] } } });
    expect(created.json().verifiable_addresses.map((a: { value: string }) => a.value)).toEqual(['b1@example.com', 'b2@example.com']);
    const bad = await ctx.app.inject({ method: 'POST', url: `/p/${t2.projectSlug}/admin/identities`, headers: bearer(t2.projectKey), payload: { traits: { username: 'x' } } });
    expect(bad.statusCode).toBe(400);
    // A config change takes effect on the next request.
    await ctx.app.inject({ method: 'PATCH', url: `/projects/${t2.projectId}`, headers: bearer(t2.workspaceKey), payload: [{ op: 'replace', path: '/services/identity/config/identity/default_schema_id', value: 'preset://email' }] });
    await new Promise((r) => setTimeout(r, 20));
    const viaDefault = await ctx.app.inject({ method: 'POST', url: `/p/${t2.projectSlug}/admin/identities`, headers: bearer(t2.projectKey), payload: { traits: { email: 'def@example.com' } } });
    expect(viaDefault.statusCode, viaDefault.body).toBe(201);
    expect(viaDefault.json().schema_id).toBe('preset://email');
  });

  it('runs trait patterns in linear time (RE2), so no pattern can stall the server', async () => {
    const schemaWith = (pattern: string) => ({
      type: 'object',
      properties: { traits: { type: 'object', properties: { email: { type: 'string', format: 'email', 'ory.sh/kratos': { credentials: { password: { identifier: true } } } }, code: { type: 'string', pattern } } } },
    });
    const t3 = await seedTenant(ctx.registry, 'redos');
    const configure = async (pattern: string) => {
      const res = await ctx.app.inject({
        method: 'PATCH', url: `/projects/${t3.projectId}`, headers: bearer(t3.workspaceKey),
        payload: [
          { op: 'replace', path: '/services/identity/config/identity/schemas', value: [{ id: 'p', url: `base64://${Buffer.from(JSON.stringify(schemaWith(pattern))).toString('base64')}` }] },
          { op: 'replace', path: '/services/identity/config/identity/default_schema_id', value: 'p' },
        ],
      });
      expect(res.statusCode, res.body).toBeLessThan(300);
      await new Promise((r) => setTimeout(r, 20));
    };
    const create = (code: string) => ctx.app.inject({ method: 'POST', url: `/p/${t3.projectSlug}/admin/identities`, headers: bearer(t3.projectKey), payload: { traits: { email: `${Math.random()}@example.com`, code } } });

    // Against V8's backtracking engine each of these inputs takes minutes (nested quantifiers) or
    // tens of seconds (overlapping alternation, which no star-height check catches).
    for (const pattern of ['^(a+)+$', '^(a|a)*$', '^(\\w+\\s?)*$']) {
      await configure(pattern);
      const started = Date.now();
      const refused = await create('a'.repeat(40) + '!');
      expect(Date.now() - started, pattern).toBeLessThan(1000);
      expect(refused.statusCode, pattern).toBe(400);
      expect((await create('aaaa')).statusCode, pattern).toBe(201);
    }

    await configure('^[A-Z]{2}-[0-9]{4}$');
    expect((await create('AB-1234')).statusCode).toBe(201);
    expect((await create('ab-1234')).statusCode).toBe(400);

    // What RE2 (and so Kratos, which validates with Go's RE2) cannot run is refused, naming the pattern.
    await configure('^(?=a)a$');
    const unsupported = await create('a');
    expect(unsupported.statusCode).toBe(400);
    expect(unsupported.body).toContain('(?=a)');
  });

  it('whoami answers the session for a token, header or cookie', async () => {
    const { identity, session, token } = await login('whoami@example.com');
    for (const headers of [{ 'x-session-token': token }, { authorization: `Bearer ${token}` }, { cookie: `ory_kratos_session=${token}` }] as Record<string, string>[]) {
      const res = await get('/sessions/whoami', headers);
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-kratos-authenticated-identity-id']).toBe(identity.id);
      const body = res.json();
      expect(body).toMatchObject({ id: session.id, active: true, authenticator_assurance_level: 'aal1', identity: { id: identity.id, traits: { email: 'whoami@example.com' } } });
      expect(body.authentication_methods).toMatchObject([{ method: 'password', aal: 'aal1' }]);
      expect(body.identity.metadata_admin).toBeUndefined();
      expect(body.identity.credentials).toBeUndefined();
      expect(Date.parse(body.expires_at) - Date.parse(body.issued_at)).toBe(72 * 3600_000);
      expect(res.body).not.toContain(token);
    }
  });

  it('whoami answers 401 session_inactive without, with a bad, a revoked or another project\'s token', async () => {
    const { identity, session, token } = await login('inactive@example.com');
    const expectInactive = async (res: Awaited<ReturnType<typeof get>>) => {
      expect(res.statusCode).toBe(401);
      expect(res.json().error).toMatchObject({ code: 401, id: 'session_inactive' });
    };
    await expectInactive(await get('/sessions/whoami'));
    await expectInactive(await get('/sessions/whoami', { 'x-session-token': 'ory_st_nope' }));
    await expectInactive(await get('/sessions/whoami', { 'x-session-token': token }, other));
    await ctx.registry.identities.replace(project, identity.id, { ...ctx.registry.identities.rowAsInput({ ...(await ctx.registry.db.selectFrom('identities').selectAll().where('id', '=', identity.id).executeTakeFirstOrThrow()) }), state: 'inactive' });
    await expectInactive(await get('/sessions/whoami', { 'x-session-token': token }));
    const second = await login('revoked@example.com');
    await ctx.registry.sessions.revoke(t.projectId, second.session.id);
    await expectInactive(await get('/sessions/whoami', { 'x-session-token': second.token }));
    expect(session.id).toBeTruthy();
  });

  it('whoami refuses an expired session', async () => {
    const t3 = await seedTenant(ctx.registry, 'short');
    await ctx.app.inject({ method: 'PATCH', url: `/projects/${t3.projectId}`, headers: bearer(t3.workspaceKey), payload: [{ op: 'replace', path: '/services/identity/config/session/lifespan', value: '1ms' }] });
    await new Promise((r) => setTimeout(r, 20));
    const p3 = (await ctx.registry.projects.bySlug(t3.projectSlug))!;
    expect((p3.services.identity.config as { session: { lifespan: string } }).session.lifespan).toBe('1ms');
    const identity = await ctx.registry.identities.create(p3, { traits: { email: 'exp@example.com' } });
    const { token } = await ctx.registry.sessions.issue(p3, identity.id, { methods: [{ method: 'password', aal: 'aal1', completed_at: new Date().toISOString() }] });
    await new Promise((r) => setTimeout(r, 10));
    const res = await get('/sessions/whoami', { 'x-session-token': token }, t3);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.id).toBe('session_inactive');
  });

  it('lists, revokes one, and revokes all my other sessions', async () => {
    const me = await login('mine@example.com');
    const now = new Date().toISOString();
    const m = { methods: [{ method: 'password', aal: 'aal1' as const, completed_at: now }] };
    const s2 = await ctx.registry.sessions.issue(project, me.identity.id, m);
    const s3 = await ctx.registry.sessions.issue(project, me.identity.id, m);
    const stranger = await login('stranger@example.com');
    const h = { 'x-session-token': me.token };

    const mine = await get('/sessions', h);
    expect(mine.statusCode).toBe(200);
    for (const s of mine.json()) expect(s.identity).not.toHaveProperty('metadata_admin');
    expect(mine.json().map((s: { id: string }) => s.id).sort()).toEqual([s2.session.id, s3.session.id].sort());
    expect((await get('/sessions')).statusCode).toBe(401);

    expect((await del(`/sessions/${me.session.id}`, h)).statusCode).toBe(400);
    expect((await del(`/sessions/${stranger.session.id}`, h)).statusCode).toBe(404);
    expect((await get('/sessions/whoami', { 'x-session-token': stranger.token })).statusCode).toBe(200);
    expect((await del(`/sessions/${s2.session.id}`, h)).statusCode).toBe(204);
    expect((await get('/sessions/whoami', { 'x-session-token': s2.token })).statusCode).toBe(401);

    const all = await del('/sessions', h);
    expect(all.statusCode).toBe(200);
    expect(all.json()).toEqual({ count: 1 });
    expect((await get('/sessions/whoami', { 'x-session-token': s3.token })).statusCode).toBe(401);
    expect((await get('/sessions/whoami', h)).statusCode).toBe(200);
    expect((await get('/sessions', h)).json()).toEqual([]);
  });

  it('reflects every change at once in repeated whoami calls (no stale cache)', async () => {
    const me = await login('fresh@example.com');
    const h = { 'x-session-token': me.token };
    for (let k = 0; k < 3; k++) expect((await get('/sessions/whoami', h)).json().identity.traits.email).toBe('fresh@example.com');
    await ctx.registry.identities.updateTraits(project, me.identity.id, { email: 'fresher@example.com' });
    expect((await get('/sessions/whoami', h)).json().identity.traits.email).toBe('fresher@example.com');
    await ctx.registry.identities.markAddressVerified(t.projectId, me.identity.id, 'fresher@example.com');
    expect((await get('/sessions/whoami', h)).json().identity.verifiable_addresses[0].verified).toBe(true);
    await ctx.app.inject({ method: 'DELETE', url: `/p/${t.projectSlug}/admin/sessions/${me.session.id}`, headers: bearer(t.projectKey) });
    expect((await get('/sessions/whoami', h)).statusCode).toBe(401);
    const again = await ctx.registry.sessions.issue(project, me.identity.id, { methods: [{ method: 'password', aal: 'aal1', completed_at: new Date().toISOString() }] });
    expect((await get('/sessions/whoami', { 'x-session-token': again.token })).statusCode).toBe(200);
    await ctx.app.inject({ method: 'DELETE', url: `/p/${t.projectSlug}/admin/identities/${me.identity.id}`, headers: bearer(t.projectKey) });
    expect((await get('/sessions/whoami', { 'x-session-token': again.token })).statusCode).toBe(401);
  });
});
