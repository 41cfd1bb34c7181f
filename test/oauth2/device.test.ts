import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { LightMyRequestResponse } from 'fastify';
import { bearer, createTestContext, dialectName, seedTenant, type Tenant, type TestContext } from '../helpers/context.js';
import { Jar, basic, form, oauth } from './helpers.js';

// The OAuth 2.0 Device Authorization Grant (RFC 8628) as Hydra runs it: device authorization, the
// browser's verification with a device challenge, the user code accepted by the verification UI, the
// ordinary login and consent challenges, and the device polling the token endpoint.

const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`oauth2 device authorization grant (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  let other: Tenant;
  let api: ReturnType<typeof oauth>;
  let tv: { client_id: string; client_secret: string };
  let cli: { client_id: string };
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry, 'device');
    other = await seedTenant(ctx.registry, 'device-other');
    api = oauth(ctx.app, t);
    const patch = await ctx.app.inject({
      method: 'PATCH', url: `/projects/${t.projectId}`, headers: bearer(t.workspaceKey),
      payload: [
        { op: 'replace', path: '/services/oauth2/config/urls/login', value: 'https://login.example.com/login' },
        { op: 'replace', path: '/services/oauth2/config/urls/consent', value: 'https://login.example.com/consent' },
        { op: 'add', path: '/services/oauth2/config/urls/device', value: { verification: 'https://login.example.com/device', success: 'https://login.example.com/device/done' } },
        { op: 'add', path: '/services/oauth2/config/oauth2/device_authorization', value: { token_polling_interval: '1s' } },
      ],
    });
    expect(patch.statusCode, patch.body).toBe(200);
    tv = await api.createClient({ grant_types: [DEVICE, 'refresh_token'], scope: 'openid offline_access profile', audience: ['https://api.example.com'] });
    cli = await api.createClient({ grant_types: [DEVICE], scope: 'openid', token_endpoint_auth_method: 'none' });
  });
  afterAll(() => ctx.close());

  const get = (jar: Jar, url: string) => ctx.app.inject({ method: 'GET', url: url.replace(/^https?:\/\/[^/]+/, ''), headers: { cookie: jar.header() } });
  const location = (res: LightMyRequestResponse) => new URL(String(res.headers.location));
  const deviceAuth = (params: Record<string, string>, headers: Record<string, string> = {}) =>
    ctx.app.inject({ method: 'POST', url: `${api.base}/oauth2/device/auth`, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: form(params) });
  const acceptUserCode = (challenge: string, userCode: string, key = t.projectKey, slug = t.projectSlug) =>
    ctx.app.inject({ method: 'PUT', url: `/p/${slug}/admin/oauth2/auth/requests/device/accept?device_challenge=${encodeURIComponent(challenge)}`, headers: bearer(key), payload: { user_code: userCode } });
  const poll = (deviceCode: string) => api.token({ grant_type: DEVICE, device_code: deviceCode }, basic(tv.client_id, tv.client_secret));

  /** The browser opens verification_uri and lands on the verification UI with a device challenge. */
  async function verify(jar: Jar, url: string) {
    const res = await get(jar, url);
    expect(res.statusCode, res.body).toBe(302);
    jar.store(res.headers['set-cookie']);
    const loc = location(res);
    expect(loc.origin + loc.pathname).toBe('https://login.example.com/device');
    return loc;
  }

  /** Verification, user code, login and consent accepted; returns the browser's last redirect. */
  async function approve(userCode: string, verificationUri: string, consent: Record<string, unknown> | 'reject') {
    const jar = new Jar();
    const challenge = (await verify(jar, verificationUri)).searchParams.get('device_challenge')!;
    const accepted = await acceptUserCode(challenge, userCode);
    expect(accepted.statusCode, accepted.body).toBe(200);
    const toLogin = await get(jar, accepted.json().redirect_to);
    expect(toLogin.statusCode, toLogin.body).toBe(302);
    const lc = location(toLogin).searchParams.get('login_challenge')!;
    expect(location(toLogin).origin).toBe('https://login.example.com');
    const login = await api.acceptLogin(lc, { subject: 'device-user' });
    expect(login.statusCode, login.body).toBe(200);
    const toConsent = await get(jar, login.json().redirect_to);
    expect(toConsent.statusCode, toConsent.body).toBe(302);
    const cc = location(toConsent).searchParams.get('consent_challenge')!;
    const consentReq = await api.consentRequest(cc);
    expect(consentReq.statusCode).toBe(200);
    const res = consent === 'reject'
      ? await api.admin('PUT', `/admin/oauth2/auth/requests/consent/reject?consent_challenge=${cc}`, { error: 'access_denied', error_description: 'The user said no' })
      : await api.acceptConsent(cc, consent);
    expect(res.statusCode, res.body).toBe(200);
    return { back: await get(jar, res.json().redirect_to), consentRequest: consentReq.json() };
  }

  it('advertises the device authorization endpoint and grant', async () => {
    const disco = (await ctx.app.inject({ method: 'GET', url: `${api.base}/.well-known/openid-configuration` })).json();
    expect(disco.device_authorization_endpoint).toBe(`${disco.issuer}/oauth2/device/auth`);
    expect(disco.grant_types_supported).toContain(DEVICE);
  });

  it('runs device auth, verification, user code, login, consent, and polling: pending, slow_down, tokens, reuse refused', async () => {
    const auth = await deviceAuth({ scope: 'openid offline_access', audience: 'https://api.example.com' }, basic(tv.client_id, tv.client_secret));
    expect(auth.statusCode, auth.body).toBe(200);
    expect(auth.headers['cache-control']).toBe('no-store');
    const d = auth.json();
    expect(d).toMatchObject({ expires_in: 600, interval: 1 });
    expect(d.device_code).toMatch(/^ory_dc_/);
    expect(d.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
    expect(d.verification_uri).toMatch(/\/oauth2\/device\/verify$/);
    expect(d.verification_uri_complete).toBe(`${d.verification_uri}?user_code=${d.user_code}`);

    const pending = await poll(d.device_code);
    expect(pending.statusCode).toBe(400);
    expect(pending.json().error).toBe('authorization_pending');
    const tooFast = await poll(d.device_code);
    expect(tooFast.statusCode).toBe(400);
    expect(tooFast.json().error).toBe('slow_down');

    // verification_uri_complete hands the user code on to the verification UI.
    const jar = new Jar();
    expect((await verify(jar, d.verification_uri_complete)).searchParams.get('user_code')).toBe(d.user_code);

    const { back, consentRequest } = await approve(d.user_code.toLowerCase(), d.verification_uri, { grant_scope: ['openid', 'offline_access'], grant_access_token_audience: ['https://api.example.com'], session: { id_token: { email: 'd@example.com' } } });
    expect(consentRequest).toMatchObject({ subject: 'device-user', requested_scope: ['openid', 'offline_access'], requested_access_token_audience: ['https://api.example.com'], client: { client_id: tv.client_id } });
    expect(back.statusCode).toBe(302);
    expect(String(back.headers.location)).toBe('https://login.example.com/device/done');

    await sleep(1000);
    const tok = await poll(d.device_code);
    expect(tok.statusCode, tok.body).toBe(200);
    const tokens = tok.json();
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'openid offline_access' });
    expect(tokens.access_token).toMatch(/^ory_at_/);
    expect(tokens.refresh_token).toMatch(/^ory_rt_/);
    const jwks = createLocalJWKSet((await ctx.app.inject({ method: 'GET', url: `${api.base}/.well-known/jwks.json` })).json());
    const { payload } = await jwtVerify(tokens.id_token, jwks, { audience: tv.client_id });
    expect(payload).toMatchObject({ sub: 'device-user', email: 'd@example.com' });
    expect((await api.introspect(tokens.access_token)).json()).toMatchObject({ active: true, sub: 'device-user', client_id: tv.client_id, aud: ['https://api.example.com'] });
    const refreshed = await api.token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, basic(tv.client_id, tv.client_secret));
    expect(refreshed.statusCode, refreshed.body).toBe(200);

    // Single use: a second exchange is refused and revokes what the first issued.
    await sleep(1000);
    const reuse = await poll(d.device_code);
    expect(reuse.statusCode).toBe(400);
    expect(reuse.json().error).toBe('invalid_grant');
    expect((await api.introspect(refreshed.json().access_token)).json().active).toBe(false);
    // The user code was used: it cannot be entered again.
    const again = new Jar();
    const challenge = (await verify(again, d.verification_uri)).searchParams.get('device_challenge')!;
    expect((await acceptUserCode(challenge, d.user_code)).statusCode).toBe(400);
  });

  it('tells the device access_denied when consent is rejected', async () => {
    const d = (await deviceAuth({ client_id: cli.client_id, scope: 'openid' })).json();
    const { back } = await approve(d.user_code, d.verification_uri, 'reject');
    // No urls.error: the browser is told here.
    expect(back.statusCode).toBe(403);
    expect(back.json().error).toBe('access_denied');
    const res = await api.token({ grant_type: DEVICE, device_code: d.device_code, client_id: cli.client_id });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'access_denied', error_description: 'The user said no' });
  });

  it('answers expired_token after expiry and refuses the expired user code', async () => {
    const d = (await deviceAuth({ client_id: cli.client_id, scope: 'openid' })).json();
    await ctx.registry.db.updateTable('oauth2_device_codes').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('project_id', '=', t.projectId).execute();
    const res = await api.token({ grant_type: DEVICE, device_code: d.device_code, client_id: cli.client_id });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('expired_token');
    const challenge = (await verify(new Jar(), d.verification_uri)).searchParams.get('device_challenge')!;
    const accept = await acceptUserCode(challenge, d.user_code);
    expect(accept.statusCode).toBe(400);
    expect(accept.json().error.reason).toContain("'user_code'");
  });

  it('refuses clients without the grant, foreign scopes and wrong secrets with RFC 6749 errors', async () => {
    const web = await api.createClient({ grant_types: ['authorization_code'], redirect_uris: ['https://app.example.com/cb'], scope: 'openid' });
    const noGrant = await deviceAuth({ scope: 'openid' }, basic(web.client_id, web.client_secret));
    expect(noGrant.statusCode).toBe(400);
    expect(noGrant.json().error).toBe('unauthorized_client');
    const scope = await deviceAuth({ scope: 'admin' }, basic(tv.client_id, tv.client_secret));
    expect(scope.json().error).toBe('invalid_scope');
    const aud = await deviceAuth({ audience: 'https://evil.example.com' }, basic(tv.client_id, tv.client_secret));
    expect(aud.json().error).toBe('invalid_request');
    const secret = await deviceAuth({}, basic(tv.client_id, 'wrong'));
    expect(secret.statusCode).toBe(401);
    expect(secret.json().error).toBe('invalid_client');
    // A confidential client may not pass as a public one.
    expect((await deviceAuth({ client_id: tv.client_id })).statusCode).toBe(401);
    const unknown = await api.token({ grant_type: DEVICE, device_code: 'ory_dc_nope', client_id: cli.client_id });
    expect(unknown.json().error).toBe('invalid_grant');
  });

  it('keeps device challenges to their project: another project and an unknown challenge get the same 404', async () => {
    const d = (await deviceAuth({ client_id: cli.client_id, scope: 'openid' })).json();
    const challenge = (await verify(new Jar(), d.verification_uri)).searchParams.get('device_challenge')!;
    const foreign = await acceptUserCode(challenge, d.user_code, other.projectKey, other.projectSlug);
    const unknown = await acceptUserCode('no-such-challenge', d.user_code);
    expect(foreign.statusCode).toBe(404);
    expect(unknown.statusCode).toBe(404);
    expect(foreign.json().error.message).toBe(unknown.json().error.message);
    // Another project's key on this project is refused by the key check.
    expect((await acceptUserCode(challenge, d.user_code, other.projectKey)).statusCode).toBe(401);
    // A device code does not exist in another project.
    const res = await ctx.app.inject({ method: 'POST', url: `/p/${other.projectSlug}/oauth2/token`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ grant_type: DEVICE, device_code: d.device_code, client_id: cli.client_id }) });
    expect(res.statusCode).toBe(401);
    // The challenge still works in its own project.
    expect((await acceptUserCode(challenge, d.user_code)).statusCode).toBe(200);
  });

  it('limits wrong user codes (429 with Retry-After), never a 500', async () => {
    const jar = new Jar();
    const challenge = (await verify(jar, `${api.base}/oauth2/device/verify`)).searchParams.get('device_challenge')!;
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await acceptUserCode(challenge, `WRONG${'BCDFGHJKLMNP'[i]}XYZ`)).statusCode);
    // Earlier tests of this project entered wrong codes too: the limit (10 a minute) is per project.
    expect(statuses[0]).toBe(400);
    expect(statuses.every((s) => s === 400 || s === 429)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    const limited = await acceptUserCode(challenge, 'ZZZZZZZZ');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeTruthy();
    // Malformed input is a 4xx too.
    expect((await acceptUserCode(challenge, '')).statusCode).toBeLessThan(500);
    expect((await ctx.app.inject({ method: 'PUT', url: `${api.base}/admin/oauth2/auth/requests/device/accept?device_challenge=${challenge}`, headers: bearer(t.projectKey), payload: { user_code: 'x'.repeat(100) } })).statusCode).toBe(400);
  });
});
