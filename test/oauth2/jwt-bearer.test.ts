import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Configuration, OAuth2Api, OidcApi } from '@ory/client';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { randomUUID } from 'node:crypto';
import { dialectName, seedTenant, type Tenant } from '../helpers/context.js';
import { startHttpServer, type HttpTestServer } from '../helpers/http.js';
import { basic, form } from './helpers.js';

// Hydra's trust relationships of the JWT bearer grant (RFC 7523) through @ory/client's OAuth2Api
// (trustOAuth2JwtGrantIssuer, listTrustedOAuth2JwtGrantIssuers, getTrustedOAuth2JwtGrantIssuer,
// deleteTrustedOAuth2JwtGrantIssuer), and the grant itself at /oauth2/token.

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ISSUER = 'https://partner.example.com';

async function outcome(p: Promise<unknown>): Promise<{ status: number; data: any }> {
  try {
    const res = (await p) as { status: number; data: unknown };
    return { status: res.status, data: res.data };
  } catch (err) {
    const res = (err as { response?: { status: number; data: unknown } }).response;
    if (!res) throw err;
    return { status: res.status, data: res.data };
  }
}

describe(`JWT bearer grant and its trusted issuers (${dialectName()})`, () => {
  let server: HttpTestServer;
  let a: Tenant;
  let b: Tenant;
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  let publicJwk: Record<string, unknown>;
  let tokenUrl: string;
  const admin = (t: Tenant) => new OAuth2Api(new Configuration({ basePath: server.projectUrl(t.projectSlug), accessToken: t.projectKey }));
  const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

  beforeAll(async () => {
    server = await startHttpServer();
    a = await seedTenant(server.registry, 'jwtb-a');
    b = await seedTenant(server.registry, 'jwtb-b');
    keys = await generateKeyPair('ES256', { extractable: true });
    publicJwk = { ...(await exportJWK(keys.publicKey)), kid: 'partner-key-1', alg: 'ES256', use: 'sig' };
    const discovery = await new OidcApi(new Configuration({ basePath: server.projectUrl(a.projectSlug) })).discoverOidcConfiguration();
    tokenUrl = discovery.data.token_endpoint;
    expect(discovery.data.grant_types_supported).toContain(JWT_BEARER);
  });
  afterAll(() => server?.close());

  const assertion = (claims: Record<string, unknown> = {}, kid = 'partner-key-1') => {
    const now = Math.floor(Date.now() / 1000);
    const payload = { jti: randomUUID(), iss: ISSUER, sub: 'alice@partner', aud: tokenUrl, iat: now, exp: now + 300, ...claims };
    return new SignJWT(JSON.parse(JSON.stringify(payload))).setProtectedHeader({ alg: 'ES256', kid }).sign(keys.privateKey);
  };

  async function client(t: Tenant, grantTypes = [JWT_BEARER]) {
    const { data } = await admin(t).createOAuth2Client({ oAuth2Client: { grant_types: grantTypes, scope: 'read write' } });
    return data as { client_id: string; client_secret: string };
  }

  const exchange = async (t: Tenant, c: { client_id: string; client_secret: string }, params: Record<string, string>) => {
    const res = await fetch(`${server.projectUrl(t.projectSlug)}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...basic(c.client_id, c.client_secret) },
      body: form({ grant_type: JWT_BEARER, ...params }),
    });
    const body = await res.text();
    return { statusCode: res.status, body, json: () => JSON.parse(body) };
  };

  it('creates, lists, gets and deletes trust relationships, scoped to the project', async () => {
    const created = await admin(a).trustOAuth2JwtGrantIssuer({
      trustOAuth2JwtGrantIssuer: { issuer: ISSUER, subject: 'bob@partner', scope: ['read'], expires_at: inAnHour(), jwk: publicJwk as never },
    });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({ issuer: ISSUER, subject: 'bob@partner', allow_any_subject: false, scope: ['read'], public_key: { set: ISSUER, kid: 'partner-key-1' } });
    const id = created.data.id!;
    expect((await admin(a).getTrustedOAuth2JwtGrantIssuer({ id })).data).toEqual(created.data);
    expect((await admin(a).listTrustedOAuth2JwtGrantIssuers({ issuer: ISSUER })).data.map((g) => g.id)).toContain(id);
    expect((await admin(a).listTrustedOAuth2JwtGrantIssuers({ issuer: 'https://other.example' })).data).toEqual([]);

    // The same issuer, subject and key once more is a conflict.
    const again = await outcome(admin(a).trustOAuth2JwtGrantIssuer({
      trustOAuth2JwtGrantIssuer: { issuer: ISSUER, subject: 'bob@partner', scope: ['read'], expires_at: inAnHour(), jwk: publicJwk as never },
    }));
    expect(again.status).toBe(409);

    // Another project neither sees nor deletes it.
    expect((await outcome(admin(b).getTrustedOAuth2JwtGrantIssuer({ id }))).status).toBe(404);
    expect((await outcome(admin(b).deleteTrustedOAuth2JwtGrantIssuer({ id }))).status).toBe(404);
    expect((await admin(b).listTrustedOAuth2JwtGrantIssuers({})).data).toEqual([]);

    expect((await admin(a).deleteTrustedOAuth2JwtGrantIssuer({ id })).status).toBe(204);
    expect((await outcome(admin(a).getTrustedOAuth2JwtGrantIssuer({ id }))).status).toBe(404);
  });

  it('refuses unusable relationships with a 400 in Ory’s shape', async () => {
    const base = { issuer: ISSUER, subject: 'x', scope: ['read'], expires_at: inAnHour(), jwk: publicJwk };
    for (const body of [
      { ...base, issuer: '' },
      { ...base, subject: undefined },
      { ...base, allow_any_subject: true },
      { ...base, expires_at: 'tomorrow' },
      { ...base, expires_at: new Date(Date.now() - 1000).toISOString() },
      { ...base, jwk: { ...publicJwk, kid: undefined } },
      { ...base, jwk: { kty: 'oct', k: 'c2VjcmV0', kid: 'h', alg: 'HS256', use: 'sig' } },
      { ...base, jwk: { ...publicJwk, x: 'not-a-point' } },
      { ...base, scope: 'read' },
    ]) {
      const res = await outcome(admin(a).trustOAuth2JwtGrantIssuer({ trustOAuth2JwtGrantIssuer: body as never }));
      expect(res.status, JSON.stringify(body).slice(0, 120)).toBe(400);
      expect(res.data.error).toMatchObject({ code: 400, status: 'Bad Request' });
    }
  });

  it('exchanges a trusted assertion for an access token of its subject, once', async () => {
    const c = await client(a);
    await admin(a).trustOAuth2JwtGrantIssuer({
      trustOAuth2JwtGrantIssuer: { issuer: ISSUER, allow_any_subject: true, scope: ['read'], expires_at: inAnHour(), jwk: publicJwk as never },
    });
    const jwt = await assertion();
    const res = await exchange(a, c, { assertion: jwt, scope: 'read' });
    expect(res.statusCode, res.body).toBe(200);
    const token = res.json() as { access_token: string; token_type: string; refresh_token?: string; scope: string };
    expect(token).toMatchObject({ token_type: 'bearer', scope: 'read' });
    expect(token.refresh_token).toBeUndefined();
    const introspected = await admin(a).introspectOAuth2Token({ token: token.access_token });
    expect(introspected.data).toMatchObject({ active: true, sub: 'alice@partner', client_id: c.client_id, scope: 'read' });

    // The same assertion (same jti) is refused the second time.
    const replay = await exchange(a, c, { assertion: jwt, scope: 'read' });
    expect(replay.statusCode).toBe(400);
    expect(replay.json().error).toBe('invalid_grant');
  });

  it('refuses assertions that are not trusted, with RFC 6749 errors', async () => {
    const c = await client(a);
    const other = await generateKeyPair('ES256');
    const cases: [Record<string, string>, number, string][] = [
      [{}, 400, 'invalid_request'],
      [{ assertion: 'not-a-jwt' }, 400, 'invalid_grant'],
      [{ assertion: await assertion({ aud: 'https://elsewhere.example/token' }) }, 400, 'invalid_grant'],
      [{ assertion: await assertion({ iss: 'https://unknown.example' }) }, 400, 'invalid_grant'],
      [{ assertion: await assertion({}, 'unknown-kid') }, 400, 'invalid_grant'],
      [{ assertion: await new SignJWT({ jti: randomUUID() }).setProtectedHeader({ alg: 'ES256', kid: 'partner-key-1' }).setIssuer(ISSUER).setSubject('alice@partner').setAudience(tokenUrl).setIssuedAt().setExpirationTime('5m').sign(other.privateKey) }, 400, 'invalid_grant'],
      [{ assertion: await assertion({ exp: Math.floor(Date.now() / 1000) - 60 }) }, 400, 'invalid_grant'],
      [{ assertion: await assertion({ exp: Math.floor(Date.now() / 1000) + 800 * 3600 }) }, 400, 'invalid_grant'],
      [{ assertion: await assertion({ jti: undefined }) }, 400, 'invalid_grant'],
      [{ assertion: await assertion(), scope: 'write' }, 400, 'invalid_scope'],
    ];
    for (const [params, status, error] of cases) {
      const res = await exchange(a, c, params);
      expect(res.statusCode, `${JSON.stringify(params).slice(0, 60)} ${res.body}`).toBe(status);
      expect(res.json().error).toBe(error);
    }
    // A client without the grant type may not use it.
    const cc = await client(a, ['client_credentials']);
    const refused = await exchange(a, cc, { assertion: await assertion() });
    expect(refused.json().error).toBe('unauthorized_client');
    // Project b trusts nobody: the same assertion is refused there.
    const cb = await client(b);
    expect((await exchange(b, cb, { assertion: await assertion({ aud: tokenUrl.replace(a.projectSlug, b.projectSlug) }) })).json().error).toBe('invalid_grant');
  });
});
