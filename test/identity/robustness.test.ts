import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestContext, dialectName, seedTenant, type TestContext, type Tenant } from '../helpers/context.js';

describe(`identity plane: addressing, purge and bad input (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry, 'robust');
  });
  afterAll(() => ctx.close());

  it('serves the same APIs on the project host', async () => {
    const host = `${t.projectSlug}.projects.gatehouse.test`;
    const created = await ctx.app.inject({ method: 'POST', url: '/admin/identities', headers: { host, ...bearer(t.projectKey) }, payload: { traits: { email: 'host@example.com' } } });
    expect(created.statusCode).toBe(201);
    const project = (await ctx.registry.projects.bySlug(t.projectSlug))!;
    const { token } = await ctx.registry.sessions.issue(project, created.json().id, { methods: [{ method: 'password', aal: 'aal1', completed_at: new Date().toISOString() }] });
    const who = await ctx.app.inject({ method: 'GET', url: '/sessions/whoami', headers: { host, 'x-session-token': token } });
    expect(who.statusCode).toBe(200);
    expect(who.json().identity.id).toBe(created.json().id);
    const list = await ctx.app.inject({ method: 'GET', url: '/admin/identities?page_size=1', headers: { host, ...bearer(t.projectKey) } });
    expect(String(list.headers.link)).toMatch(/^<\/admin\/identities\?page_size=1&page_token=>; rel="first"/);
  });

  it('never answers 500 to malformed input', async () => {
    const id = (await ctx.app.inject({ method: 'POST', url: `/p/${t.projectSlug}/admin/identities`, headers: bearer(t.projectKey), payload: { traits: { email: 'fuzz@example.com' } } })).json().id;
    const cases: { method: 'POST' | 'PUT' | 'PATCH' | 'GET' | 'DELETE'; url: string; payload?: unknown; headers?: Record<string, string> }[] = [
      { method: 'POST', url: '/admin/identities', payload: [] },
      { method: 'POST', url: '/admin/identities', payload: { traits: null } },
      { method: 'POST', url: '/admin/identities', payload: { traits: { email: 'x@example.com' }, metadata_public: 'str', external_id: 7 } },
      { method: 'POST', url: '/admin/identities', payload: { traits: { email: 'x@example.com' }, verifiable_addresses: [{ value: 'x@example.com', via: 'email', verified: 'yes' }] } },
      { method: 'POST', url: '/admin/identities', payload: { traits: { email: 'y@example.com'.repeat(40) } } },
      { method: 'POST', url: '/admin/identities', payload: { traits: { email: 'z@example.com' }, credentials: { password: { config: { hashed_password: '$2a$10$short' } } } } },
      { method: 'POST', url: '/admin/identities', payload: '{"traits":', headers: { 'content-type': 'application/json' } },
      { method: 'PUT', url: `/admin/identities/${id}`, payload: { traits: { email: 'x@example.com' } } },
      { method: 'PATCH', url: `/admin/identities/${id}`, payload: { op: 'replace' } },
      { method: 'PATCH', url: `/admin/identities/${id}`, payload: [{ op: 'replace', path: 'no-slash', value: 1 }] },
      { method: 'PATCH', url: `/admin/identities/${id}`, payload: [{ op: 'replace', path: '/traits', value: 'not an object' }] },
      { method: 'PATCH', url: `/admin/identities/${id}`, payload: [{ op: 'test', path: '/state', value: 'inactive' }] },
      { method: 'PATCH', url: `/admin/identities/${id}`, payload: [{ op: 'move', from: '/credentials', path: '/x' }] },
      { method: 'PATCH', url: '/admin/identities', payload: { identities: 'x' } },
      { method: 'PATCH', url: '/admin/identities', payload: { identities: [{}] } },
      { method: 'PATCH', url: '/admin/identities', payload: { identities: Array.from({ length: 201 }, (_, i) => ({ create: { traits: { email: `p${i}@example.com` }, credentials: { password: { config: { password: 'plaintext password' } } } } })) } },
      { method: 'GET', url: '/admin/identities?page_token=%FF%FE' },
      { method: 'GET', url: '/admin/identities?page_size=abc' },
      { method: 'GET', url: '/admin/identities?page_size=5000' },
      { method: 'GET', url: '/admin/identities?ids=a&credentials_identifier=b' },
      { method: 'GET', url: `/admin/identities/${id}?include_credential=NOT-A-TYPE` },
      { method: 'GET', url: '/admin/sessions?expand=everything' },
      { method: 'GET', url: '/admin/sessions?active=maybe' },
      { method: 'DELETE', url: `/admin/identities/${id}/credentials/${'x'.repeat(100)}` },
      { method: 'GET', url: '/schemas?page_token=abc' },
      { method: 'GET', url: `/schemas/${'%25'.repeat(50)}` },
      { method: 'GET', url: '/sessions/whoami', headers: { 'x-session-token': 'x'.repeat(2000) } },
      { method: 'GET', url: '/sessions/whoami', headers: { cookie: 'ory_kratos_session=%E0%A4%A' } },
      { method: 'DELETE', url: '/sessions/not-a-uuid', headers: { 'x-session-token': 'ory_st_unknown' } },
    ];
    for (const c of cases) {
      const res = await ctx.app.inject({ method: c.method, url: `/p/${t.projectSlug}${c.url}`, headers: { ...bearer(t.projectKey), ...c.headers }, payload: c.payload as string });
      expect(res.statusCode, `${c.method} ${c.url} -> ${res.body.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, `${c.method} ${c.url} -> ${res.body.slice(0, 200)}`).toBeLessThan(500);
      expect(res.json().error, `${c.method} ${c.url}`).toBeDefined();
    }
    // The identity is unchanged by all of that.
    const after = await ctx.app.inject({ method: 'GET', url: `/p/${t.projectSlug}/admin/identities/${id}`, headers: bearer(t.projectKey) });
    expect(after.json()).toMatchObject({ state: 'active', traits: { email: 'fuzz@example.com' } });
  });

  it('purging a project deletes its identity data', async () => {
    const doomed = await seedTenant(ctx.registry, 'doomed');
    const project = (await ctx.registry.projects.bySlug(doomed.projectSlug))!;
    const identity = await ctx.registry.identities.create(project, { traits: { email: 'doomed@example.com' }, credentials: { password: { config: { password: 'doomed password' } } } });
    await ctx.registry.sessions.issue(project, identity.id, { methods: [{ method: 'password', aal: 'aal1', completed_at: new Date().toISOString() }] });
    await ctx.registry.courier.queue(doomed.projectId, { recipient: 'doomed@example.com', template_type: 'stub', subject: 's', body: 'b' });
    const res = await ctx.app.inject({ method: 'DELETE', url: `/projects/${doomed.projectId}`, headers: bearer(doomed.workspaceKey) });
    expect(res.statusCode).toBeLessThan(300);
    for (const table of ['identities', 'identity_credentials', 'identity_credential_identifiers', 'identity_addresses', 'sessions', 'courier_messages'] as const) {
      const rows = await ctx.registry.db.selectFrom(table).select('project_id').where('project_id', '=', doomed.projectId).execute();
      expect(rows, table).toEqual([]);
    }
  });
});
