import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { LightMyRequestResponse } from 'fastify';
import { bearer, createTestContext, dialectName, seedTenant, type Tenant, type TestContext } from '../helpers/context.js';
import { Jar, basic, oauth, pkce } from './helpers.js';

const REDIRECT = 'https://app.example.com/callback';

describe(`oauth2 authorization code flow (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  let api: ReturnType<typeof oauth>;
  let web: { client_id: string; client_secret: string };
  let spa: { client_id: string };
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry, 'flow');
    api = oauth(ctx.app, t);
    // Custom login and consent UIs, as a project configures them.
    const patch = await ctx.app.inject({
      method: 'PATCH', url: `/projects/${t.projectId}`, headers: bearer(t.workspaceKey),
      payload: [
        { op: 'replace', path: '/services/oauth2/config/urls/login', value: 'https://login.example.com/login' },
        { op: 'replace', path: '/services/oauth2/config/urls/consent', value: 'https://login.example.com/consent' },
      ],
    });
    expect(patch.statusCode).toBe(200);
    web = await api.createClient({ grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], redirect_uris: [REDIRECT], scope: 'openid offline_access profile' });
    spa = await api.createClient({ grant_types: ['authorization_code'], redirect_uris: [REDIRECT], scope: 'openid', token_endpoint_auth_method: 'none' });
  });
  afterAll(() => ctx.close());

  const get = (jar: Jar, url: string) => ctx.app.inject({ method: 'GET', url: url.replace(/^https?:\/\/[^/]+/, ''), headers: { cookie: jar.header() } });
  const location = (res: LightMyRequestResponse) => new URL(String(res.headers.location));
  const authUrl = (params: Record<string, string>) => `${api.base}/oauth2/auth?${new URLSearchParams(params)}`;

  /** Runs /oauth2/auth up to the login challenge. */
  async function startFlow(jar: Jar, params: Record<string, string>) {
    const res = await get(jar, authUrl(params));
    expect(res.statusCode, res.body).toBe(302);
    jar.store(res.headers['set-cookie']);
    const loc = location(res);
    expect(loc.origin + loc.pathname).toBe('https://login.example.com/login');
    return loc.searchParams.get('login_challenge')!;
  }

  it('runs login, consent, code exchange with PKCE, ID token, userinfo and refresh', async () => {
    const jar = new Jar();
    const { verifier, challenge } = pkce();
    const loginChallenge = await startFlow(jar, { client_id: web.client_id, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid offline_access', state: 'state-123456', nonce: 'nonce-abc', code_challenge: challenge, code_challenge_method: 'S256' });

    const loginReq = await api.admin('GET', `/admin/oauth2/auth/requests/login?login_challenge=${loginChallenge}`);
    expect(loginReq.statusCode).toBe(200);
    expect(loginReq.json()).toMatchObject({ challenge: loginChallenge, skip: false, requested_scope: ['openid', 'offline_access'], client: { client_id: web.client_id } });
    expect(loginReq.json().client).not.toHaveProperty('client_secret');
    const accepted = await api.admin('PUT', `/admin/oauth2/auth/requests/login/accept?login_challenge=${loginChallenge}`, { subject: 'user-42', amr: ['pwd'] });
    expect(accepted.statusCode).toBe(200);
    // A second accept, and the login request after it, say it was handled.
    expect((await api.admin('PUT', `/admin/oauth2/auth/requests/login/accept?login_challenge=${loginChallenge}`, { subject: 'x' })).statusCode).toBe(409);
    expect((await api.admin('GET', `/admin/oauth2/auth/requests/login?login_challenge=${loginChallenge}`)).statusCode).toBe(410);

    const toConsent = await get(jar, accepted.json().redirect_to);
    expect(toConsent.statusCode).toBe(302);
    const consentChallenge = location(toConsent).searchParams.get('consent_challenge')!;
    expect(location(toConsent).origin).toBe('https://login.example.com');
    const consentReq = await api.admin('GET', `/admin/oauth2/auth/requests/consent?consent_challenge=${consentChallenge}`);
    expect(consentReq.json()).toMatchObject({ challenge: consentChallenge, subject: 'user-42', requested_scope: ['openid', 'offline_access'], amr: ['pwd'] });
    const consent = await api.admin('PUT', `/admin/oauth2/auth/requests/consent/accept?consent_challenge=${consentChallenge}`, {
      grant_scope: ['openid', 'offline_access'], session: { id_token: { email: 'u@example.com' }, access_token: { role: 'admin' } },
    });
    expect(consent.statusCode).toBe(200);

    const back = await get(jar, consent.json().redirect_to);
    expect(back.statusCode).toBe(302);
    const cb = location(back);
    expect(cb.origin + cb.pathname).toBe(REDIRECT);
    expect(cb.searchParams.get('state')).toBe('state-123456');
    const code = cb.searchParams.get('code')!;
    expect(code).toBeTruthy();

    // Wrong verifier first: refused, and the code stays unusable only once consumed.
    const wrong = await api.token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: pkce().verifier }, basic(web.client_id, web.client_secret));
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error).toBe('invalid_grant');
    const tok = await api.token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, basic(web.client_id, web.client_secret));
    expect(tok.statusCode, tok.body).toBe(200);
    const tokens = tok.json();
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'openid offline_access' });
    expect(tokens.refresh_token).toMatch(/^ory_rt_/);

    const jwks = createLocalJWKSet((await ctx.app.inject({ method: 'GET', url: `${api.base}/.well-known/jwks.json` })).json());
    const issuer = (await ctx.app.inject({ method: 'GET', url: `${api.base}/.well-known/openid-configuration` })).json().issuer;
    const { payload } = await jwtVerify(tokens.id_token, jwks, { issuer, audience: web.client_id });
    expect(payload).toMatchObject({ sub: 'user-42', nonce: 'nonce-abc', email: 'u@example.com', amr: ['pwd'] });
    expect(payload.at_hash).toBeTruthy();

    const intro = (await api.introspect(tokens.access_token)).json();
    expect(intro).toMatchObject({ active: true, sub: 'user-42', client_id: web.client_id, ext: { role: 'admin' } });
    const info = await ctx.app.inject({ method: 'GET', url: `${api.base}/userinfo`, headers: bearer(tokens.access_token) });
    expect(info.statusCode).toBe(200);
    expect(info.json()).toEqual({ sub: 'user-42', email: 'u@example.com' });
    expect((await ctx.app.inject({ method: 'GET', url: `${api.base}/userinfo` })).statusCode).toBe(401);
    expect((await ctx.app.inject({ method: 'GET', url: `${api.base}/userinfo`, headers: bearer('nope') })).statusCode).toBe(401);

    // Code replay: refused, and the tokens issued from it are revoked.
    const replay = await api.token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, basic(web.client_id, web.client_secret));
    expect(replay.json().error).toBe('invalid_grant');
    expect((await api.introspect(tokens.access_token)).json().active).toBe(false);
  });

  it('refreshes with rotation and revokes the chain when a refresh token is reused', async () => {
    const { tokens } = await fullFlow(['openid', 'offline_access']);
    const r1 = await api.token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, basic(web.client_id, web.client_secret));
    expect(r1.statusCode, r1.body).toBe(200);
    const fresh = r1.json();
    expect(fresh.refresh_token).not.toBe(tokens.refresh_token);
    expect(fresh.id_token).toBeTruthy();
    expect((await api.introspect(tokens.access_token)).json().active).toBe(false);
    expect((await api.introspect(fresh.access_token)).json()).toMatchObject({ active: true, sub: 'user-7' });
    expect((await api.introspect(fresh.refresh_token)).json()).toMatchObject({ active: true, token_use: 'refresh_token' });
    const reuse = await api.token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, basic(web.client_id, web.client_secret));
    expect(reuse.statusCode).toBe(400);
    expect(reuse.json().error).toBe('invalid_grant');
    expect((await api.introspect(fresh.access_token)).json().active).toBe(false);
    expect((await api.introspect(fresh.refresh_token)).json().active).toBe(false);
  });

  it('issues no refresh token without offline scope, and a public client uses PKCE without a secret', async () => {
    const jar = new Jar();
    const { verifier, challenge } = pkce();
    const lc = await startFlow(jar, { client_id: spa.client_id, response_type: 'code', scope: 'openid', state: 'spa-state-1', code_challenge: challenge, code_challenge_method: 'S256' });
    const a = await api.admin('PUT', `/admin/oauth2/auth/requests/login/accept?login_challenge=${lc}`, { subject: 'spa-user' });
    const cc = location(await get(jar, a.json().redirect_to)).searchParams.get('consent_challenge')!;
    const c = await api.admin('PUT', `/admin/oauth2/auth/requests/consent/accept?consent_challenge=${cc}`, { grant_scope: ['openid'] });
    const code = location(await get(jar, c.json().redirect_to)).searchParams.get('code')!;
    const noVerifier = await api.token({ grant_type: 'authorization_code', code, client_id: spa.client_id });
    expect(noVerifier.json().error).toBe('invalid_grant');
    // A failed exchange does not burn the code; the right verifier still works.
    const tok = await api.token({ grant_type: 'authorization_code', code, client_id: spa.client_id, code_verifier: verifier });
    expect(tok.statusCode, tok.body).toBe(200);
    expect(tok.json()).not.toHaveProperty('refresh_token');
    expect(tok.json().id_token).toBeTruthy();
  });

  it('sends authorization errors back to the client, and refuses unsafe redirects without redirecting', async () => {
    const jar = new Jar();
    const unknownClient = await get(jar, authUrl({ client_id: 'nope', response_type: 'code', state: 'abcdefghij' }));
    expect(unknownClient.statusCode).toBe(401);
    expect(unknownClient.json().error).toBe('invalid_client');
    const badRedirect = await get(jar, authUrl({ client_id: web.client_id, response_type: 'code', redirect_uri: 'https://evil.example.com/cb', state: 'abcdefghij' }));
    expect(badRedirect.statusCode).toBe(400);
    expect(badRedirect.headers.location).toBeUndefined();
    const cases: [Record<string, string>, string][] = [
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ scope: 'openid admin' }, 'invalid_scope'],
      [{ state: 'short' }, 'invalid_state'],
      [{ code_challenge: pkce().challenge, code_challenge_method: 'plain' }, 'invalid_request'],
    ];
    for (const [override, error] of cases) {
      const res = await get(jar, authUrl({ client_id: web.client_id, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid', state: 'state-abcdef', ...override }));
      expect(res.statusCode).toBe(302);
      const loc = location(res);
      expect(loc.origin + loc.pathname).toBe(REDIRECT);
      expect(loc.searchParams.get('error'), JSON.stringify(override)).toBe(error);
    }
    const noPkce = await get(jar, authUrl({ client_id: spa.client_id, response_type: 'code', scope: 'openid', state: 'state-abcdef' }));
    expect(location(noPkce).searchParams.get('error')).toBe('invalid_request');
  });

  it('redirects a rejected login or consent back with access_denied', async () => {
    const jar = new Jar();
    const lc = await startFlow(jar, { client_id: web.client_id, response_type: 'code', scope: 'openid', state: 'reject-state' });
    const rej = await api.admin('PUT', `/admin/oauth2/auth/requests/login/reject?login_challenge=${lc}`, { error: 'access_denied', error_description: 'nope' });
    expect(rej.statusCode).toBe(200);
    const back = location(await get(jar, rej.json().redirect_to));
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe('reject-state');

    const jar2 = new Jar();
    const lc2 = await startFlow(jar2, { client_id: web.client_id, response_type: 'code', scope: 'openid', state: 'reject-state2' });
    const a = await api.admin('PUT', `/admin/oauth2/auth/requests/login/accept?login_challenge=${lc2}`, { subject: 'u' });
    const cc = location(await get(jar2, a.json().redirect_to)).searchParams.get('consent_challenge')!;
    const rc = await api.admin('PUT', `/admin/oauth2/auth/requests/consent/reject?consent_challenge=${cc}`, {});
    const back2 = location(await get(jar2, rc.json().redirect_to));
    expect(back2.searchParams.get('error')).toBe('access_denied');
  });

  it('binds the flow to the browser that started it (CSRF cookie)', async () => {
    const jar = new Jar();
    const lc = await startFlow(jar, { client_id: web.client_id, response_type: 'code', scope: 'openid', state: 'csrf-state' });
    const a = await api.admin('PUT', `/admin/oauth2/auth/requests/login/accept?login_challenge=${lc}`, { subject: 'u' });
    const stranger = await get(new Jar(), a.json().redirect_to);
    expect(stranger.statusCode).toBe(403);
    expect(stranger.json().error).toBe('request_forbidden');
    expect((await get(jar, a.json().redirect_to)).statusCode).toBe(302);
    expect((await api.admin('GET', '/admin/oauth2/auth/requests/login?login_challenge=unknown')).statusCode).toBe(404);
    expect((await api.admin('GET', '/admin/oauth2/auth/requests/consent?consent_challenge=unknown')).statusCode).toBe(404);
    expect((await api.admin('PUT', '/admin/oauth2/auth/requests/login/accept?login_challenge=unknown', { subject: 'x' })).statusCode).toBe(404);
    expect((await api.admin('PUT', `/admin/oauth2/auth/requests/login/accept?login_challenge=${lc}`, {})).statusCode).toBe(400);
  });

  it('accepts the login from a session of the project identity plane when no login UI is configured', async () => {
    const t2 = await seedTenant(ctx.registry, 'sso');
    const api2 = oauth(ctx.app, t2);
    const project = (await ctx.registry.projects.bySlug(t2.projectSlug))!;
    const identity = await ctx.registry.identities.create(project, { traits: { email: `sso-${Date.now()}@example.com` } });
    const { token } = await ctx.registry.sessions.issue(project, identity.id, { methods: [{ method: 'password', aal: 'aal1', completed_at: new Date().toISOString() }] });
    const c = await api2.createClient({ grant_types: ['authorization_code'], redirect_uris: [REDIRECT], scope: 'openid', skip_consent: true });
    const jar = new Jar();
    jar.set('ory_kratos_session', token);
    const { verifier, challenge } = pkce();
    const res = await ctx.app.inject({ method: 'GET', url: `${api2.base}/oauth2/auth?${new URLSearchParams({ client_id: c.client_id, response_type: 'code', scope: 'openid', state: 'session-state', code_challenge: challenge, code_challenge_method: 'S256' })}`, headers: { cookie: jar.header() } });
    expect(res.statusCode).toBe(302);
    const loc = location(res);
    expect(loc.origin + loc.pathname).toBe(REDIRECT);
    const code = loc.searchParams.get('code')!;
    const tok = await api2.token({ grant_type: 'authorization_code', code, code_verifier: verifier }, basic(c.client_id, c.client_secret));
    expect(tok.statusCode, tok.body).toBe(200);
    expect((await api2.introspect(tok.json().access_token)).json().sub).toBe(identity.id);
    // Without a session the browser goes to the project's login UI.
    const anon = await ctx.app.inject({ method: 'GET', url: `${api2.base}/oauth2/auth?${new URLSearchParams({ client_id: c.client_id, response_type: 'code', scope: 'openid', state: 'session-state', code_challenge: challenge, code_challenge_method: 'S256' })}` });
    expect(location(anon).pathname).toBe(`/p/${t2.projectSlug}/ui/login`);
  });

  it('remembers login and consent: later flows report skip, and revoking the sessions ends it', async () => {
    const jar = new Jar();
    const base = { client_id: web.client_id, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid' };
    const lc = await startFlow(jar, { ...base, state: 'remember-1' });
    expect((await api.admin('GET', `/admin/oauth2/auth/requests/login?login_challenge=${lc}`)).json()).toMatchObject({ skip: false, subject: '' });
    const a1 = await api.admin('PUT', `/admin/oauth2/auth/requests/login/accept?login_challenge=${lc}`, { subject: 'rem-user', remember: true, remember_for: 3600 });
    const toConsent = await get(jar, a1.json().redirect_to);
    jar.store(toConsent.headers['set-cookie']);
    const cc = location(toConsent).searchParams.get('consent_challenge')!;
    expect((await api.admin('GET', `/admin/oauth2/auth/requests/consent?consent_challenge=${cc}`)).json().skip).toBe(false);
    const c1 = await api.admin('PUT', `/admin/oauth2/auth/requests/consent/accept?consent_challenge=${cc}`, { grant_scope: ['openid'], remember: true, remember_for: 3600 });
    const code = location(await get(jar, c1.json().redirect_to)).searchParams.get('code')!;
    const tokens = (await api.token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT }, basic(web.client_id, web.client_secret))).json();
    expect((await api.introspect(tokens.access_token)).json().active).toBe(true);

    // Same browser, second flow: the login UI is told to skip, and must keep the subject.
    const lc2 = await startFlow(jar, { ...base, state: 'remember-2' });
    const lr2 = (await api.admin('GET', `/admin/oauth2/auth/requests/login?login_challenge=${lc2}`)).json();
    expect(lr2).toMatchObject({ skip: true, subject: 'rem-user' });
    const wrongSubject = await api.acceptLogin(lc2, { subject: 'someone-else' });
    expect(wrongSubject.statusCode).toBe(400);
    expect(wrongSubject.json().error.reason).toBe("Field 'subject' does not match subject from previous authentication.");
    const a2 = await api.admin('PUT', `/admin/oauth2/auth/requests/login/accept?login_challenge=${lc2}`, { subject: 'rem-user' });
    const cc2 = location(await get(jar, a2.json().redirect_to)).searchParams.get('consent_challenge')!;
    expect((await api.admin('GET', `/admin/oauth2/auth/requests/consent?consent_challenge=${cc2}`)).json()).toMatchObject({ skip: true, login_session_id: lr2.session_id });
    // Accepting the skipped screen again (remembered) does not add a second consent session (Hydra).
    const c2 = await api.admin('PUT', `/admin/oauth2/auth/requests/consent/accept?consent_challenge=${cc2}`, { grant_scope: ['openid'], remember: true, remember_for: 3600 });
    expect(c2.statusCode, c2.body).toBe(200);
    // Another browser is not remembered.
    const other = new Jar();
    const lc3 = await startFlow(other, { ...base, state: 'remember-3' });
    expect((await api.admin('GET', `/admin/oauth2/auth/requests/login?login_challenge=${lc3}`)).json().skip).toBe(false);

    const list = await api.admin('GET', '/admin/oauth2/auth/sessions/consent?subject=rem-user');
    expect(list.statusCode).toBe(200);
    expect(list.json()).toHaveLength(1);
    expect(list.json()[0]).toMatchObject({ grant_scope: ['openid'], remember: true, remember_for: 3600, consent_request: { skip: false, client: { client_id: web.client_id } } });
    expect((await api.admin('DELETE', '/admin/oauth2/auth/sessions/consent?subject=rem-user')).statusCode).toBe(400);
    expect((await api.admin('DELETE', `/admin/oauth2/auth/sessions/consent?subject=rem-user&client=${web.client_id}`)).statusCode).toBe(204);
    expect((await api.introspect(tokens.access_token)).json().active).toBe(false);
    expect((await api.admin('GET', '/admin/oauth2/auth/sessions/consent?subject=rem-user')).json()).toEqual([]);

    expect((await api.admin('DELETE', '/admin/oauth2/auth/sessions/login')).statusCode).toBe(400);
    expect((await api.admin('DELETE', '/admin/oauth2/auth/sessions/login?subject=rem-user')).statusCode).toBe(204);
    const lc4 = await startFlow(jar, { ...base, state: 'remember-4' });
    expect((await api.admin('GET', `/admin/oauth2/auth/requests/login?login_challenge=${lc4}`)).json().skip).toBe(false);

    // Remember again, then log out from this browser: the remembered login ends with it.
    const a5 = await api.admin('PUT', `/admin/oauth2/auth/requests/login/accept?login_challenge=${lc4}`, { subject: 'rem-user', remember: true });
    jar.store((await get(jar, a5.json().redirect_to)).headers['set-cookie']);
    const lc6 = await startFlow(jar, { ...base, state: 'remember-6' });
    expect((await api.admin('GET', `/admin/oauth2/auth/requests/login?login_challenge=${lc6}`)).json().skip).toBe(true);
    const out = await get(jar, `${api.base}/oauth2/sessions/logout`);
    const logoutChallenge = new URL(String(out.headers.location)).searchParams.get('logout_challenge')!;
    expect((await api.admin('GET', `/admin/oauth2/auth/requests/logout?logout_challenge=${logoutChallenge}`)).json()).toMatchObject({ subject: 'rem-user', rp_initiated: false });
    const acc = await api.admin('PUT', `/admin/oauth2/auth/requests/logout/accept?logout_challenge=${logoutChallenge}`);
    jar.store((await get(jar, acc.json().redirect_to)).headers['set-cookie']);
    const lc7 = await startFlow(jar, { ...base, state: 'remember-7' });
    expect((await api.admin('GET', `/admin/oauth2/auth/requests/login?login_challenge=${lc7}`)).json().skip).toBe(false);
  });

  it('lists a remembered consent only until its remember_for runs out (Hydra)', async () => {
    const jar = new Jar();
    const lc = await startFlow(jar, { client_id: web.client_id, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid', state: 'expiring-1' });
    const login = await api.acceptLogin(lc, { subject: 'expiring-user' });
    const toConsent = await get(jar, login.json().redirect_to);
    jar.store(toConsent.headers['set-cookie']);
    const cc = location(toConsent).searchParams.get('consent_challenge')!;
    expect((await api.acceptConsent(cc, { grant_scope: ['openid'], remember: true, remember_for: 1 })).statusCode).toBe(200);
    const list = () => api.admin('GET', '/admin/oauth2/auth/sessions/consent?subject=expiring-user');
    expect((await list()).json()).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await list()).json()).toEqual([]);
  });

  /** A browser that logged in and consented once, both remembered: the first flow of Hydra's remember path. */
  async function rememberedBrowser(subject: string, scope = 'openid') {
    const jar = new Jar();
    const lc = await startFlow(jar, { client_id: web.client_id, response_type: 'code', redirect_uri: REDIRECT, scope, state: `first-${subject}` });
    const first = (await api.loginRequest(lc)).json();
    expect(first).toMatchObject({ skip: false, subject: '' });
    const login = await api.acceptLogin(lc, { subject, remember: true, remember_for: 3600 });
    expect(login.statusCode, login.body).toBe(200);
    const toConsent = await get(jar, login.json().redirect_to);
    jar.store(toConsent.headers['set-cookie']);
    const cc = location(toConsent).searchParams.get('consent_challenge')!;
    expect((await api.consentRequest(cc)).json().skip).toBe(false);
    const consent = await api.acceptConsent(cc, { grant_scope: scope.split(' '), remember: true, remember_for: 3600 });
    expect(location(await get(jar, consent.json().redirect_to)).searchParams.get('code')).toBeTruthy();
    return { jar, sessionId: first.session_id as string };
  }

  it('sends a remembered login to the login UI with skip=true; confirming it and a skipped consent gives the code', async () => {
    const { jar, sessionId } = await rememberedBrowser('skip-user');
    const { verifier, challenge } = pkce();
    // Like Hydra, the login UI always gets a challenge; it is told to skip and who was remembered.
    const lc = await startFlow(jar, { client_id: web.client_id, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid', state: 'skip-state-1', code_challenge: challenge, code_challenge_method: 'S256' });
    const lr = await api.loginRequest(lc);
    expect(lr.statusCode).toBe(200);
    expect(lr.json()).toMatchObject({ challenge: lc, skip: true, subject: 'skip-user', requested_scope: ['openid'], session_id: sessionId, client: { client_id: web.client_id } });
    expect(lr.json().client).not.toHaveProperty('client_secret');

    // Another subject is refused and leaves the request pending; the remembered one is confirmed.
    const wrong = await api.acceptLogin(lc, { subject: 'not-skip-user' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.reason).toBe("Field 'subject' does not match subject from previous authentication.");
    expect((await api.loginRequest(lc)).json().skip).toBe(true);
    const accepted = await api.acceptLogin(lc, { subject: 'skip-user' });
    expect(accepted.statusCode, accepted.body).toBe(200);

    const toConsent = await get(jar, accepted.json().redirect_to);
    expect(toConsent.statusCode).toBe(302);
    expect(location(toConsent).origin + location(toConsent).pathname).toBe('https://login.example.com/consent');
    const cc = location(toConsent).searchParams.get('consent_challenge')!;
    const cr = (await api.consentRequest(cc)).json();
    expect(cr).toMatchObject({ skip: true, subject: 'skip-user', requested_scope: ['openid'], login_session_id: sessionId });
    // The consent UI accepts a skipped consent without asking the user.
    const consent = await api.acceptConsent(cc, { grant_scope: cr.requested_scope, grant_access_token_audience: cr.requested_access_token_audience });
    const cb = location(await get(jar, consent.json().redirect_to));
    expect(cb.origin + cb.pathname).toBe(REDIRECT);
    expect(cb.searchParams.get('state')).toBe('skip-state-1');
    const tok = await api.token({ grant_type: 'authorization_code', code: cb.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: verifier }, basic(web.client_id, web.client_secret));
    expect(tok.statusCode, tok.body).toBe(200);
    expect((await api.introspect(tok.json().access_token)).json()).toMatchObject({ active: true, sub: 'skip-user' });
    const jwks = createLocalJWKSet((await ctx.app.inject({ method: 'GET', url: `${api.base}/.well-known/jwks.json` })).json());
    const { payload } = await jwtVerify(tok.json().id_token, jwks, { audience: web.client_id });
    expect(payload.sid).toBe(sessionId);

    // A scope the remembered consent did not grant is asked for again.
    const lc2 = await startFlow(jar, { client_id: web.client_id, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid profile', state: 'skip-state-2' });
    const a2 = await api.acceptLogin(lc2, { subject: 'skip-user' });
    const cc2 = location(await get(jar, a2.json().redirect_to)).searchParams.get('consent_challenge')!;
    expect((await api.consentRequest(cc2)).json()).toMatchObject({ skip: false, requested_scope: ['openid', 'profile'] });
  });

  it('asks again on prompt=login or prompt=consent; a new login that is not remembered ends the old one', async () => {
    const { jar } = await rememberedBrowser('prompt-user');
    const base = { client_id: web.client_id, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid' };

    // prompt=consent: the login is skipped, the consent is not.
    const lc1 = await startFlow(jar, { ...base, state: 'prompt-consent', prompt: 'consent' });
    expect((await api.loginRequest(lc1)).json()).toMatchObject({ skip: true, subject: 'prompt-user' });
    const a1 = await api.acceptLogin(lc1, { subject: 'prompt-user' });
    const cc1 = location(await get(jar, a1.json().redirect_to)).searchParams.get('consent_challenge')!;
    expect((await api.consentRequest(cc1)).json()).toMatchObject({ skip: false, subject: 'prompt-user' });

    // prompt=none: a remembered login is fine, a missing consent is an error for the client.
    const lcNone = await startFlow(jar, { ...base, scope: 'openid profile', state: 'prompt-none', prompt: 'none' });
    const aNone = await api.acceptLogin(lcNone, { subject: 'prompt-user' });
    const none = location(await get(jar, aNone.json().redirect_to));
    expect(none.origin + none.pathname).toBe(REDIRECT);
    expect(none.searchParams.get('error')).toBe('consent_required');
    expect(none.searchParams.get('state')).toBe('prompt-none');
    const noLogin = location(await get(new Jar(), authUrl({ ...base, state: 'prompt-none-2', prompt: 'none' })));
    expect(noLogin.searchParams.get('error')).toBe('login_required');

    // prompt=login: skip=false and no subject, so the login UI may log in someone else.
    const oldCookie = new Jar();
    oldCookie.store(jar.header().split('; '));
    const lc2 = await startFlow(jar, { ...base, state: 'prompt-login', prompt: 'login' });
    expect((await api.loginRequest(lc2)).json()).toMatchObject({ skip: false, subject: '' });
    const a2 = await api.acceptLogin(lc2, { subject: 'prompt-other' });
    expect(a2.statusCode, a2.body).toBe(200);
    const toConsent = await get(jar, a2.json().redirect_to);
    jar.store(toConsent.headers['set-cookie']);
    const cc2 = location(toConsent).searchParams.get('consent_challenge')!;
    expect((await api.consentRequest(cc2)).json()).toMatchObject({ skip: false, subject: 'prompt-other' });
    // That login was not remembered: the browser's remembered login of prompt-user is gone, cookie or not.
    for (const browser of [jar, oldCookie]) {
      const lc3 = await startFlow(browser, { ...base, state: 'prompt-after' });
      expect((await api.loginRequest(lc3)).json()).toMatchObject({ skip: false, subject: '' });
    }
  });

  it('without a login UI, a remembered login still goes to the login page with skip=true; an identity-plane session logs in at once', async () => {
    const t3 = await seedTenant(ctx.registry, 'builtin-remember');
    const api3 = oauth(ctx.app, t3);
    const project = (await ctx.registry.projects.bySlug(t3.projectSlug))!;
    const alice = await ctx.registry.identities.create(project, { traits: { email: `alice-${Date.now()}@example.com` } });
    const bob = await ctx.registry.identities.create(project, { traits: { email: `bob-${Date.now()}@example.com` } });
    const sessionOf = async (id: string) => (await ctx.registry.sessions.issue(project, id, { methods: [{ method: 'password', aal: 'aal1', completed_at: new Date().toISOString() }] })).token;
    const c = await api3.createClient({ grant_types: ['authorization_code'], redirect_uris: [REDIRECT], scope: 'openid' });
    const params = { client_id: c.client_id, response_type: 'code', scope: 'openid' };
    const start = async (jar: Jar, state: string) => {
      const res = await get(jar, `${api3.base}/oauth2/auth?${new URLSearchParams({ ...params, state })}`);
      expect(res.statusCode, res.body).toBe(302);
      jar.store(res.headers['set-cookie']);
      return location(res);
    };

    // First flow: a login app on the built-in page remembers alice, and her consent.
    const jar = new Jar();
    const first = await start(jar, 'builtin-1');
    expect(first.pathname).toBe(`/p/${t3.projectSlug}/ui/login`);
    const a1 = await api3.acceptLogin(first.searchParams.get('login_challenge')!, { subject: alice.id, remember: true });
    const toConsent = await get(jar, a1.json().redirect_to);
    jar.store(toConsent.headers['set-cookie']);
    const c1 = await api3.acceptConsent(location(toConsent).searchParams.get('consent_challenge')!, { grant_scope: ['openid'], remember: true });
    expect(location(await get(jar, c1.json().redirect_to)).searchParams.get('code')).toBeTruthy();

    // Second flow: the login page gets a challenge with skip=true (it used to jump to the consent page).
    const second = await start(jar, 'builtin-2');
    expect(second.pathname).toBe(`/p/${t3.projectSlug}/ui/login`);
    expect((await api3.loginRequest(second.searchParams.get('login_challenge')!)).json()).toMatchObject({ skip: true, subject: alice.id });

    // alice's own identity-plane session logs her in at once (the built-in login provider), consent skipped.
    jar.set('ory_kratos_session', await sessionOf(alice.id));
    const third = await start(jar, 'builtin-3');
    expect(third.pathname).toBe(`/p/${t3.projectSlug}/ui/consent`);
    expect((await api3.consentRequest(third.searchParams.get('consent_challenge')!)).json()).toMatchObject({ skip: true, subject: alice.id });

    // bob's session does not override alice's remembered login: the login page decides, with skip=true.
    jar.set('ory_kratos_session', await sessionOf(bob.id));
    const fourth = await start(jar, 'builtin-4');
    expect(fourth.pathname).toBe(`/p/${t3.projectSlug}/ui/login`);
    expect((await api3.loginRequest(fourth.searchParams.get('login_challenge')!)).json()).toMatchObject({ skip: true, subject: alice.id });
    // prompt=login always asks the login page, with nothing to skip.
    const fifth = location(await get(jar, `${api3.base}/oauth2/auth?${new URLSearchParams({ ...params, state: 'builtin-5', prompt: 'login' })}`));
    expect(fifth.pathname).toBe(`/p/${t3.projectSlug}/ui/login`);
    expect((await api3.loginRequest(fifth.searchParams.get('login_challenge')!)).json()).toMatchObject({ skip: false, subject: '' });
  });

  it('runs RP-initiated logout through the logout challenge', async () => {
    const patch = await ctx.app.inject({ method: 'PATCH', url: `/projects/${t.projectId}`, headers: bearer(t.workspaceKey), payload: [{ op: 'replace', path: '/services/oauth2/config/urls/logout', value: 'https://login.example.com/logout' }] });
    expect(patch.statusCode).toBe(200);
    await api.admin('PATCH', `/admin/clients/${web.client_id}`, [{ op: 'replace', path: '/post_logout_redirect_uris', value: ['https://app.example.com/bye'] }]);
    const { tokens } = await fullFlow(['openid']);
    const jar = new Jar();
    const start = await get(jar, `${api.base}/oauth2/sessions/logout?${new URLSearchParams({ id_token_hint: tokens.id_token, post_logout_redirect_uri: 'https://app.example.com/bye', state: 'bye-state' })}`);
    expect(start.statusCode).toBe(302);
    expect(location(start).origin + location(start).pathname).toBe('https://login.example.com/logout');
    const challenge = location(start).searchParams.get('logout_challenge')!;
    const lr = await api.admin('GET', `/admin/oauth2/auth/requests/logout?logout_challenge=${challenge}`);
    expect(lr.statusCode).toBe(200);
    expect(lr.json()).toMatchObject({ challenge, subject: 'user-7', rp_initiated: true, client: { client_id: web.client_id } });
    const acc = await api.admin('PUT', `/admin/oauth2/auth/requests/logout/accept?logout_challenge=${challenge}`);
    expect(acc.statusCode).toBe(200);
    const done = await get(jar, acc.json().redirect_to);
    expect(done.headers.location).toBe('https://app.example.com/bye?state=bye-state');
    expect((await get(jar, acc.json().redirect_to)).statusCode).toBe(400);
    expect((await api.admin('GET', `/admin/oauth2/auth/requests/logout?logout_challenge=${challenge}`)).statusCode).toBe(410);

    // An unregistered redirect, or a hint from nowhere, is refused without redirecting.
    const evil = await get(jar, `${api.base}/oauth2/sessions/logout?${new URLSearchParams({ id_token_hint: tokens.id_token, post_logout_redirect_uri: 'https://evil.example.com/' })}`);
    expect(evil.statusCode).toBe(400);
    const forged = await get(jar, `${api.base}/oauth2/sessions/logout?id_token_hint=eyJhbGciOiJub25lIn0.e30.`);
    expect(forged.statusCode).toBe(400);
    // Reject: 204, and the challenge is spent.
    const plain = await get(jar, `${api.base}/oauth2/sessions/logout`);
    const c2 = location(plain).searchParams.get('logout_challenge')!;
    expect((await api.admin('PUT', `/admin/oauth2/auth/requests/logout/reject?logout_challenge=${c2}`)).statusCode).toBe(204);
    expect((await api.admin('PUT', `/admin/oauth2/auth/requests/logout/accept?logout_challenge=${c2}`)).statusCode).toBe(409);
    expect((await api.admin('GET', '/admin/oauth2/auth/requests/logout?logout_challenge=nope')).statusCode).toBe(404);
  });

  async function fullFlow(scopes: string[]) {
    const jar = new Jar();
    const { verifier, challenge } = pkce();
    const lc = await startFlow(jar, { client_id: web.client_id, response_type: 'code', redirect_uri: REDIRECT, scope: scopes.join(' '), state: 'state-full-1', code_challenge: challenge, code_challenge_method: 'S256' });
    const a = await api.admin('PUT', `/admin/oauth2/auth/requests/login/accept?login_challenge=${lc}`, { subject: 'user-7' });
    const cc = location(await get(jar, a.json().redirect_to)).searchParams.get('consent_challenge')!;
    const c = await api.admin('PUT', `/admin/oauth2/auth/requests/consent/accept?consent_challenge=${cc}`, { grant_scope: scopes });
    const code = location(await get(jar, c.json().redirect_to)).searchParams.get('code')!;
    const tok = await api.token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, basic(web.client_id, web.client_secret));
    expect(tok.statusCode, tok.body).toBe(200);
    return { tokens: tok.json() };
  }

  it('resolves a relative login URL against the issuer and falls back on an unusable one, never a 500', async () => {
    const other = await seedTenant(ctx.registry, 'relative-ui');
    const o = oauth(ctx.app, other);
    const client = await o.createClient({ grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: [REDIRECT], scope: 'openid' });
    const { challenge } = pkce();
    const params = { client_id: client.client_id, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid', state: 'state-123456', code_challenge: challenge, code_challenge_method: 'S256' };
    for (const [value, expectedPath] of [['/my/login', `/p/${other.projectSlug}/my/login`], ['http://[not a host', `/p/${other.projectSlug}/ui/login`], ['javascript:alert(1)', `/p/${other.projectSlug}/ui/login`]] as const) {
      const patch = await ctx.app.inject({ method: 'PATCH', url: `/projects/${other.projectId}`, headers: bearer(other.workspaceKey), payload: [{ op: 'replace', path: '/services/oauth2/config/urls/login', value }] });
      expect(patch.statusCode).toBe(200);
      const res = await ctx.app.inject({ method: 'GET', url: `/p/${other.projectSlug}/oauth2/auth?${new URLSearchParams(params)}` });
      expect(res.statusCode, `${value}: ${res.body}`).toBe(302);
      const loc = new URL(String(res.headers.location));
      expect(loc.pathname).toBe(expectedPath);
      expect(loc.searchParams.get('login_challenge')).toBeTruthy();
    }
  });

  it("sends errors that cannot go back to the client to the project's error page when one is set", async () => {
    const other = await seedTenant(ctx.registry, 'error-page');
    const o = oauth(ctx.app, other);
    const client = await o.createClient({ grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: [REDIRECT], scope: 'openid' });
    const patch = await ctx.app.inject({ method: 'PATCH', url: `/projects/${other.projectId}`, headers: bearer(other.workspaceKey), payload: [{ op: 'replace', path: '/services/oauth2/config/urls/error', value: 'https://app.example.com/oauth-error' }] });
    expect(patch.statusCode).toBe(200);
    for (const [query, error] of [
      [{ client_id: 'nope', response_type: 'code', state: 'state-123456' }, 'invalid_client'],
      [{ client_id: client.client_id, response_type: 'code', redirect_uri: 'https://evil.example.com/cb', state: 'state-123456' }, 'invalid_request'],
    ] as const) {
      const res = await ctx.app.inject({ method: 'GET', url: `/p/${other.projectSlug}/oauth2/auth?${new URLSearchParams(query)}` });
      expect(res.statusCode).toBe(302);
      const loc = new URL(String(res.headers.location));
      expect(loc.origin + loc.pathname).toBe('https://app.example.com/oauth-error');
      expect(loc.searchParams.get('error')).toBe(error);
      expect(loc.searchParams.get('error_description')).toBeTruthy();
      expect(String(res.headers.location)).not.toContain('evil.example.com');
    }
  });
});
