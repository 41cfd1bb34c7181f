import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { bearer, createTestContext, dialectName, seedTenant, type Tenant, type TestContext } from '../helpers/context.js';
import { basic, form, oauth } from './helpers.js';

describe(`oauth2 token endpoint and introspection (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  let api: ReturnType<typeof oauth>;
  let svc: { client_id: string; client_secret: string };
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry, 'tokens');
    api = oauth(ctx.app, t);
    svc = await api.createClient({ grant_types: ['client_credentials'], scope: 'read write', audience: ['https://api.example.com'] });
  });
  afterAll(() => ctx.close());

  it('issues an opaque token with client_secret_basic, and introspection reports it', async () => {
    const res = await api.token({ grant_type: 'client_credentials', scope: 'read', audience: 'https://api.example.com' }, basic(svc.client_id, svc.client_secret));
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toMatchObject({ token_type: 'bearer', scope: 'read', expires_in: 3600 });
    expect(body.access_token).toMatch(/^ory_at_/);
    expect(body).not.toHaveProperty('refresh_token');
    const before = Math.floor(Date.now() / 1000);
    const intro = (await api.introspect(body.access_token)).json();
    expect(intro).toMatchObject({ active: true, client_id: svc.client_id, sub: svc.client_id, scope: 'read', aud: ['https://api.example.com'], token_type: 'Bearer', token_use: 'access_token', iss: `http://localhost:80/p/${t.projectSlug}` });
    expect(intro.exp).toBeGreaterThanOrEqual(before + 3599);
    expect(intro.exp).toBeLessThanOrEqual(before + 3601);
    expect((await api.introspect(body.access_token, 'read')).json().active).toBe(true);
    expect((await api.introspect(body.access_token, 'write')).json()).toEqual({ active: false });
    expect((await api.introspect('ory_at_unknown')).json()).toEqual({ active: false });
    // The token is stored only as a hash.
    const rows = await ctx.registry.db.selectFrom('oauth2_tokens').selectAll().where('project_id', '=', t.projectId).execute();
    expect(JSON.stringify(rows)).not.toContain(body.access_token);
  });

  it('issues concurrent tokens each with its own outcome (active, deleted client, client over its limit)', async () => {
    const good = await api.createClient({ grant_types: ['client_credentials'] });
    const gone = await api.createClient({ grant_types: ['client_credentials'] });
    const limited = await api.createClient({ grant_types: ['client_credentials'] });
    // Each client authenticates once here first (so this node knows it), then changes behind this
    // node's back as another node would change it: one is deleted, one collects failures.
    for (const c of [good, gone, limited]) expect((await api.token({ grant_type: 'client_credentials' }, basic(c.client_id, c.client_secret))).statusCode).toBe(200);
    await ctx.registry.db.deleteFrom('oauth2_clients').where('project_id', '=', t.projectId).where('id', '=', gone.client_id).execute();
    const windowNo = Math.floor(Date.now() / 60_000);
    await ctx.registry.db.insertInto('oauth2_rate_limits').values({ project_id: t.projectId, bucket: limited.client_id, window_no: windowNo, hits: 50 }).execute();
    const send = (c: { client_id: string; client_secret: string }) => api.token({ grant_type: 'client_credentials' }, basic(c.client_id, c.client_secret));
    const results = await Promise.all([...Array(8)].flatMap(() => [send(good), send(gone), send(limited)]));
    const status = (c: { client_id: string }) => results.filter((_, n) => [good, gone, limited][n % 3] === c).map((r) => r.statusCode);
    expect(new Set(status(good))).toEqual(new Set([200]));
    expect(new Set(status(gone))).toEqual(new Set([401]));
    expect(new Set(status(limited))).toEqual(new Set([429]));
    const tokens = results.filter((r) => r.statusCode === 200).map((r) => r.json().access_token as string);
    expect(new Set(tokens).size).toBe(8);
    for (const tok of tokens) expect((await api.introspect(tok)).json().active).toBe(true);
    const written = await ctx.registry.db.selectFrom('oauth2_tokens').select('client_id').where('project_id', '=', t.projectId).where('client_id', 'in', [gone.client_id, limited.client_id]).execute();
    // Only the first token of each (issued before the change) was written.
    expect(written.filter((w) => w.client_id === gone.client_id)).toHaveLength(1);
    expect(written.filter((w) => w.client_id === limited.client_id)).toHaveLength(1);
  });

  it('accepts client_secret_post only for clients registered for it', async () => {
    const post = await api.createClient({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post' });
    const ok = await api.token({ grant_type: 'client_credentials', client_id: post.client_id, client_secret: post.client_secret });
    expect(ok.statusCode).toBe(200);
    const viaBasic = await api.token({ grant_type: 'client_credentials' }, basic(post.client_id, post.client_secret));
    expect(viaBasic.statusCode).toBe(401);
    expect(viaBasic.json().error).toBe('invalid_client');
    const viaPost = await api.token({ grant_type: 'client_credentials', client_id: svc.client_id, client_secret: svc.client_secret });
    expect(viaPost.statusCode).toBe(401);
    expect(viaPost.json().error).toBe('invalid_client');
  });

  it('answers RFC 6749 errors with the right status codes, never a 500', async () => {
    const wrong = await api.token({ grant_type: 'client_credentials' }, basic(svc.client_id, 'wrong-secret'));
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ error: 'invalid_client' });
    expect(wrong.json().error_description).toBeTruthy();
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic /);
    const unknown = await api.token({ grant_type: 'client_credentials' }, basic('no-such-client', 'whatever'));
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().error).toBe('invalid_client');
    const none = await api.token({ grant_type: 'client_credentials' });
    expect(none.statusCode).toBe(401);
    expect(none.json().error).toBe('invalid_client');
    const unsupported = await api.token({ grant_type: 'password', username: 'a', password: 'b' }, basic(svc.client_id, svc.client_secret));
    expect(unsupported.statusCode).toBe(400);
    expect(unsupported.json().error).toBe('unsupported_grant_type');
    const missing = await api.token({}, basic(svc.client_id, svc.client_secret));
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toBe('invalid_request');
    const scope = await api.token({ grant_type: 'client_credentials', scope: 'read admin' }, basic(svc.client_id, svc.client_secret));
    expect(scope.statusCode).toBe(400);
    expect(scope.json().error).toBe('invalid_scope');
    const aud = await api.token({ grant_type: 'client_credentials', audience: 'https://evil.example.com' }, basic(svc.client_id, svc.client_secret));
    expect(aud.statusCode).toBe(400);
    expect(aud.json().error).toBe('invalid_request');
    const grant = await api.token({ grant_type: 'refresh_token', refresh_token: 'x' }, basic(svc.client_id, svc.client_secret));
    expect(grant.statusCode).toBe(400);
    expect(grant.json().error).toBe('unauthorized_client');
    const codeOnly = await api.createClient({ grant_types: ['authorization_code'] });
    const disallowed = await api.token({ grant_type: 'client_credentials' }, basic(codeOnly.client_id, codeOnly.client_secret));
    expect(disallowed.statusCode).toBe(400);
    expect(disallowed.json().error).toBe('unauthorized_client');
    const dup = await api.token({ grant_type: ['client_credentials', 'client_credentials'] }, basic(svc.client_id, svc.client_secret));
    expect(dup.statusCode).toBe(400);
    expect(dup.json().error).toBe('invalid_request');
    const badCode = await api.token({ grant_type: 'authorization_code', code: 'nope' }, basic(codeOnly.client_id, codeOnly.client_secret));
    expect(badCode.statusCode).toBe(400);
    expect(badCode.json().error).toBe('invalid_grant');
    const garbage = [
      { headers: { authorization: 'Basic !!!!' }, payload: 'grant_type=client_credentials' },
      { headers: { authorization: 'Basic ' + Buffer.from('%zz:%zz').toString('base64') }, payload: 'grant_type=client_credentials' },
      { headers: { authorization: 'Bearer nonsense' }, payload: '' },
      { headers: { 'content-type': 'application/json' }, payload: '{"grant_type":"client_credentials"}' },
      { headers: { 'content-type': 'application/json' }, payload: '[1,2]' },
      { headers: { 'content-type': 'text/plain' }, payload: 'hello' },
    ];
    for (const g of garbage) {
      const res = await ctx.app.inject({ method: 'POST', url: `${api.base}/oauth2/token`, headers: { 'content-type': 'application/x-www-form-urlencoded', ...g.headers }, payload: g.payload });
      expect(res.statusCode, JSON.stringify(g)).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, JSON.stringify(g)).toBeLessThan(500);
    }
    // Errors raised before the handler (content type, body size) keep RFC 6749's shape too.
    for (const g of [
      { headers: { 'content-type': 'multipart/form-data; boundary=x' }, payload: '--x--' },
      { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=client_credentials&scope=' + 'a'.repeat(2 * 1024 * 1024) },
    ]) {
      const res = await ctx.app.inject({ method: 'POST', url: `${api.base}/oauth2/token`, headers: g.headers, payload: g.payload });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.json(), res.body).toMatchObject({ error: 'invalid_request', error_description: expect.any(String) });
      expect(res.json().error_description).not.toMatch(/ $/);
    }
    expect(none.json().error_description).not.toMatch(/ $/);
  });

  it('reports expiry: an expired token is inactive', async () => {
    const short = await api.createClient({ grant_types: ['client_credentials'], client_credentials_grant_access_token_lifespan: '1ms' });
    const tok = (await api.token({ grant_type: 'client_credentials' }, basic(short.client_id, short.client_secret))).json().access_token;
    await new Promise((r) => setTimeout(r, 5));
    expect((await api.introspect(tok)).json()).toEqual({ active: false });
  });

  it('purges long-expired tokens and keeps live ones', async () => {
    const c = await api.createClient({ grant_types: ['client_credentials'] });
    const old = (await api.token({ grant_type: 'client_credentials' }, basic(c.client_id, c.client_secret))).json().access_token;
    const live = (await api.token({ grant_type: 'client_credentials' }, basic(c.client_id, c.client_secret))).json().access_token;
    const o = ctx.registry.oauth2.tokens;
    await ctx.registry.db.updateTable('oauth2_tokens').set({ expires_at: new Date(Date.now() - 3 * 86_400_000).toISOString() }).where('project_id', '=', t.projectId).where('hash', '=', o.hash(old)).execute();
    await o.purgeExpired(t.projectId);
    const left = await ctx.registry.db.selectFrom('oauth2_tokens').select('hash').where('project_id', '=', t.projectId).where('hash', 'in', [o.hash(old), o.hash(live)]).execute();
    expect(left.map((r) => r.hash)).toEqual([o.hash(live)]);
  });

  it('purges a project\'s long-expired rows on its first issuance on a node, then not again within the interval', async () => {
    const t2 = await seedTenant(ctx.registry, 'janitor');
    const api2 = oauth(ctx.app, t2);
    const c = await api2.createClient({ grant_types: ['client_credentials'] });
    const expired = (id: string) => ({
      id, project_id: t2.projectId, hash: `expired-${id}`, kind: 'access_token' as const, request_id: id, client_id: c.client_id, subject: c.client_id, scope: '',
      audience: '[]', session: '{}', issuer: 'x', grant_type: 'client_credentials', created_at: '2020-01-01T00:00:00.000Z', expires_at: '2020-01-01T01:00:00.000Z', revoked_at: null, used_at: null,
    });
    const remaining = async () => (await ctx.registry.db.selectFrom('oauth2_tokens').select('id').where('project_id', '=', t2.projectId).where('hash', 'like', 'expired-%').execute()).map((r) => r.id);
    await ctx.registry.db.insertInto('oauth2_tokens').values(expired('j1')).execute();
    expect((await api2.token({ grant_type: 'client_credentials' }, basic(c.client_id, c.client_secret))).statusCode).toBe(200);
    for (let i = 0; i < 100 && (await remaining()).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await remaining()).toEqual([]);
    await ctx.registry.db.insertInto('oauth2_tokens').values(expired('j2')).execute();
    for (let i = 0; i < 5; i++) expect((await api2.token({ grant_type: 'client_credentials' }, basic(c.client_id, c.client_secret))).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(await remaining()).toEqual(['j2']);
  });

  it('revokes tokens (RFC 7009) for the owning client only', async () => {
    const other = await api.createClient({ grant_types: ['client_credentials'] });
    const tok = (await api.token({ grant_type: 'client_credentials' }, basic(svc.client_id, svc.client_secret))).json().access_token;
    const revoke = (headers: Record<string, string>, token: string) =>
      ctx.app.inject({ method: 'POST', url: `${api.base}/oauth2/revoke`, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: form({ token }) });
    expect((await revoke(basic(svc.client_id, 'wrong'), tok)).statusCode).toBe(401);
    expect((await revoke(basic(other.client_id, other.client_secret), tok)).statusCode).toBe(200);
    expect((await api.introspect(tok)).json().active).toBe(true);
    expect((await revoke(basic(svc.client_id, svc.client_secret), tok)).statusCode).toBe(200);
    expect((await api.introspect(tok)).json()).toEqual({ active: false });
    expect((await revoke(basic(svc.client_id, svc.client_secret), 'unknown-token')).statusCode).toBe(200);
    const noToken = await ctx.app.inject({ method: 'POST', url: `${api.base}/oauth2/revoke`, headers: { 'content-type': 'application/x-www-form-urlencoded', ...basic(svc.client_id, svc.client_secret) }, payload: '' });
    expect(noToken.statusCode).toBe(400);
    expect(noToken.json().error).toBe('invalid_request');
  });

  it("deletes a client's tokens through the admin API", async () => {
    const c = await api.createClient({ grant_types: ['client_credentials'] });
    const a = (await api.token({ grant_type: 'client_credentials' }, basic(c.client_id, c.client_secret))).json().access_token;
    const keep = (await api.token({ grant_type: 'client_credentials' }, basic(svc.client_id, svc.client_secret))).json().access_token;
    expect((await api.admin('DELETE', `/admin/oauth2/tokens?client_id=${encodeURIComponent(c.client_id)}`)).statusCode).toBe(204);
    expect((await api.introspect(a)).json().active).toBe(false);
    expect((await api.introspect(keep)).json().active).toBe(true);
    expect((await api.admin('DELETE', `/admin/oauth2/tokens`)).statusCode).toBe(400);
  });

  it("takes token lifespans from the project's oauth2 config, unless the client overrides them", async () => {
    const ttl = await ctx.app.inject({ method: 'PATCH', url: `/projects/${t.projectId}`, headers: bearer(t.workspaceKey), payload: [{ op: 'replace', path: '/services/oauth2/config/ttl/access_token', value: '2h' }] });
    expect(ttl.statusCode).toBe(200);
    const res = await api.token({ grant_type: 'client_credentials' }, basic(svc.client_id, svc.client_secret));
    expect(res.json().expires_in).toBe(7200);
    const intro = (await api.introspect(res.json().access_token)).json();
    expect(intro.exp - intro.iat).toBe(7200);
    await ctx.app.inject({ method: 'PATCH', url: `/projects/${t.projectId}`, headers: bearer(t.workspaceKey), payload: [{ op: 'replace', path: '/services/oauth2/config/ttl/access_token', value: '1h' }] });
  });

  it('issues JWT access tokens signed with the project key when the strategy says jwt', async () => {
    const patch = await ctx.app.inject({ method: 'PATCH', url: `/projects/${t.projectId}`, headers: bearer(t.workspaceKey), payload: [{ op: 'replace', path: '/services/oauth2/config/strategies/access_token', value: 'jwt' }] });
    expect(patch.statusCode).toBe(200);
    const res = await api.token({ grant_type: 'client_credentials', scope: 'read write', audience: 'https://api.example.com' }, basic(svc.client_id, svc.client_secret));
    expect(res.statusCode).toBe(200);
    const jwt = res.json().access_token as string;
    expect(jwt.split('.')).toHaveLength(3);
    const discovery = (await ctx.app.inject({ method: 'GET', url: `${api.base}/.well-known/openid-configuration` })).json();
    const jwks = (await ctx.app.inject({ method: 'GET', url: `${api.base}/.well-known/jwks.json` })).json();
    for (const k of jwks.keys) for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(k).not.toHaveProperty(priv);
    const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(jwks), { issuer: discovery.issuer, audience: 'https://api.example.com' });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ sub: svc.client_id, client_id: svc.client_id, scp: ['read', 'write'] });
    const intro = (await api.introspect(jwt)).json();
    expect(intro).toMatchObject({ active: true, client_id: svc.client_id, scope: 'read write', iss: discovery.issuer });
    expect(intro.exp).toBe(payload.exp);
    // Revocation and expiry apply to JWTs too.
    await ctx.app.inject({ method: 'POST', url: `${api.base}/oauth2/revoke`, headers: { 'content-type': 'application/x-www-form-urlencoded', ...basic(svc.client_id, svc.client_secret) }, payload: form({ token: jwt }) });
    expect((await api.introspect(jwt)).json().active).toBe(false);
    // A client may override the strategy.
    const opaque = await api.createClient({ grant_types: ['client_credentials'], access_token_strategy: 'opaque' });
    expect((await api.token({ grant_type: 'client_credentials' }, basic(opaque.client_id, opaque.client_secret))).json().access_token).toMatch(/^ory_at_/);
    expect(decodeJwt(jwt).iss).toBe(discovery.issuer);
  });

  it('rate-limits token endpoint failures per client, shared through the store', async () => {
    const victim = await api.createClient({ grant_types: ['client_credentials'] });
    const bystander = await api.createClient({ grant_types: ['client_credentials'] });
    for (let i = 0; i < 10; i++) {
      expect((await api.token({ grant_type: 'client_credentials' }, basic(victim.client_id, `wrong-${i}`))).statusCode).toBe(401);
    }
    const limited = await api.token({ grant_type: 'client_credentials' }, basic(victim.client_id, victim.client_secret));
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toBe('too_many_requests');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await api.token({ grant_type: 'client_credentials' }, basic(bystander.client_id, bystander.client_secret))).statusCode).toBe(200);
    const rows = await ctx.registry.db.selectFrom('oauth2_rate_limits').selectAll().where('project_id', '=', t.projectId).where('bucket', '=', victim.client_id).execute();
    expect(rows.reduce((n, r) => n + Number(r.hits), 0)).toBe(10);
    // Revocation shares the limit: it cannot be used to keep guessing the secret.
    const revoke = await ctx.app.inject({ method: 'POST', url: `${api.base}/oauth2/revoke`, headers: { 'content-type': 'application/x-www-form-urlencoded', ...basic(victim.client_id, 'guess') }, payload: form({ token: 'x' }) });
    expect(revoke.statusCode).toBe(429);
    const other = await api.createClient({ grant_types: ['client_credentials'] });
    for (let i = 0; i < 10; i++) {
      const r = await ctx.app.inject({ method: 'POST', url: `${api.base}/oauth2/revoke`, headers: { 'content-type': 'application/x-www-form-urlencoded', ...basic(other.client_id, `guess-${i}`) }, payload: form({ token: 'x' }) });
      expect(r.statusCode).toBe(401);
    }
    expect((await api.token({ grant_type: 'client_credentials' }, basic(other.client_id, other.client_secret))).statusCode).toBe(429);
  });
});
