import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Configuration, JwkApi, OAuth2Api, OidcApi, WellknownApi, type OAuth2Client } from '@ory/client';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { dialectName, seedTenant, type Tenant } from '../helpers/context.js';
import { startHttpServer, type HttpTestServer } from '../helpers/http.js';
import { pkce } from './helpers.js';

// The OAuth2 plane driven by the official @ory/client (OAuth2Api, OidcApi, WellknownApi, JwkApi) over
// real HTTP: every endpoint Gatehouse serves for it, a full authorization-code + PKCE flow with
// redirects followed by hand, JWT verification against the published JWKS, and cross-project isolation.

const REDIRECT = 'https://app.example.com/callback';

async function status(p: Promise<unknown>): Promise<{ status: number; data: any; headers: Record<string, any> }> {
  try {
    const res = (await p) as { status: number; data: unknown; headers: Record<string, unknown> };
    return { status: res.status, data: res.data, headers: res.headers };
  } catch (err) {
    const res = (err as { response?: { status: number; data: unknown; headers: Record<string, unknown> } }).response;
    if (!res) throw err;
    return { status: res.status, data: res.data, headers: res.headers };
  }
}

describe(`@ory/client OAuth2Api, OidcApi, WellknownApi, JwkApi (${dialectName()})`, () => {
  let server: HttpTestServer;
  let a: Tenant;
  let b: Tenant;
  const admin = (t: Tenant) => new OAuth2Api(new Configuration({ basePath: server.projectUrl(t.projectSlug), accessToken: t.projectKey }));
  const asClient = (t: Tenant, id: string, secret: string) => new OAuth2Api(new Configuration({ basePath: server.projectUrl(t.projectSlug), username: id, password: secret }));
  const jwkApi = (t: Tenant) => new JwkApi(new Configuration({ basePath: server.projectUrl(t.projectSlug), accessToken: t.projectKey }));
  const publicApi = (t: Tenant) => ({
    oidc: new OidcApi(new Configuration({ basePath: server.projectUrl(t.projectSlug) })),
    wellknown: new WellknownApi(new Configuration({ basePath: server.projectUrl(t.projectSlug) })),
  });

  beforeAll(async () => {
    server = await startHttpServer();
    a = await seedTenant(server.registry, 'sdk-a');
    b = await seedTenant(server.registry, 'sdk-b');
  });
  afterAll(() => server.close());

  it('manages clients: create, get, list with pages, set, patch, lifespans, rotate, delete', async () => {
    const api = admin(a);
    const { data: created, status: st } = await api.createOAuth2Client({ oAuth2Client: { client_name: 'sdk-client', grant_types: ['client_credentials'], scope: 'read write', owner: 'sdk-owner' } });
    expect(st).toBe(201);
    expect(created.client_secret).toBeTruthy();
    const id = created.client_id!;
    const got = (await api.getOAuth2Client({ id })).data;
    expect(got).toMatchObject({ client_id: id, client_name: 'sdk-client', scope: 'read write' });
    expect(got.client_secret).toBeUndefined();

    await api.createOAuth2Client({ oAuth2Client: { client_name: 'sdk-client-2', owner: 'sdk-owner' } });
    const page1 = await api.listOAuth2Clients({ pageSize: 1, owner: 'sdk-owner' });
    expect(page1.data).toHaveLength(1);
    const next = /page_token=([^&>]+)/.exec(/<[^>]+>; rel="next"/.exec(String(page1.headers.link))![0])![1];
    const page2 = await api.listOAuth2Clients({ pageSize: 1, owner: 'sdk-owner', pageToken: decodeURIComponent(next) });
    expect(page2.data.map((c) => c.client_name)).toEqual(['sdk-client-2']);
    expect((await api.listOAuth2Clients({ clientName: 'sdk-client' })).data.map((c) => c.client_id)).toEqual([id]);

    const set = (await api.setOAuth2Client({ id, oAuth2Client: { ...got, client_name: 'renamed' } as OAuth2Client })).data;
    expect(set.client_name).toBe('renamed');
    const patched = (await api.patchOAuth2Client({ id, jsonPatch: [{ op: 'replace', path: '/scope', value: 'read' }] })).data;
    expect(patched.scope).toBe('read');
    const life = (await api.setOAuth2ClientLifespans({ id, oAuth2ClientTokenLifespans: { client_credentials_grant_access_token_lifespan: '10m' } })).data;
    expect(life.client_credentials_grant_access_token_lifespan).toBe('10m');

    const tok = (await asClient(a, id, created.client_secret!).oauth2TokenExchange({ grantType: 'client_credentials' })).data;
    expect(tok.expires_in).toBe(600);

    const rotated = (await api.rotateOAuth2ClientSecret({ id })).data;
    expect(rotated.client_secret).toBeTruthy();
    expect((await status(asClient(a, id, rotated.client_secret!).oauth2TokenExchange({ grantType: 'client_credentials' }))).status).toBe(200);
    await api.deleteRotatedOAuth2ClientSecrets({ id });
    const old = await status(asClient(a, id, created.client_secret!).oauth2TokenExchange({ grantType: 'client_credentials' }));
    expect(old.status).toBe(401);
    expect(old.data.error).toBe('invalid_client');

    expect((await api.deleteOAuth2Client({ id })).status).toBe(204);
    expect((await status(api.getOAuth2Client({ id }))).status).toBe(404);
    const bad = await status(api.createOAuth2Client({ oAuth2Client: { client_secret: 'short' } }));
    expect(bad.status).toBe(400);
  });

  it('issues, introspects, revokes and deletes client_credentials tokens', async () => {
    const api = admin(a);
    const c = (await api.createOAuth2Client({ oAuth2Client: { grant_types: ['client_credentials'], scope: 'read' } })).data;
    const client = asClient(a, c.client_id!, c.client_secret!);
    const t1 = (await client.oauth2TokenExchange({ grantType: 'client_credentials' })).data;
    expect(t1).toMatchObject({ token_type: 'bearer', expires_in: 3600 });
    const intro = (await api.introspectOAuth2Token({ token: t1.access_token! })).data;
    expect(intro).toMatchObject({ active: true, client_id: c.client_id, sub: c.client_id, token_use: 'access_token' });
    expect(intro.exp! - intro.iat!).toBe(3600);
    expect((await api.introspectOAuth2Token({ token: t1.access_token!, scope: 'write' })).data.active).toBe(false);

    expect((await client.revokeOAuth2Token({ token: t1.access_token! })).status).toBe(200);
    expect((await api.introspectOAuth2Token({ token: t1.access_token! })).data.active).toBe(false);
    const postClient = (await api.createOAuth2Client({ oAuth2Client: { grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post' } })).data;
    const anon = new OAuth2Api(new Configuration({ basePath: server.projectUrl(a.projectSlug) }));
    const t2 = (await client.oauth2TokenExchange({ grantType: 'client_credentials' })).data;
    expect((await anon.revokeOAuth2Token({ token: 'whatever', clientId: postClient.client_id, clientSecret: postClient.client_secret })).status).toBe(200);
    expect((await api.deleteOAuth2Token({ clientId: c.client_id! })).status).toBe(204);
    expect((await api.introspectOAuth2Token({ token: t2.access_token! })).data.active).toBe(false);

    const wrongGrant = await status(client.oauth2TokenExchange({ grantType: 'urn:example:unknown' }));
    expect(wrongGrant).toMatchObject({ status: 400, data: { error: 'unsupported_grant_type' } });
  });

  it('runs the authorization code flow with PKCE, ID token, userinfo and refresh', async () => {
    const api = admin(a);
    const c = (await api.createOAuth2Client({ oAuth2Client: { grant_types: ['authorization_code', 'refresh_token'], redirect_uris: [REDIRECT], scope: 'openid offline_access' } })).data;
    const { verifier, challenge } = pkce();
    const cookies = new Map<string, string>();
    const keep = (res: Response) => {
      for (const sc of res.headers.getSetCookie()) {
        const [pair] = sc.split(';');
        const i = pair.indexOf('=');
        cookies.set(pair.slice(0, i), pair.slice(i + 1));
      }
    };
    const cookieHeader = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');

    // Step 1 with the SDK's oAuth2Authorize (query passed through axios options, redirects not followed).
    const start = await status(api.oAuth2Authorize({
      params: { client_id: c.client_id, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid offline_access', state: 'sdk-state-123', nonce: 'n-1', code_challenge: challenge, code_challenge_method: 'S256' },
      maxRedirects: 0, validateStatus: (s: number) => s === 302,
    }));
    expect(start.status).toBe(302);
    for (const sc of [start.headers['set-cookie'] ?? []].flat() as string[]) {
      const [pair] = sc.split(';');
      cookies.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
    const loginUrl = new URL(start.headers.location);
    expect(loginUrl.pathname).toBe(`/p/${a.projectSlug}/ui/login`);
    const loginChallenge = loginUrl.searchParams.get('login_challenge')!;

    const loginReq = (await api.getOAuth2LoginRequest({ loginChallenge })).data;
    expect(loginReq).toMatchObject({ challenge: loginChallenge, skip: false, requested_scope: ['openid', 'offline_access'] });
    const { redirect_to: afterLogin } = (await api.acceptOAuth2LoginRequest({ loginChallenge, acceptOAuth2LoginRequest: { subject: 'sdk-user', remember: false } })).data;
    const gone = await status(api.getOAuth2LoginRequest({ loginChallenge }));
    expect(gone.status).toBe(410);
    expect(gone.data.redirect_to).toBeTruthy();

    const r2 = await fetch(afterLogin, { redirect: 'manual', headers: { cookie: cookieHeader() } });
    keep(r2);
    expect(r2.status).toBe(302);
    const consentChallenge = new URL(r2.headers.get('location')!).searchParams.get('consent_challenge')!;
    const consentReq = (await api.getOAuth2ConsentRequest({ consentChallenge })).data;
    expect(consentReq).toMatchObject({ subject: 'sdk-user', requested_scope: ['openid', 'offline_access'] });
    const { redirect_to: afterConsent } = (await api.acceptOAuth2ConsentRequest({ consentChallenge, acceptOAuth2ConsentRequest: { grant_scope: ['openid', 'offline_access'], session: { id_token: { name: 'SDK User' } } } })).data;

    const r3 = await fetch(afterConsent, { redirect: 'manual', headers: { cookie: cookieHeader() } });
    expect(r3.status).toBe(302);
    const cb = new URL(r3.headers.get('location')!);
    expect(cb.searchParams.get('state')).toBe('sdk-state-123');
    const code = cb.searchParams.get('code')!;

    // The SDK's token exchange has no code_verifier parameter: append it to the form body it sends.
    const client = asClient(a, c.client_id!, c.client_secret!);
    const tokens = (await client.oauth2TokenExchange({ grantType: 'authorization_code', code, redirectUri: REDIRECT }, { transformRequest: [(d: string) => `${d}&code_verifier=${verifier}`] })).data;
    expect(tokens.refresh_token).toBeTruthy();
    const { oidc, wellknown } = publicApi(a);
    const discovery = (await oidc.discoverOidcConfiguration()).data;
    expect(discovery.token_endpoint).toBe(`${server.projectUrl(a.projectSlug)}/oauth2/token`);
    const jwks = (await wellknown.discoverJsonWebKeys()).data;
    const { payload } = await jwtVerify(tokens.id_token!, createLocalJWKSet(jwks as never), { issuer: discovery.issuer, audience: c.client_id });
    expect(payload).toMatchObject({ sub: 'sdk-user', nonce: 'n-1', name: 'SDK User' });

    const userinfo = (await new OidcApi(new Configuration({ basePath: server.projectUrl(a.projectSlug), accessToken: tokens.access_token })).getOidcUserInfo()).data;
    expect(userinfo).toEqual({ sub: 'sdk-user', name: 'SDK User' });

    const refreshed = (await client.oauth2TokenExchange({ grantType: 'refresh_token', refreshToken: tokens.refresh_token })).data;
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect((await api.introspectOAuth2Token({ token: refreshed.access_token! })).data).toMatchObject({ active: true, sub: 'sdk-user' });
    const reuse = await status(client.oauth2TokenExchange({ grantType: 'refresh_token', refreshToken: tokens.refresh_token }));
    expect(reuse).toMatchObject({ status: 400, data: { error: 'invalid_grant' } });

    // Consent and login sessions: listed per subject, invisible to other projects, revocable.
    const consents = (await api.listOAuth2ConsentSessions({ subject: 'sdk-user' })).data;
    expect(consents.map((c) => c.consent_request_id)).toEqual([consentReq.consent_request_id]);
    expect((await admin(b).listOAuth2ConsentSessions({ subject: 'sdk-user' })).data).toEqual([]);
    expect((await api.revokeOAuth2ConsentSessions({ subject: 'sdk-user', all: true })).status).toBe(204);
    expect((await api.listOAuth2ConsentSessions({ subject: 'sdk-user' })).data).toEqual([]);
    expect((await api.revokeOAuth2LoginSessions({ subject: 'sdk-user' })).status).toBe(204);
  });

  it('rejects login and consent requests through the SDK', async () => {
    const api = admin(a);
    const c = (await api.createOAuth2Client({ oAuth2Client: { redirect_uris: [REDIRECT], scope: 'openid' } })).data;
    const start = await status(api.oAuth2Authorize({ params: { client_id: c.client_id, response_type: 'code', scope: 'openid', state: 'reject-me-1' }, maxRedirects: 0, validateStatus: (s: number) => s === 302 }));
    const cookie = ([start.headers['set-cookie'] ?? []].flat() as string[]).map((s) => s.split(';')[0]).join('; ');
    const loginChallenge = new URL(start.headers.location).searchParams.get('login_challenge')!;
    const { redirect_to } = (await api.rejectOAuth2LoginRequest({ loginChallenge, rejectOAuth2Request: { error: 'access_denied', error_description: 'no thanks' } })).data;
    const back = await fetch(redirect_to, { redirect: 'manual', headers: { cookie } });
    const loc = new URL(back.headers.get('location')!);
    expect(loc.searchParams.get('error')).toBe('access_denied');
    expect(loc.searchParams.get('state')).toBe('reject-me-1');

    const start2 = await status(api.oAuth2Authorize({ params: { client_id: c.client_id, response_type: 'code', scope: 'openid', state: 'reject-me-2' }, maxRedirects: 0, validateStatus: (s: number) => s === 302 }));
    const cookie2 = ([start2.headers['set-cookie'] ?? []].flat() as string[]).map((s) => s.split(';')[0]).join('; ');
    const lc2 = new URL(start2.headers.location).searchParams.get('login_challenge')!;
    const acc = (await api.acceptOAuth2LoginRequest({ loginChallenge: lc2, acceptOAuth2LoginRequest: { subject: 'u' } })).data;
    const toConsent = await fetch(acc.redirect_to, { redirect: 'manual', headers: { cookie: cookie2 } });
    const consentChallenge = new URL(toConsent.headers.get('location')!).searchParams.get('consent_challenge')!;
    const rej = (await api.rejectOAuth2ConsentRequest({ consentChallenge, rejectOAuth2Request: {} })).data;
    const back2 = await fetch(rej.redirect_to, { redirect: 'manual', headers: { cookie: cookie2 } });
    expect(new URL(back2.headers.get('location')!).searchParams.get('error')).toBe('access_denied');
  });

  it('runs the device authorization grant through the SDK (oAuth2DeviceFlow, performOAuth2DeviceVerificationFlow, acceptUserCodeRequest)', async () => {
    const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';
    const api = admin(a);
    const c = (await api.createOAuth2Client({ oAuth2Client: { grant_types: [DEVICE], scope: 'openid', token_endpoint_auth_method: 'none' } })).data;
    // The SDK's oAuth2DeviceFlow has no parameters: the form body goes in through the axios options.
    const anon = new OAuth2Api(new Configuration({ basePath: server.projectUrl(a.projectSlug) }));
    const form = { data: `client_id=${encodeURIComponent(c.client_id!)}&scope=openid`, headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    const auth = await anon.oAuth2DeviceFlow(form);
    expect(auth.status).toBe(200);
    const d = auth.data;
    expect(d).toMatchObject({ verification_uri: `${server.projectUrl(a.projectSlug)}/oauth2/device/verify`, expires_in: 600, interval: 5 });
    expect(d.verification_uri_complete).toBe(`${d.verification_uri}?user_code=${d.user_code}`);
    const discovery = (await publicApi(a).oidc.discoverOidcConfiguration()).data as unknown as Record<string, unknown>;
    expect(discovery.device_authorization_endpoint).toBe(`${server.projectUrl(a.projectSlug)}/oauth2/device/auth`);

    // The browser at verification_uri is sent to the (default) device verification UI with a challenge.
    const verify = await status(anon.performOAuth2DeviceVerificationFlow({ params: { user_code: d.user_code }, maxRedirects: 0, validateStatus: (s: number) => s === 302 }));
    expect(verify.status).toBe(302);
    const cookie = ([verify.headers['set-cookie'] ?? []].flat() as string[]).map((x) => x.split(';')[0]).join('; ');
    const ui = new URL(verify.headers.location);
    expect(ui.pathname).toBe(`/p/${a.projectSlug}/ui/device_verification`);
    expect(ui.searchParams.get('user_code')).toBe(d.user_code);
    const deviceChallenge = ui.searchParams.get('device_challenge')!;

    // Another project's key sees the challenge as unknown; a wrong user code is a 400.
    expect((await status(admin(b).acceptUserCodeRequest({ deviceChallenge, acceptDeviceUserCodeRequest: { user_code: d.user_code } }))).status).toBe(404);
    expect((await status(api.acceptUserCodeRequest({ deviceChallenge: 'unknown', acceptDeviceUserCodeRequest: { user_code: d.user_code } }))).status).toBe(404);
    const { redirect_to: toLogin } = (await api.acceptUserCodeRequest({ deviceChallenge, acceptDeviceUserCodeRequest: { user_code: d.user_code } })).data;
    const r1 = await fetch(toLogin, { redirect: 'manual', headers: { cookie } });
    expect(r1.status).toBe(302);
    const loginChallenge = new URL(r1.headers.get('location')!).searchParams.get('login_challenge')!;
    expect((await api.getOAuth2LoginRequest({ loginChallenge })).data).toMatchObject({ requested_scope: ['openid'], client: { client_id: c.client_id } });
    const { redirect_to: afterLogin } = (await api.acceptOAuth2LoginRequest({ loginChallenge, acceptOAuth2LoginRequest: { subject: 'sdk-device-user' } })).data;
    const r2 = await fetch(afterLogin, { redirect: 'manual', headers: { cookie } });
    const consentChallenge = new URL(r2.headers.get('location')!).searchParams.get('consent_challenge')!;
    const { redirect_to: afterConsent } = (await api.acceptOAuth2ConsentRequest({ consentChallenge, acceptOAuth2ConsentRequest: { grant_scope: ['openid'] } })).data;
    const r3 = await fetch(afterConsent, { redirect: 'manual', headers: { cookie } });
    expect(r3.status).toBe(302);
    expect(r3.headers.get('location')).toBe(`${server.projectUrl(a.projectSlug)}/ui/device_success`);

    // The SDK's token exchange has no device_code parameter: append it to the form body it sends.
    const withCode = { transformRequest: [(body: string) => `${body}&device_code=${encodeURIComponent(d.device_code!)}`] };
    const tokens = (await anon.oauth2TokenExchange({ grantType: DEVICE, clientId: c.client_id }, withCode)).data;
    expect(tokens.id_token).toBeTruthy();
    expect((await api.introspectOAuth2Token({ token: tokens.access_token! })).data).toMatchObject({ active: true, sub: 'sdk-device-user', client_id: c.client_id });
    const reuse = await status(anon.oauth2TokenExchange({ grantType: DEVICE, clientId: c.client_id }, withCode));
    expect(reuse).toMatchObject({ status: 400, data: { error: 'invalid_grant' } });
  });

  it('runs RP-initiated logout with the logout challenge through the SDK', async () => {
    const api = admin(a);
    const start = await status(publicApi(a).oidc.revokeOidcSession({ maxRedirects: 0, validateStatus: (s: number) => s === 302 }));
    expect(start.status).toBe(302);
    const logoutChallenge = new URL(start.headers.location).searchParams.get('logout_challenge')!;
    expect((await api.getOAuth2LogoutRequest({ logoutChallenge })).data).toMatchObject({ challenge: logoutChallenge, rp_initiated: false });
    const { redirect_to } = (await api.acceptOAuth2LogoutRequest({ logoutChallenge })).data;
    const done = await fetch(redirect_to, { redirect: 'manual' });
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe(`${server.projectUrl(a.projectSlug)}/ui/welcome`);
    const again = await status(publicApi(a).oidc.revokeOidcSession({ maxRedirects: 0, validateStatus: (s: number) => s === 302 }));
    const c2 = new URL(again.headers.location).searchParams.get('logout_challenge')!;
    expect((await api.rejectOAuth2LogoutRequest({ logoutChallenge: c2 })).status).toBe(204);
    expect((await status(admin(b).getOAuth2LogoutRequest({ logoutChallenge: c2 }))).status).toBe(404);
  });

  it('manages JSON Web Keys and verifies JWT access tokens against the published JWKS', async () => {
    const jwk = jwkApi(a);
    const created = await jwk.createJsonWebKeySet({ set: 'sdk-set', createJsonWebKeySet: { alg: 'RS256', kid: 'sdk-k1', use: 'sig' } });
    expect(created.status).toBe(201);
    expect(created.data.keys![0]).toMatchObject({ kid: 'sdk-k1', kty: 'RSA' });
    expect((await jwk.getJsonWebKeySet({ set: 'sdk-set' })).data.keys).toHaveLength(1);
    expect((await jwk.getJsonWebKey({ set: 'sdk-set', kid: 'sdk-k1' })).data.keys![0].kid).toBe('sdk-k1');
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = created.data.keys![0];
    const put = (await jwk.setJsonWebKey({ set: 'sdk-set', kid: 'sdk-k2', jsonWebKey: { ...pub, kid: 'sdk-k2' } })).data;
    expect(put.kid).toBe('sdk-k2');
    const replaced = (await jwk.setJsonWebKeySet({ set: 'sdk-set', jsonWebKeySet: { keys: [{ ...pub, kid: 'sdk-k3' }] } })).data;
    expect(replaced.keys!.map((k) => k.kid)).toEqual(['sdk-k3']);
    expect((await jwk.deleteJsonWebKey({ set: 'sdk-set', kid: 'sdk-k3' })).status).toBe(204);
    await jwk.createJsonWebKeySet({ set: 'sdk-set', createJsonWebKeySet: { alg: 'ES256', kid: 'sdk-k4', use: 'sig' } });
    expect((await jwk.deleteJsonWebKeySet({ set: 'sdk-set' })).status).toBe(204);
    expect((await status(jwk.getJsonWebKeySet({ set: 'sdk-set' }))).status).toBe(404);

    const api = admin(a);
    const c = (await api.createOAuth2Client({ oAuth2Client: { grant_types: ['client_credentials'], access_token_strategy: 'jwt', audience: ['https://api.example.com'] } })).data;
    const tok = (await asClient(a, c.client_id!, c.client_secret!).oauth2TokenExchange({ grantType: 'client_credentials' })).data;
    const { oidc, wellknown } = publicApi(a);
    const issuer = (await oidc.discoverOidcConfiguration()).data.issuer;
    const published = (await wellknown.discoverJsonWebKeys()).data;
    for (const k of published.keys ?? []) expect(k.d).toBeUndefined();
    const { payload } = await jwtVerify(tok.access_token!, createLocalJWKSet(published as never), { issuer });
    const intro = (await api.introspectOAuth2Token({ token: tok.access_token! })).data;
    expect(intro).toMatchObject({ active: true, exp: payload.exp, iss: issuer });
  });

  it('keeps every project isolated through the SDK', async () => {
    const c = (await admin(a).createOAuth2Client({ oAuth2Client: { grant_types: ['client_credentials'] } })).data;
    const tok = (await asClient(a, c.client_id!, c.client_secret!).oauth2TokenExchange({ grantType: 'client_credentials' })).data;
    expect((await status(admin(b).getOAuth2Client({ id: c.client_id! }))).status).toBe(404);
    expect((await status(admin(b).deleteOAuth2Client({ id: c.client_id! }))).status).toBe(404);
    expect((await admin(b).introspectOAuth2Token({ token: tok.access_token! })).data).toEqual({ active: false });
    const cross = await status(asClient(b, c.client_id!, c.client_secret!).oauth2TokenExchange({ grantType: 'client_credentials' }));
    expect(cross).toMatchObject({ status: 401, data: { error: 'invalid_client' } });
    // A project key of A is not a key for B's admin API.
    const wrongKey = new OAuth2Api(new Configuration({ basePath: server.projectUrl(b.projectSlug), accessToken: a.projectKey }));
    expect((await status(wrongKey.listOAuth2Clients())).status).toBe(401);
    const jwksA = (await publicApi(a).wellknown.discoverJsonWebKeys()).data.keys!.map((k) => k.kid);
    const jwksB = (await publicApi(b).wellknown.discoverJsonWebKeys()).data.keys!.map((k) => k.kid);
    expect(jwksA.filter((k) => jwksB.includes(k))).toEqual([]);
  });
});
