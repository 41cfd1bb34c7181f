import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { bearer, createTestContext, dialectName, seedTenant, type Tenant, type TestContext } from '../helpers/context.js';
import { Jar, basic, oauth } from './helpers.js';

describe(`oauth2 JSON Web Keys and discovery (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  let api: ReturnType<typeof oauth>;
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry, 'jwk');
    api = oauth(ctx.app, t);
  });
  afterAll(() => ctx.close());

  it('creates, reads, replaces and deletes key sets and keys', async () => {
    const created = await api.admin('POST', '/admin/keys/my-set', { alg: 'ES256', use: 'sig', kid: 'k1' });
    expect(created.statusCode).toBe(201);
    const [k1] = created.json().keys;
    expect(k1).toMatchObject({ kid: 'k1', alg: 'ES256', use: 'sig', kty: 'EC', crv: 'P-256' });
    expect(k1.d).toBeTruthy();
    expect((await api.admin('POST', '/admin/keys/my-set', { alg: 'RS256', use: 'sig', kid: 'k1' })).statusCode).toBe(409);
    const added = await api.admin('POST', '/admin/keys/my-set', { alg: 'EdDSA', use: 'sig', kid: 'k2' });
    expect(added.statusCode).toBe(201);
    const set = await api.admin('GET', '/admin/keys/my-set');
    expect(set.json().keys.map((k: { kid: string }) => k.kid).sort()).toEqual(['k1', 'k2']);
    const one = await api.admin('GET', '/admin/keys/my-set/k1');
    expect(one.json().keys[0]).toMatchObject({ kid: 'k1', d: k1.d });
    // Imported public key: stored and served without a private part.
    const { d: _d, ...pub } = k1;
    const put = await api.admin('PUT', '/admin/keys/my-set/k3', { ...pub, kid: 'k3' });
    expect(put.statusCode).toBe(200);
    expect(put.json()).not.toHaveProperty('d');
    expect((await api.admin('PUT', '/admin/keys/my-set/k4', { kty: 'EC', alg: 'ES256', use: 'sig', crv: 'P-256', x: 'bad', y: 'bad' })).statusCode).toBe(400);
    const replaced = await api.admin('PUT', '/admin/keys/my-set', { keys: [{ ...pub, kid: 'only' }] });
    expect(replaced.statusCode).toBe(200);
    expect((await api.admin('GET', '/admin/keys/my-set')).json().keys.map((k: { kid: string }) => k.kid)).toEqual(['only']);
    expect((await api.admin('DELETE', '/admin/keys/my-set/only')).statusCode).toBe(204);
    expect((await api.admin('GET', '/admin/keys/my-set')).statusCode).toBe(404);
    await api.admin('POST', '/admin/keys/gone', { alg: 'HS256', use: 'sig' });
    expect((await api.admin('DELETE', '/admin/keys/gone')).statusCode).toBe(204);
    expect((await api.admin('DELETE', '/admin/keys/gone')).statusCode).toBe(404);
    expect((await api.admin('GET', '/admin/keys/gone/x')).statusCode).toBe(404);
    expect((await api.admin('POST', '/admin/keys/x', { alg: 'none', use: 'sig' })).statusCode).toBe(400);
    expect((await api.admin('POST', '/admin/keys/x', { alg: 'RS256', use: 'both' })).statusCode).toBe(400);
    // Private parts are encrypted at rest.
    const rows = await ctx.registry.db.selectFrom('oauth2_jwks').selectAll().where('project_id', '=', t.projectId).execute();
    expect(JSON.stringify(rows)).not.toContain(k1.d);
  });

  it('publishes only public signing keys and signs with a rotated key once added', async () => {
    const jwks = (await ctx.app.inject({ method: 'GET', url: `${api.base}/.well-known/jwks.json` })).json();
    expect(jwks.keys.length).toBeGreaterThanOrEqual(2);
    for (const k of jwks.keys) {
      expect(k).not.toHaveProperty('d');
      expect(k.use).toBe('sig');
    }
    // A new key in the access-token set signs from now on and is published.
    const added = await api.admin('POST', '/admin/keys/hydra.jwt.access-token', { alg: 'ES256', use: 'sig', kid: 'rotated-es' });
    expect(added.statusCode).toBe(201);
    const c = await api.createClient({ grant_types: ['client_credentials'], access_token_strategy: 'jwt' });
    const jwt = (await api.token({ grant_type: 'client_credentials' }, basic(c.client_id, c.client_secret))).json().access_token;
    const after = (await ctx.app.inject({ method: 'GET', url: `${api.base}/.well-known/jwks.json` })).json();
    const { protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(after));
    expect(protectedHeader).toMatchObject({ kid: 'rotated-es', alg: 'ES256' });
  });

  it('serves discovery with the issuer of the address used, consistently in tokens', async () => {
    const local = (await ctx.app.inject({ method: 'GET', url: `${api.base}/.well-known/openid-configuration` })).json();
    expect(local).toMatchObject({
      issuer: `http://localhost:80/p/${t.projectSlug}`,
      token_endpoint: `http://localhost:80/p/${t.projectSlug}/oauth2/token`,
      jwks_uri: `http://localhost:80/p/${t.projectSlug}/.well-known/jwks.json`,
      authorization_endpoint: `http://localhost:80/p/${t.projectSlug}/oauth2/auth`,
      grant_types_supported: expect.arrayContaining(['client_credentials', 'authorization_code', 'refresh_token']),
      code_challenge_methods_supported: ['S256'],
    });
    const host = `${t.projectSlug}.projects.gatehouse.test`;
    const viaHost = (await ctx.app.inject({ method: 'GET', url: '/.well-known/openid-configuration', headers: { host } })).json();
    expect(viaHost.issuer).toBe(`https://${host}`);
    const c = await api.createClient({ grant_types: ['client_credentials'] });
    const tok = await ctx.app.inject({ method: 'POST', url: '/oauth2/token', headers: { host, 'content-type': 'application/x-www-form-urlencoded', ...basic(c.client_id, c.client_secret) }, payload: 'grant_type=client_credentials' });
    expect(tok.statusCode).toBe(200);
    const intro = await ctx.app.inject({ method: 'POST', url: '/admin/oauth2/introspect', headers: { host, 'content-type': 'application/x-www-form-urlencoded', ...bearer(t.projectKey) }, payload: `token=${tok.json().access_token}` });
    expect(intro.json()).toMatchObject({ active: true, iss: `https://${host}` });
    // A configured issuer wins everywhere.
    await ctx.app.inject({ method: 'PATCH', url: `/projects/${t.projectId}`, headers: bearer(t.workspaceKey), payload: [{ op: 'add', path: '/services/oauth2/config/urls/self', value: { issuer: 'https://auth.example.com/' } }] });
    expect((await ctx.app.inject({ method: 'GET', url: `${api.base}/.well-known/openid-configuration` })).json().issuer).toBe('https://auth.example.com');
  });
});

describe(`oauth2 cross-project isolation (${dialectName()})`, () => {
  let ctx: TestContext;
  let a: Tenant;
  let b: Tenant;
  beforeAll(async () => {
    ctx = await createTestContext();
    a = await seedTenant(ctx.registry, 'iso-a');
    b = await seedTenant(ctx.registry, 'iso-b');
  });
  afterAll(() => ctx.close());

  it("makes one project's clients, tokens, challenges and keys unusable in another", async () => {
    const apiA = oauth(ctx.app, a);
    const apiB = oauth(ctx.app, b);
    const c = await apiA.createClient({ grant_types: ['client_credentials', 'authorization_code'], redirect_uris: ['https://app.example.com/cb'], scope: 'openid' });
    const tokA = (await apiA.token({ grant_type: 'client_credentials' }, basic(c.client_id, c.client_secret))).json().access_token;
    const missing = 'no-such-client';

    for (const [method, path, body] of [
      ['GET', `/admin/clients/${c.client_id}`, undefined],
      ['PUT', `/admin/clients/${c.client_id}`, {}],
      ['PATCH', `/admin/clients/${c.client_id}`, [{ op: 'replace', path: '/client_name', value: 'x' }]],
      ['PUT', `/admin/clients/${c.client_id}/lifespans`, {}],
      ['POST', `/admin/clients/${c.client_id}/secrets/rotate`, undefined],
      ['DELETE', `/admin/clients/${c.client_id}/secrets/rotate`, undefined],
      ['DELETE', `/admin/clients/${c.client_id}`, undefined],
    ] as const) {
      const other = await apiB.admin(method, path, body);
      const none = await apiB.admin(method, path.replace(c.client_id, missing), body);
      expect(other.statusCode, `${method} ${path}`).toBe(404);
      expect(other.statusCode).toBe(none.statusCode);
      expect(other.json().error.id).toBe(none.json().error.id);
    }
    expect((await apiB.admin('GET', '/admin/clients')).json()).toEqual([]);
    expect((await apiB.token({ grant_type: 'client_credentials' }, basic(c.client_id, c.client_secret))).statusCode).toBe(401);
    expect((await apiB.introspect(tokA)).json()).toEqual({ active: false });
    await apiB.admin('DELETE', `/admin/oauth2/tokens?client_id=${c.client_id}`);
    expect((await apiA.introspect(tokA)).json().active).toBe(true);
    expect((await ctx.app.inject({ method: 'GET', url: `${apiB.base}/userinfo`, headers: bearer(tokA) })).statusCode).toBe(401);

    // A's login challenge is unknown to B; A's /oauth2/auth does not know B's... client ids.
    const jar = new Jar();
    const res = await ctx.app.inject({ method: 'GET', url: `${apiA.base}/oauth2/auth?${new URLSearchParams({ client_id: c.client_id, response_type: 'code', scope: 'openid', state: 'iso-state-1' })}` });
    jar.store(res.headers['set-cookie']);
    const lc = new URL(String(res.headers.location)).searchParams.get('login_challenge')!;
    expect((await apiB.admin('GET', `/admin/oauth2/auth/requests/login?login_challenge=${lc}`)).statusCode).toBe(404);
    expect((await apiB.admin('PUT', `/admin/oauth2/auth/requests/login/accept?login_challenge=${lc}`, { subject: 'x' })).statusCode).toBe(404);
    expect((await ctx.app.inject({ method: 'GET', url: `${apiB.base}/oauth2/auth?client_id=${c.client_id}&response_type=code&state=iso-state-1` })).statusCode).toBe(401);
    const acc = await apiA.admin('PUT', `/admin/oauth2/auth/requests/login/accept?login_challenge=${lc}`, { subject: 'x' });
    const verifierUrl = new URL(acc.json().redirect_to);
    const crossed = await ctx.app.inject({ method: 'GET', url: `${apiB.base}/oauth2/auth${verifierUrl.search}`, headers: { cookie: jar.header() } });
    expect(crossed.statusCode).toBe(400);

    // Keys: A's sets are not B's; A's JWTs do not verify against B's JWKS.
    await apiA.admin('POST', '/admin/keys/shared-name', { alg: 'RS256', use: 'sig', kid: 'a-key' });
    expect((await apiB.admin('GET', '/admin/keys/shared-name')).statusCode).toBe(404);
    expect((await apiB.admin('DELETE', '/admin/keys/shared-name/a-key')).statusCode).toBe(404);
    const jwtClient = await apiA.createClient({ grant_types: ['client_credentials'], access_token_strategy: 'jwt' });
    const jwt = (await apiA.token({ grant_type: 'client_credentials' }, basic(jwtClient.client_id, jwtClient.client_secret))).json().access_token;
    const jwksB = (await ctx.app.inject({ method: 'GET', url: `${apiB.base}/.well-known/jwks.json` })).json();
    await expect(jwtVerify(jwt, createLocalJWKSet(jwksB))).rejects.toThrow();
    expect((await apiB.introspect(jwt)).json()).toEqual({ active: false });
  });
});
