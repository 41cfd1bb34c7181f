import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, dialectName, seedTenant, type Tenant, type TestContext } from '../helpers/context.js';
import { basic, oauth } from './helpers.js';

describe(`oauth2 clients (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  let api: ReturnType<typeof oauth>;
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry, 'clients');
    api = oauth(ctx.app, t);
  });
  afterAll(() => ctx.close());

  it('creates a client with Hydra defaults and returns the generated secret once', async () => {
    const c = await api.createClient({ client_name: 'svc' });
    expect(c.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(c).toMatchObject({ client_name: 'svc', grant_types: ['authorization_code'], response_types: ['code'], scope: 'offline_access offline openid', token_endpoint_auth_method: 'client_secret_basic', audience: [], redirect_uris: [], skip_consent: false });
    const got = await api.admin('GET', `/admin/clients/${c.client_id}`);
    expect(got.statusCode).toBe(200);
    expect(got.json().client_id).toBe(c.client_id);
    expect(got.json()).not.toHaveProperty('client_secret');
    expect(got.body).not.toContain(c.client_secret);
    // Stored only hashed.
    const row = await ctx.registry.db.selectFrom('oauth2_clients').selectAll().where('id', '=', c.client_id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(c.client_secret);
  });

  it('creates a client with a given id and secret, which then authenticates', async () => {
    const id = `my-client-${Date.now()}`;
    const c = await api.createClient({ client_id: id, client_secret: 'a-given-secret', grant_types: ['client_credentials'] });
    expect(c.client_id).toBe(id);
    expect(c.client_secret).toBe('a-given-secret');
    const ok = await api.token({ grant_type: 'client_credentials' }, basic(id, 'a-given-secret'));
    expect(ok.statusCode).toBe(200);
    const dup = await api.admin('POST', '/admin/clients', { client_id: id });
    expect(dup.statusCode).toBe(409);
  });

  it('refuses invalid metadata with 400', async () => {
    for (const body of [{ client_secret: 'short' }, { grant_types: ['password'] }, { token_endpoint_auth_method: 'private_key_jwt' }, { redirect_uris: ['not a url'] }, { redirect_uris: ['javascript:alert(1)'] }, { redirect_uris: ['https://a.example.com/cb#frag'] }, { post_logout_redirect_uris: ['nope'] }, { client_credentials_grant_access_token_lifespan: 'forever' }, { unknown_field: 1 }, { access_token_strategy: 'magic' }]) {
      const res = await api.admin('POST', '/admin/clients', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
  });

  it('lists clients with Hydra keyset pagination and filters', async () => {
    const owner = `owner-${Date.now()}`;
    for (let i = 0; i < 3; i++) await api.createClient({ client_name: `paged-${i}`, owner });
    const first = await api.admin('GET', `/admin/clients?owner=${owner}&page_size=2`);
    expect(first.statusCode).toBe(200);
    expect(first.json().map((c: { client_name: string }) => c.client_name)).toEqual(['paged-0', 'paged-1']);
    const link = String(first.headers.link);
    expect(link).toContain('rel="first"');
    const next = /<([^>]+)>; rel="next"/.exec(link)![1];
    expect(next.startsWith(`/p/${t.projectSlug}/admin/clients?`)).toBe(true);
    const second = await ctx.app.inject({ method: 'GET', url: next, headers: { authorization: `Bearer ${t.projectKey}` } });
    expect(second.json().map((c: { client_name: string }) => c.client_name)).toEqual(['paged-2']);
    expect(String(second.headers.link)).not.toContain('rel="next"');
    const byName = await api.admin('GET', `/admin/clients?client_name=paged-1`);
    expect(byName.json()).toHaveLength(1);
    for (const c of [...first.json(), ...second.json()]) expect(c).not.toHaveProperty('client_secret');
    expect((await api.admin('GET', '/admin/clients?page_size=0')).statusCode).toBe(400);
    expect((await api.admin('GET', '/admin/clients?page_token=garbage')).statusCode).toBe(400);
  });

  it('replaces (PUT) a client, keeping the secret unless a new one is given', async () => {
    const c = await api.createClient({ client_name: 'before', grant_types: ['client_credentials'] });
    const put = await api.admin('PUT', `/admin/clients/${c.client_id}`, { client_name: 'after', grant_types: ['client_credentials'], scope: 'read' });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ client_id: c.client_id, client_name: 'after', scope: 'read' });
    expect(put.json()).not.toHaveProperty('client_secret');
    expect((await api.token({ grant_type: 'client_credentials', scope: 'read' }, basic(c.client_id, c.client_secret))).statusCode).toBe(200);
    const put2 = await api.admin('PUT', `/admin/clients/${c.client_id}`, { client_name: 'after', grant_types: ['client_credentials'], client_secret: 'brand-new-secret' });
    expect(put2.json()).not.toHaveProperty('client_secret');
    expect((await api.token({ grant_type: 'client_credentials' }, basic(c.client_id, c.client_secret))).statusCode).toBe(401);
    expect((await api.token({ grant_type: 'client_credentials' }, basic(c.client_id, 'brand-new-secret'))).statusCode).toBe(200);
    expect((await api.admin('PUT', `/admin/clients/${c.client_id}`, { client_id: 'other' })).statusCode).toBe(400);
    expect((await api.admin('PUT', `/admin/clients/does-not-exist`, {})).statusCode).toBe(404);
  });

  it('patches a client with JSON Patch', async () => {
    const c = await api.createClient({ client_name: 'patch-me', audience: ['a'] });
    const res = await api.admin('PATCH', `/admin/clients/${c.client_id}`, [
      { op: 'replace', path: '/client_name', value: 'patched' },
      { op: 'add', path: '/audience/-', value: 'b' },
      { op: 'add', path: '/grant_types/-', value: 'client_credentials' },
    ]);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ client_name: 'patched', audience: ['a', 'b'], grant_types: ['authorization_code', 'client_credentials'] });
    expect((await api.admin('GET', `/admin/clients/${c.client_id}`)).json().client_name).toBe('patched');
    expect((await api.admin('PATCH', `/admin/clients/${c.client_id}`, [{ op: 'replace', path: '/client_id', value: 'x' }])).statusCode).toBe(400);
    expect((await api.admin('PATCH', `/admin/clients/${c.client_id}`, [{ op: 'replace', path: '/grant_types', value: ['bogus'] }])).statusCode).toBe(400);
    expect((await api.admin('PATCH', `/admin/clients/${c.client_id}`, [{ op: 'remove', path: '/nope/deeper' }])).statusCode).toBe(400);
    expect((await api.admin('PATCH', `/admin/clients/${c.client_id}`, { not: 'an array' })).statusCode).toBe(400);
  });

  it('validates a patched client as a PUT body: wrong types are refused and change nothing', async () => {
    const c = await api.createClient({ client_name: 'typed', grant_types: ['client_credentials'], scope: 'read' });
    const before = (await api.admin('GET', `/admin/clients/${c.client_id}`)).json();
    for (const [path, value] of [['/scope', 5], ['/client_name', 5], ['/skip_consent', 'yes'], ['/audience', 'notarray'], ['/redirect_uris', 5], ['/metadata', 'x'], ['/nonsense', 1], ['/jwks', { keys: 'x' }], ['/jwks', { keys: [{}] }]] as const) {
      const res = await api.admin('PATCH', `/admin/clients/${c.client_id}`, [{ op: 'add', path, value }]);
      expect(res.statusCode, `${path} ${res.body}`).toBe(400);
      expect(res.json().error.id).toBe('invalid_client_metadata');
    }
    expect((await api.admin('PATCH', `/admin/clients/${c.client_id}`, [{ op: 'replace', path: '', value: 'x' }])).statusCode).toBe(400);
    expect((await api.admin('GET', `/admin/clients/${c.client_id}`)).json()).toEqual(before);
    expect((await api.token({ grant_type: 'client_credentials', scope: 'read' }, basic(c.client_id, c.client_secret))).statusCode).toBe(200);
  });

  it('sets a new secret with JSON Patch replace on /client_secret, never echoing it', async () => {
    const c = await api.createClient({ grant_types: ['client_credentials'] });
    const res = await api.admin('PATCH', `/admin/clients/${c.client_id}`, [{ op: 'replace', path: '/client_secret', value: 'patched-secret-1' }]);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).not.toContain('patched-secret-1');
    expect((await api.token({ grant_type: 'client_credentials' }, basic(c.client_id, 'patched-secret-1'))).statusCode).toBe(200);
    expect((await api.token({ grant_type: 'client_credentials' }, basic(c.client_id, c.client_secret))).statusCode).toBe(401);
    // A patch that leaves the secret alone keeps it.
    expect((await api.admin('PATCH', `/admin/clients/${c.client_id}`, [{ op: 'replace', path: '/client_name', value: 'n' }])).statusCode).toBe(200);
    expect((await api.token({ grant_type: 'client_credentials' }, basic(c.client_id, 'patched-secret-1'))).statusCode).toBe(200);
    expect((await api.admin('PATCH', `/admin/clients/${c.client_id}`, [{ op: 'replace', path: '/client_secret', value: 'short' }])).statusCode).toBe(400);
  });

  it('sets per-client token lifespans that govern issued tokens', async () => {
    const c = await api.createClient({ grant_types: ['client_credentials'] });
    const res = await api.admin('PUT', `/admin/clients/${c.client_id}/lifespans`, { client_credentials_grant_access_token_lifespan: '5m' });
    expect(res.statusCode).toBe(200);
    expect(res.json().client_credentials_grant_access_token_lifespan).toBe('5m');
    const tok = await api.token({ grant_type: 'client_credentials' }, basic(c.client_id, c.client_secret));
    expect(tok.json().expires_in).toBe(300);
    expect((await api.admin('PUT', `/admin/clients/${c.client_id}/lifespans`, { client_credentials_grant_access_token_lifespan: '5 minutes' })).statusCode).toBe(400);
  });

  it('rotates the secret: the new one works, the old one until rotated secrets are deleted', async () => {
    const c = await api.createClient({ grant_types: ['client_credentials'] });
    const rot = await api.admin('POST', `/admin/clients/${c.client_id}/secrets/rotate`);
    expect(rot.statusCode).toBe(200);
    const fresh = rot.json().client_secret as string;
    expect(fresh).toBeTruthy();
    expect(fresh).not.toBe(c.client_secret);
    expect((await api.token({ grant_type: 'client_credentials' }, basic(c.client_id, fresh))).statusCode).toBe(200);
    expect((await api.token({ grant_type: 'client_credentials' }, basic(c.client_id, c.client_secret))).statusCode).toBe(200);
    const del = await api.admin('DELETE', `/admin/clients/${c.client_id}/secrets/rotate`);
    expect(del.statusCode).toBe(200);
    expect(del.json()).not.toHaveProperty('client_secret');
    expect((await api.token({ grant_type: 'client_credentials' }, basic(c.client_id, c.client_secret))).statusCode).toBe(401);
    expect((await api.token({ grant_type: 'client_credentials' }, basic(c.client_id, fresh))).statusCode).toBe(200);
  });

  it('deletes a client with its tokens', async () => {
    const c = await api.createClient({ grant_types: ['client_credentials'] });
    const tok = (await api.token({ grant_type: 'client_credentials' }, basic(c.client_id, c.client_secret))).json().access_token;
    expect((await api.admin('DELETE', `/admin/clients/${c.client_id}`)).statusCode).toBe(204);
    expect((await api.token({ grant_type: 'client_credentials' }, basic(c.client_id, c.client_secret))).statusCode).toBe(401);
    expect((await api.admin('GET', `/admin/clients/${c.client_id}`)).statusCode).toBe(404);
    expect((await api.admin('DELETE', `/admin/clients/${c.client_id}`)).statusCode).toBe(404);
    expect((await api.introspect(tok)).json()).toEqual({ active: false });
  });
});
