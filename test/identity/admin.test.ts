import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import bcrypt from 'bcryptjs';
import { bearer, createTestContext, dialectName, seedTenant, type TestContext, type Tenant } from '../helpers/context.js';

describe(`identity admin API (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  let other: Tenant;
  const base = () => `/p/${t.projectSlug}`;
  const call = (method: string, path: string, payload?: unknown, tenant: Tenant = t) =>
    ctx.app.inject({ method: method as 'GET', url: `/p/${tenant.projectSlug}${path}`, headers: bearer(tenant.projectKey), payload: payload as object });

  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry, 'idadmin');
    other = await seedTenant(ctx.registry, 'idadmin-other');
  });
  afterAll(() => ctx.close());

  it('creates an identity with a plaintext password and never echoes it', async () => {
    const res = await call('POST', '/admin/identities', {
      schema_id: 'preset://email',
      traits: { email: 'create@example.com' },
      credentials: { password: { config: { password: 'a very secret pw' } } },
      metadata_public: { plan: 'pro' },
      metadata_admin: { note: 'vip' },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      schema_id: 'preset://email',
      state: 'active',
      traits: { email: 'create@example.com' },
      metadata_public: { plan: 'pro' },
      metadata_admin: { note: 'vip' },
      credentials: { password: { type: 'password', identifiers: ['create@example.com'] } },
    });
    expect(body.schema_url).toMatch(/\/schemas\/cHJlc2V0Oi8vZW1haWw$/);
    expect(res.body).not.toContain('a very secret pw');
    expect(res.body).not.toContain('hashed_password');
  });

  it('uses the default schema when schema_id is omitted, and 400s on invalid traits', async () => {
    expect((await call('POST', '/admin/identities', { traits: { email: 'noschema@example.com' } })).statusCode).toBe(201);
    const bad = await call('POST', '/admin/identities', { schema_id: 'preset://email', traits: { email: 'nope' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 400 });
    expect((await call('POST', '/admin/identities', { schema_id: 'unknown', traits: { email: 'a@example.com' } })).statusCode).toBe(400);
    expect((await call('POST', '/admin/identities', { traits: 'x' })).statusCode).toBe(400);
    expect((await call('POST', '/admin/identities', { traits: { email: 'a@example.com' }, credentials: { oidc: {} } })).statusCode).toBe(400);
    expect((await call('POST', '/admin/identities', { traits: { email: 'a@example.com' }, state: 'weird' })).statusCode).toBe(400);
  });

  it('accepts organization_id only for an organization of the same project', async () => {
    const org = async (tenant: Tenant, domain: string) => {
      const res = await ctx.app.inject({ method: 'POST', url: `/projects/${tenant.projectId}/organizations`, headers: bearer(tenant.workspaceKey), payload: { label: domain, domains: [domain] } });
      expect(res.statusCode, res.body).toBe(201);
      return res.json().id as string;
    };
    const mine = await org(t, 'mine.example');
    const theirs = await org(other, 'theirs.example');
    const create = (email: string, organization_id: unknown) => call('POST', '/admin/identities', { schema_id: 'preset://email', traits: { email }, organization_id });
    const ok = await create('org-member@example.com', mine);
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().organization_id).toBe(mine);
    for (const bad of ['nope', '00000000-0000-0000-0000-000000000000', theirs]) {
      const res = await create(`org-${Math.random()}@example.com`, bad);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().error.reason).toContain('organization_id');
    }
    // Moving an identity into another project's organization is refused as well.
    const patched = await call('PATCH', `/admin/identities/${ok.json().id}`, [{ op: 'replace', path: '/organization_id', value: theirs }]);
    expect(patched.statusCode).toBe(400);
    expect((await call('GET', `/admin/identities/${ok.json().id}`)).json().organization_id).toBe(mine);
  });

  it('answers 409 for a duplicate identifier or external_id', async () => {
    expect((await call('POST', '/admin/identities', { schema_id: 'preset://email', traits: { email: 'twice@example.com' }, external_id: 'ext-1' })).statusCode).toBe(201);
    const dup = await call('POST', '/admin/identities', { schema_id: 'preset://email', traits: { email: 'TWICE@example.com' } });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error).toMatchObject({ code: 409, id: 'identity_already_exists' });
    expect((await call('POST', '/admin/identities', { schema_id: 'preset://email', traits: { email: 'other@example.com' }, external_id: 'ext-1' })).statusCode).toBe(409);
    // Another project may hold the same identifier and external id.
    expect((await call('POST', '/admin/identities', { schema_id: 'preset://email', traits: { email: 'twice@example.com' }, external_id: 'ext-1' }, other)).statusCode).toBe(201);
  });

  it('gets by id (with include_credential) and by external id; other projects see 404', async () => {
    const hash = bcrypt.hashSync('imported password', 4);
    const created = (await call('POST', '/admin/identities', { schema_id: 'preset://email', traits: { email: 'get@example.com' }, external_id: 'ext-get', credentials: { password: { config: { hashed_password: hash } } } })).json();
    const plain = await call('GET', `/admin/identities/${created.id}`);
    expect(plain.statusCode).toBe(200);
    expect(plain.json().credentials.password.config).toBeUndefined();
    const withCreds = await call('GET', `/admin/identities/${created.id}?include_credential=password`);
    expect(withCreds.json().credentials.password.config).toEqual({ hashed_password: hash });
    expect((await call('GET', `/admin/identities/by/external/ext-get`)).json().id).toBe(created.id);
    expect((await call('GET', `/admin/identities/by/external/nope`)).statusCode).toBe(404);
    expect((await call('GET', `/admin/identities/${created.id}`, undefined, other)).statusCode).toBe(404);
    expect((await call('GET', `/admin/identities/by/external/ext-get`, undefined, other)).statusCode).toBe(404);
    expect((await call('GET', `/admin/identities/not-a-uuid`)).statusCode).toBe(404);
  });

  it('lists with page_size/page_token and Link headers, and filters', async () => {
    const fresh = await seedTenant(ctx.registry, 'idlist');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await call('POST', '/admin/identities', { schema_id: 'preset://email', traits: { email: `list${i}@example.com` } }, fresh)).json().id);
    const seen: string[] = [];
    let url = '/admin/identities?page_size=2';
    for (let guard = 0; guard < 10; guard++) {
      const res = await call('GET', url, undefined, fresh);
      expect(res.statusCode).toBe(200);
      seen.push(...res.json().map((i: { id: string }) => i.id));
      const link = String(res.headers.link);
      expect(link).toContain('rel="first"');
      const next = /<([^>]+)>; rel="next"/.exec(link);
      if (!next) break;
      expect(next[1]).toMatch(new RegExp(`^/p/${fresh.projectSlug}/admin/identities\\?page_size=2&page_token=`));
      url = next[1].replace(`/p/${fresh.projectSlug}`, '');
    }
    expect(seen).toEqual([...ids].sort());
    const byIdent = await call('GET', '/admin/identities?credentials_identifier=LIST3@example.com', undefined, fresh);
    expect(byIdent.json().map((i: { id: string }) => i.id)).toEqual([ids[3]]);
    const byIds = await call('GET', `/admin/identities?ids=${ids[1]}&ids=${ids[4]}`, undefined, fresh);
    expect(byIds.json().map((i: { id: string }) => i.id).sort()).toEqual([ids[1], ids[4]].sort());
    // Legacy per_page/page still moves forward (offset), never repeating the first page.
    const p0 = (await call('GET', '/admin/identities?per_page=2', undefined, fresh)).json().map((i: { id: string }) => i.id);
    const p1 = (await call('GET', '/admin/identities?per_page=2&page=1', undefined, fresh)).json().map((i: { id: string }) => i.id);
    const p2 = (await call('GET', '/admin/identities?per_page=2&page=2', undefined, fresh)).json().map((i: { id: string }) => i.id);
    expect([...p0, ...p1, ...p2]).toEqual([...ids].sort());
    expect((await call('GET', '/admin/identities?page_size=0', undefined, fresh)).statusCode).toBe(400);
    expect((await call('GET', '/admin/identities?page_token=garbage!', undefined, fresh)).statusCode).toBe(400);
    // The other project's list does not contain these.
    const theirs = (await call('GET', '/admin/identities?page_size=1000')).json().map((i: { id: string }) => i.id);
    expect(theirs.some((id: string) => ids.includes(id))).toBe(false);
  });

  it('updates with PUT and patches with JSON Patch, re-validating', async () => {
    const created = (await call('POST', '/admin/identities', { schema_id: 'preset://email', traits: { email: 'put@example.com' }, metadata_public: { a: 1 } })).json();
    const put = await call('PUT', `/admin/identities/${created.id}`, { schema_id: 'preset://email', state: 'inactive', traits: { email: 'put2@example.com' }, metadata_admin: { b: 2 } });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ state: 'inactive', traits: { email: 'put2@example.com' }, metadata_public: null, metadata_admin: { b: 2 } });
    expect(put.json().verifiable_addresses[0].value).toBe('put2@example.com');
    expect((await call('PUT', `/admin/identities/${created.id}`, { schema_id: 'preset://email', state: 'active', traits: {} })).statusCode).toBe(400);
    expect((await call('PUT', `/admin/identities/${created.id}`, { schema_id: 'preset://email', state: 'active', traits: { email: 'x@example.com' } }, other)).statusCode).toBe(404);

    const patch = await call('PATCH', `/admin/identities/${created.id}`, [
      { op: 'replace', path: '/traits/email', value: 'patched@example.com' },
      { op: 'replace', path: '/state', value: 'active' },
      { op: 'add', path: '/metadata_public', value: { tier: 'gold' } },
    ]);
    expect(patch.statusCode).toBe(200);
    expect(patch.json()).toMatchObject({ state: 'active', traits: { email: 'patched@example.com' }, metadata_public: { tier: 'gold' }, metadata_admin: { b: 2 } });
    expect((await call('PATCH', `/admin/identities/${created.id}`, [{ op: 'replace', path: '/traits/email', value: 'not an email' }])).statusCode).toBe(400);
    expect((await call('PATCH', `/admin/identities/${created.id}`, [{ op: 'replace', path: '/id', value: 'x' }])).statusCode).toBe(400);
    expect((await call('PATCH', `/admin/identities/${created.id}`, [{ op: 'remove', path: '/nope/deeper' }])).statusCode).toBe(400);
    expect((await call('PATCH', `/admin/identities/${created.id}`, [{ op: 'bogus', path: '/traits' }])).statusCode).toBe(400);
    expect((await call('PATCH', `/admin/identities/${created.id}`, [{ op: 'replace', path: '/state', value: 'x' }])).statusCode).toBe(400);
    expect((await call('PATCH', `/admin/identities/${created.id}`, [], other)).statusCode).toBe(404);
  });

  it('batch-creates identities, reporting per-patch errors', async () => {
    const res = await call('PATCH', '/admin/identities', {
      identities: [
        { patch_id: 'p1', create: { schema_id: 'preset://email', traits: { email: 'batch1@example.com' } } },
        { patch_id: 'p2', create: { schema_id: 'preset://email', traits: { email: 'batch1@example.com' } } },
        { patch_id: 'p3', create: { schema_id: 'preset://email', traits: { email: 'bad' } } },
      ],
    });
    expect(res.statusCode).toBe(200);
    const out = res.json().identities;
    expect(out[0]).toMatchObject({ action: 'create', patch_id: 'p1' });
    expect(out[1]).toMatchObject({ action: 'error', patch_id: 'p2', error: { code: 409 } });
    expect(out[2]).toMatchObject({ action: 'error', patch_id: 'p3', error: { code: 400 } });
    const allFail = await call('PATCH', '/admin/identities', { identities: [{ create: { schema_id: 'preset://email', traits: { email: 'batch1@example.com' } } }] });
    expect(allFail.statusCode).toBe(409);
  });

  it('deletes identities and credentials', async () => {
    const created = (await call('POST', '/admin/identities', { schema_id: 'preset://email', traits: { email: 'del@example.com' }, credentials: { password: { config: { password: 'delete me please' } } } })).json();
    expect((await call('DELETE', `/admin/identities/${created.id}/credentials/password`, undefined, other)).statusCode).toBe(404);
    expect((await call('DELETE', `/admin/identities/${created.id}/credentials/totp`)).statusCode).toBe(404);
    expect((await call('DELETE', `/admin/identities/${created.id}/credentials/code`)).statusCode).toBe(400);
    expect((await call('DELETE', `/admin/identities/${created.id}/credentials/password`)).statusCode).toBe(204);
    expect((await call('GET', `/admin/identities/${created.id}`)).json().credentials).toEqual({});
    expect((await call('DELETE', `/admin/identities/${created.id}`, undefined, other)).statusCode).toBe(404);
    expect((await call('DELETE', `/admin/identities/${created.id}`)).statusCode).toBe(204);
    expect((await call('GET', `/admin/identities/${created.id}`)).statusCode).toBe(404);
    expect((await call('DELETE', `/admin/identities/${created.id}`)).statusCode).toBe(404);
    // The identifier is free again.
    expect((await call('POST', '/admin/identities', { schema_id: 'preset://email', traits: { email: 'del@example.com' } })).statusCode).toBe(201);
  });

  it('manages sessions: list, get with expand, extend, disable, delete all', async () => {
    const project = (await ctx.registry.projects.bySlug(t.projectSlug))!;
    const identity = (await call('POST', '/admin/identities', { schema_id: 'preset://email', traits: { email: 'sessions@example.com' } })).json();
    const now = new Date().toISOString();
    const a = await ctx.registry.sessions.issue(project, identity.id, { methods: [{ method: 'password', aal: 'aal1', completed_at: now }], devices: [{ ip_address: '10.0.0.1', user_agent: 'ua' }] });
    const b = await ctx.registry.sessions.issue(project, identity.id, { methods: [{ method: 'password', aal: 'aal1', completed_at: now }] });

    const list = await call('GET', `/admin/identities/${identity.id}/sessions`);
    expect(list.statusCode).toBe(200);
    expect(list.json().map((s: { id: string }) => s.id).sort()).toEqual([a.session.id, b.session.id].sort());
    expect(list.body).not.toContain(a.token);
    expect((await call('GET', `/admin/identities/${identity.id}/sessions`, undefined, other)).statusCode).toBe(404);

    const all = await call('GET', '/admin/sessions?page_size=1&expand=identity');
    expect(all.statusCode).toBe(200);
    expect(all.json()).toHaveLength(1);
    expect(String(all.headers.link)).toContain('rel="next"');

    const got = await call('GET', `/admin/sessions/${a.session.id}?expand=identity&expand=devices`);
    expect(got.json()).toMatchObject({ id: a.session.id, active: true, identity: { id: identity.id }, devices: [{ ip_address: '10.0.0.1', user_agent: 'ua' }] });
    expect((await call('GET', `/admin/sessions/${a.session.id}`)).json().identity).toBeUndefined();
    expect((await call('GET', `/admin/sessions/${a.session.id}`, undefined, other)).statusCode).toBe(404);

    // Fresh sessions are not yet extendable with the default earliest_possible_extend (24h of 72h): a no-op 204.
    const before = got.json().expires_at;
    expect((await call('PATCH', `/admin/sessions/${a.session.id}/extend`)).statusCode).toBe(204);
    expect((await call('GET', `/admin/sessions/${a.session.id}`)).json().expires_at).toBe(before);
    expect((await call('PATCH', `/admin/sessions/${a.session.id}/extend`, undefined, other)).statusCode).toBe(404);

    expect((await call('DELETE', `/admin/sessions/${a.session.id}`, undefined, other)).statusCode).toBe(404);
    expect((await call('DELETE', `/admin/sessions/${a.session.id}`)).statusCode).toBe(204);
    expect((await call('GET', `/admin/sessions/${a.session.id}`)).json().active).toBe(false);
    expect((await call('GET', `/admin/identities/${identity.id}/sessions?active=true`)).json().map((s: { id: string }) => s.id)).toEqual([b.session.id]);
    expect((await call('PATCH', `/admin/sessions/${a.session.id}/extend`)).statusCode).toBe(404);

    expect((await call('DELETE', `/admin/identities/${identity.id}/sessions`, undefined, other)).statusCode).toBe(404);
    expect((await call('DELETE', `/admin/identities/${identity.id}/sessions`)).statusCode).toBe(204);
    expect((await call('GET', `/admin/identities/${identity.id}/sessions`)).json()).toEqual([]);
    expect(await ctx.registry.sessions.byToken(project, b.token)).toBeNull();
  });

  it('lists and gets courier messages per project', async () => {
    await ctx.registry.courier.queue(t.projectId, { recipient: 'c1@example.com', template_type: 'verification_code_valid', subject: 'Verify', body: 'code 123456' });
    await ctx.registry.courier.queue(t.projectId, { recipient: 'c2@example.com', template_type: 'recovery_code_valid', subject: 'Recover', body: 'code 654321' });
    const list = await call('GET', '/admin/courier/messages?recipient=c1@example.com');
    expect(list.statusCode).toBe(200);
    expect(list.json()).toHaveLength(1);
    expect(list.json()[0]).toMatchObject({ recipient: 'c1@example.com', status: 'queued', type: 'email', template_type: 'verification_code_valid', send_count: 0 });
    const id = list.json()[0].id;
    expect((await call('GET', `/admin/courier/messages/${id}`)).json().subject).toBe('Verify');
    expect((await call('GET', `/admin/courier/messages/${id}`, undefined, other)).statusCode).toBe(404);
    expect((await call('GET', '/admin/courier/messages', undefined, other)).json()).toEqual([]);
    expect((await call('GET', '/admin/courier/messages?status=queued&page_size=1')).json()).toHaveLength(1);
    expect((await call('GET', '/admin/courier/messages?status=bogus')).statusCode).toBe(400);
  });

  it('refuses admin calls without the project key', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: `${base()}/admin/identities` });
    expect(res.statusCode).toBe(401);
    const wrong = await ctx.app.inject({ method: 'GET', url: `${base()}/admin/identities`, headers: bearer(other.projectKey) });
    expect(wrong.statusCode).toBe(401);
  });

  it('extends a session once it is within session.earliest_possible_extend', async () => {
    const t2 = await seedTenant(ctx.registry, 'extend');
    const patch = await ctx.app.inject({
      method: 'PATCH', url: `/projects/${t2.projectId}`, headers: bearer(t2.workspaceKey),
      payload: [{ op: 'replace', path: '/services/identity/config/session/lifespan', value: '2h' }, { op: 'replace', path: '/services/identity/config/session/earliest_possible_extend', value: '2h' }],
    });
    expect(patch.statusCode, patch.body).toBeLessThan(300);
    await new Promise((r) => setTimeout(r, 20));
    const project = (await ctx.registry.projects.bySlug(t2.projectSlug))!;
    const identity = await ctx.registry.identities.create(project, { traits: { email: 'extend@example.com' } });
    const { session } = await ctx.registry.sessions.issue(project, identity.id, { methods: [{ method: 'password', aal: 'aal1', completed_at: new Date().toISOString() }] });
    // Pretend the session is an hour old.
    const older = new Date(Date.parse(session.expires_at) - 3600_000).toISOString();
    await ctx.registry.db.updateTable('sessions').set({ expires_at: older }).where('id', '=', session.id).execute();
    expect((await call('PATCH', `/admin/sessions/${session.id}/extend`, undefined, t2)).statusCode).toBe(204);
    const after = (await call('GET', `/admin/sessions/${session.id}`, undefined, t2)).json();
    expect(Date.parse(after.expires_at)).toBeGreaterThan(Date.parse(older) + 3000_000);
  });

  it('admin reads reflect every write at once', async () => {
    const created = (await call('POST', '/admin/identities', { schema_id: 'preset://email', traits: { email: 'fresh-read@example.com' } })).json();
    for (let k = 0; k < 3; k++) expect((await call('GET', `/admin/identities/${created.id}`)).json().state).toBe('active');
    await call('PATCH', `/admin/identities/${created.id}`, [{ op: 'replace', path: '/state', value: 'inactive' }]);
    expect((await call('GET', `/admin/identities/${created.id}`)).json().state).toBe('inactive');
    const project = (await ctx.registry.projects.bySlug(t.projectSlug))!;
    await ctx.registry.identities.setPassword(project, created.id, 'fresh read password');
    expect(Object.keys((await call('GET', `/admin/identities/${created.id}?include_credential=password`)).json().credentials.password.config)).toEqual(['hashed_password']);
    await call('DELETE', `/admin/identities/${created.id}`);
    expect((await call('GET', `/admin/identities/${created.id}`)).statusCode).toBe(404);
  });
});
