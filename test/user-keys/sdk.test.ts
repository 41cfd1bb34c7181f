import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeysApi, Configuration } from '@ory/client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { dialectName, seedTenant, type Tenant } from '../helpers/context.js';
import { startHttpServer, type HttpTestServer } from '../helpers/http.js';

// Every ApiKeysApi operation of @ory/client 1.22 over real HTTP, on the store under test.

const failure = async (p: Promise<unknown>): Promise<{ status: number; body: any }> => {
  try {
    await p;
  } catch (err) {
    const res = (err as { response?: { status: number; data: unknown } }).response;
    if (!res) throw err;
    return { status: res.status, body: res.data };
  }
  throw new Error('expected the call to fail');
};

describe(`ApiKeysApi through @ory/client (${dialectName()})`, () => {
  let server: HttpTestServer;
  let a: Tenant;
  let b: Tenant;
  let api: ApiKeysApi;
  let apiB: ApiKeysApi;
  let anonymous: ApiKeysApi;

  beforeAll(async () => {
    server = await startHttpServer();
    a = await seedTenant(server.registry, 'uk-a');
    b = await seedTenant(server.registry, 'uk-b');
    api = new ApiKeysApi(new Configuration({ basePath: server.projectUrl(a.projectSlug), accessToken: a.projectKey }));
    apiB = new ApiKeysApi(new Configuration({ basePath: server.projectUrl(b.projectSlug), accessToken: b.projectKey }));
    anonymous = new ApiKeysApi(new Configuration({ basePath: server.projectUrl(a.projectSlug) }));
  });
  afterAll(() => server?.close());

  it('adminIssueApiKey, adminGetIssuedApiKey, adminVerifyApiKey, adminListIssuedApiKeys with a filter', async () => {
    const issued = await api.adminIssueApiKey({
      issueApiKeyRequest: { name: 'backend', actor_id: 'user_42', scopes: ['read:orders', 'write:orders'], ttl: '1d', metadata: { team: 'payments' }, visibility: 'KEY_VISIBILITY_SECRET' },
    });
    expect(issued.status).toBe(200);
    const secret = issued.data.secret!;
    expect(secret).toMatch(/^ghk_v1_[0-9A-Za-z]{46}$/);
    const key = issued.data.issued_api_key!;
    expect(key).toMatchObject({ name: 'backend', actor_id: 'user_42', scopes: ['read:orders', 'write:orders'], status: 'KEY_STATUS_ACTIVE', metadata: { team: 'payments' } });
    expect(Date.parse(key.expire_time!) - Date.parse(key.create_time!)).toBe(86_400_000);
    expect(JSON.stringify(key)).not.toContain(secret);

    const got = await api.adminGetIssuedApiKey({ keyId: key.key_id! });
    expect(got.data).toEqual(key);

    const v = await api.adminVerifyApiKey({ verifyApiKeyRequest: { credential: secret } });
    expect(v.data).toMatchObject({ is_valid: true, key_id: key.key_id, actor_id: 'user_42', scopes: ['read:orders', 'write:orders'], status: 'KEY_STATUS_ACTIVE', metadata: { team: 'payments' } });
    const again = await api.adminVerifyApiKey({ verifyApiKeyRequest: { credential: secret }, cacheControl: 'no-cache' });
    expect(again.data.is_valid).toBe(true);
    expect((await api.adminVerifyApiKey({ verifyApiKeyRequest: { credential: secret }, pragma: 'no-cache' })).data.is_valid).toBe(true);

    const unknown = await api.adminVerifyApiKey({ verifyApiKeyRequest: { credential: 'ghk_v1_' + 'A'.repeat(46) } });
    expect(unknown.data).toMatchObject({ is_valid: false, error_code: 'VERIFICATION_ERROR_INVALID_FORMAT' });
    const random = await api.adminVerifyApiKey({ verifyApiKeyRequest: { credential: 'sk_live_whatever' } });
    expect(random.data).toMatchObject({ is_valid: false, error_code: 'VERIFICATION_ERROR_NOT_FOUND' });

    await api.adminIssueApiKey({ issueApiKeyRequest: { name: 'other', actor_id: 'user_7' } });
    const listed = await api.adminListIssuedApiKeys({ filter: 'actor_id = "user_42" AND status = KEY_STATUS_ACTIVE' });
    expect(listed.data.issued_api_keys!.map((k) => k.key_id)).toEqual([key.key_id]);
    const byName = await api.adminListIssuedApiKeys({ filter: 'name = "back*"' });
    expect(byName.data.issued_api_keys!.map((k) => k.name)).toEqual(['backend']);
    const page1 = await api.adminListIssuedApiKeys({ pageSize: 1 });
    expect(page1.data.issued_api_keys).toHaveLength(1);
    const page2 = await api.adminListIssuedApiKeys({ pageSize: 1, pageToken: page1.data.next_page_token });
    expect(page2.data.issued_api_keys![0].key_id).not.toBe(page1.data.issued_api_keys![0].key_id);
    expect((await failure(api.adminListIssuedApiKeys({ filter: 'actor_id = "x" OR name = "y"' }))).status).toBe(400);
    expect((await failure(api.adminListIssuedApiKeys({ filter: 'secret = "x"' }))).status).toBe(400);
    expect((await failure(api.adminListIssuedApiKeys({ pageSize: 1001 }))).status).toBe(400);

    // Another project sees nothing: not the key, not its verification.
    expect((await failure(apiB.adminGetIssuedApiKey({ keyId: key.key_id! }))).status).toBe(404);
    expect((await apiB.adminVerifyApiKey({ verifyApiKeyRequest: { credential: secret } })).data).toMatchObject({ is_valid: false, error_code: 'VERIFICATION_ERROR_NOT_FOUND' });
    expect((await failure(new ApiKeysApi(new Configuration({ basePath: server.projectUrl(a.projectSlug), accessToken: a.workspaceKey })).adminGetIssuedApiKey({ keyId: key.key_id! }))).status).toBe(401);
  });

  it('adminUpdateIssuedApiKey (update_mask), adminRotateIssuedApiKey, adminRevokeIssuedApiKey', async () => {
    const { data } = await api.adminIssueApiKey({ issueApiKeyRequest: { name: 'svc', actor_id: 'svc_1', scopes: ['a', 'b'], metadata: { x: 1 } } });
    const id = data.issued_api_key!.key_id!;
    expect((await api.adminVerifyApiKey({ verifyApiKeyRequest: { credential: data.secret } })).data.scopes).toEqual(['a', 'b']);
    const updated = await api.adminUpdateIssuedApiKey({ keyId: id, updateMask: 'scopes,name', adminUpdateIssuedApiKeyRequest: { scopes: ['a'], name: 'svc2', metadata: { ignored: true } } });
    expect(updated.data).toMatchObject({ scopes: ['a'], name: 'svc2', metadata: { x: 1 } });
    // The cached verification sees the update at once.
    expect((await api.adminVerifyApiKey({ verifyApiKeyRequest: { credential: data.secret } })).data.scopes).toEqual(['a']);
    expect((await failure(api.adminUpdateIssuedApiKey({ keyId: id, updateMask: 'key_id', adminUpdateIssuedApiKeyRequest: {} }))).status).toBe(400);
    expect((await failure(api.adminUpdateIssuedApiKey({ keyId: id, updateMask: 'nope', adminUpdateIssuedApiKeyRequest: {} }))).status).toBe(400);

    const rotated = await api.adminRotateIssuedApiKey({ keyId: id, adminRotateIssuedApiKeyBody: { metadata: { rotated: true } } });
    expect(rotated.data.issued_api_key).toMatchObject({ name: 'svc2', scopes: ['a'], metadata: { rotated: true }, status: 'KEY_STATUS_ACTIVE' });
    expect(rotated.data.issued_api_key!.key_id).not.toBe(id);
    expect(rotated.data.old_issued_api_key).toMatchObject({ key_id: id, status: 'KEY_STATUS_REVOKED', revocation_reason: 'REVOCATION_REASON_SUPERSEDED' });
    expect((await api.adminVerifyApiKey({ verifyApiKeyRequest: { credential: data.secret } })).data).toMatchObject({ is_valid: false, error_code: 'VERIFICATION_ERROR_REVOKED' });
    expect((await api.adminVerifyApiKey({ verifyApiKeyRequest: { credential: rotated.data.secret } })).data.is_valid).toBe(true);

    const newId = rotated.data.issued_api_key!.key_id!;
    expect((await failure(api.adminRevokeIssuedApiKey({ keyId: newId, adminRevokeIssuedApiKeyBody: { reason: 'REVOCATION_REASON_KEY_COMPROMISE', description: 'no' } }))).status).toBe(400);
    expect((await failure(apiB.adminRevokeIssuedApiKey({ keyId: newId, adminRevokeIssuedApiKeyBody: { reason: 'REVOCATION_REASON_KEY_COMPROMISE' } }))).status).toBe(404);
    const revoked = await api.adminRevokeIssuedApiKey({ keyId: newId, adminRevokeIssuedApiKeyBody: { reason: 'REVOCATION_REASON_PRIVILEGE_WITHDRAWN', description: 'left the company' } });
    expect(revoked.status).toBe(200);
    expect((await api.adminVerifyApiKey({ verifyApiKeyRequest: { credential: rotated.data.secret } })).data).toMatchObject({ is_valid: false, status: 'KEY_STATUS_REVOKED' });
    expect((await api.adminGetIssuedApiKey({ keyId: newId })).data).toMatchObject({ status: 'KEY_STATUS_REVOKED', revocation_reason: 'REVOCATION_REASON_PRIVILEGE_WITHDRAWN', revocation_description: 'left the company' });
    expect((await failure(api.adminRevokeIssuedApiKey({ keyId: newId, adminRevokeIssuedApiKeyBody: {} }))).status).toBe(409);
  });

  it('imported keys: adminImportApiKey, adminBatchCreateImportedApiKeys, get, list, update, revoke, delete', async () => {
    const imported = await api.adminImportApiKey({ importApiKeyRequest: { raw_key: 'sk_live_abcdefgh12345', name: 'Stripe', actor_id: 'user_1', scopes: ['pay'] } });
    expect(imported.data).toMatchObject({ name: 'Stripe', actor_id: 'user_1', status: 'KEY_STATUS_ACTIVE' });
    expect(JSON.stringify(imported.data)).not.toContain('sk_live_abcdefgh12345');
    expect((await api.adminVerifyApiKey({ verifyApiKeyRequest: { credential: 'sk_live_abcdefgh12345' } })).data).toMatchObject({ is_valid: true, key_id: imported.data.key_id, scopes: ['pay'] });
    expect((await failure(api.adminImportApiKey({ importApiKeyRequest: { raw_key: 'sk_live_abcdefgh12345', name: 'again', actor_id: 'user_1' } }))).status).toBe(409);
    // The same raw key in another project is another project's business.
    expect((await apiB.adminVerifyApiKey({ verifyApiKeyRequest: { credential: 'sk_live_abcdefgh12345' } })).data.is_valid).toBe(false);

    const batch = await api.adminBatchCreateImportedApiKeys({
      batchCreateImportedApiKeysRequest: { requests: [{ raw_key: 'ghp_batch_key_one_1', name: 'one', actor_id: 'u1' }, { raw_key: 'sk_live_abcdefgh12345', name: 'dup', actor_id: 'u1' }, { raw_key: 'x', name: 'short', actor_id: 'u1' }] },
    });
    expect(batch.data).toMatchObject({ success_count: 1, failure_count: 2 });
    expect(batch.data.results!.map((r) => r.error_code ?? 'ok')).toEqual(['ok', 'BATCH_CREATE_IMPORTED_API_KEYS_ERROR_ALREADY_EXISTS', 'BATCH_CREATE_IMPORTED_API_KEYS_ERROR_INVALID_ARGUMENT']);

    const id = imported.data.key_id!;
    expect((await api.adminGetImportedApiKey({ keyId: id })).data.name).toBe('Stripe');
    expect((await api.adminListImportedApiKeys({ filter: 'actor_id = "u1"' })).data.imported_api_keys!.map((k) => k.name)).toEqual(['one']);
    expect((await api.adminUpdateImportedApiKey({ keyId: id, adminUpdateImportedApiKeyRequest: { name: 'Stripe live' } })).data.name).toBe('Stripe live');
    await api.adminRevokeImportedApiKey({ keyId: id, adminRevokeImportedApiKeyBody: { reason: 'REVOCATION_REASON_KEY_COMPROMISE' } });
    expect((await api.adminVerifyApiKey({ verifyApiKeyRequest: { credential: 'sk_live_abcdefgh12345' } })).data.error_code).toBe('VERIFICATION_ERROR_REVOKED');
    await api.adminDeleteImportedApiKey({ keyId: id });
    expect((await failure(api.adminGetImportedApiKey({ keyId: id }))).status).toBe(404);
    expect((await api.adminVerifyApiKey({ verifyApiKeyRequest: { credential: 'sk_live_abcdefgh12345' } })).data.error_code).toBe('VERIFICATION_ERROR_NOT_FOUND');
    expect((await failure(api.adminDeleteImportedApiKey({ keyId: id }))).status).toBe(404);
  });

  it('adminBatchVerifyApiKeys, IP restriction and rate limit', async () => {
    const limited = await api.adminIssueApiKey({ issueApiKeyRequest: { name: 'limited', actor_id: 'u', rate_limit_policy: { quota: '3', window: '60s' } } });
    const fenced = await api.adminIssueApiKey({ issueApiKeyRequest: { name: 'fenced', actor_id: 'u', ip_restriction: { allowed_cidrs: ['203.0.113.0/24'] } } });
    const results = [];
    for (let i = 0; i < 4; i++) results.push((await api.adminVerifyApiKey({ verifyApiKeyRequest: { credential: limited.data.secret } })).data);
    expect(results.map((r) => r.is_valid)).toEqual([true, true, true, false]);
    expect(results[3]).toMatchObject({ error_code: 'VERIFICATION_ERROR_RATE_LIMITED', rate_limit_remaining: '0' });
    expect(results[0].rate_limit_remaining).toBe('2');
    expect(Date.parse(results[0].rate_limit_reset_time!)).toBeGreaterThan(Date.now());

    const from = (ip: string) => api.adminVerifyApiKey({ verifyApiKeyRequest: { credential: fenced.data.secret } }, { headers: { 'X-Forwarded-For': ip } });
    expect((await from('203.0.113.9')).data.is_valid).toBe(true);
    expect((await from('198.51.100.1')).data).toMatchObject({ is_valid: false, error_code: 'VERIFICATION_ERROR_IP_NOT_ALLOWED' });
    expect((await api.adminVerifyApiKey({ verifyApiKeyRequest: { credential: fenced.data.secret } })).data.error_code).toBe('VERIFICATION_ERROR_IP_NOT_ALLOWED');

    const batch = await api.adminBatchVerifyApiKeys({ batchVerifyApiKeysRequest: { requests: [{ credential: fenced.data.secret }, { credential: 'nope-nope' }, { credential: '' }] } }, { headers: { 'X-Forwarded-For': '203.0.113.1' } });
    expect(batch.data.results!.map((r) => r.is_valid)).toEqual([true, false, false]);
    expect((await failure(api.adminBatchVerifyApiKeys({ batchVerifyApiKeysRequest: { requests: Array.from({ length: 101 }, () => ({ credential: 'x' })) } }))).status).toBe(400);
  });

  it('adminDeriveToken (JWT and macaroon), getJwks, verification of derived tokens', async () => {
    const parent = await api.adminIssueApiKey({ issueApiKeyRequest: { name: 'parent', actor_id: 'agent_1', scopes: ['read', 'write'] } });
    const jwt = await api.adminDeriveToken({ deriveTokenRequest: { credential: parent.data.secret, algorithm: 'TOKEN_ALGORITHM_JWT', scopes: ['read'], ttl: '600s', custom_claims: { tenant: 't1' } } });
    const token = jwt.data.token!;
    expect(token.scopes).toEqual(['read']);
    const jwks = await anonymous.getJwks();
    expect(jwks.data.jwks!.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    expect(JSON.stringify(jwks.data)).not.toContain('"d"');
    // Verifiable offline with the public JWKS.
    const remote = createRemoteJWKSet(new URL(`${server.projectUrl(a.projectSlug)}/v2alpha1/derivedKeys/jwks.json`));
    const { payload } = await jwtVerify(token.token!, remote);
    expect(payload).toMatchObject({ sub: 'agent_1', scopes: ['read'], tenant: 't1', key_id: parent.data.issued_api_key!.key_id });
    expect((await api.adminVerifyApiKey({ verifyApiKeyRequest: { credential: token.token } })).data).toMatchObject({ is_valid: true, actor_id: 'agent_1', scopes: ['read'] });
    expect((await apiB.adminVerifyApiKey({ verifyApiKeyRequest: { credential: token.token } })).data.is_valid).toBe(false);

    const mac = await api.adminDeriveToken({ deriveTokenRequest: { credential: parent.data.secret, algorithm: 'TOKEN_ALGORITHM_MACAROON', scopes: ['write'] } });
    expect(mac.data.token!.token).toMatch(/^ghm_v1_/);
    expect((await api.adminVerifyApiKey({ verifyApiKeyRequest: { credential: mac.data.token!.token } })).data).toMatchObject({ is_valid: true, scopes: ['write'] });

    expect((await failure(api.adminDeriveToken({ deriveTokenRequest: { credential: parent.data.secret, scopes: ['admin'] } }))).status).toBe(400);
    expect((await failure(api.adminDeriveToken({ deriveTokenRequest: { credential: parent.data.secret, custom_claims: { sub: 'x' } } }))).status).toBe(400);
    expect((await failure(api.adminDeriveToken({ deriveTokenRequest: { credential: parent.data.secret, ttl: 'soon' } }))).status).toBe(400);

    // Revoking the parent ends its tokens.
    await api.adminRevokeIssuedApiKey({ keyId: parent.data.issued_api_key!.key_id!, adminRevokeIssuedApiKeyBody: { reason: 'REVOCATION_REASON_KEY_COMPROMISE' } });
    expect((await api.adminVerifyApiKey({ verifyApiKeyRequest: { credential: token.token } })).data).toMatchObject({ is_valid: false, error_code: 'VERIFICATION_ERROR_REVOKED' });
    expect((await api.adminVerifyApiKey({ verifyApiKeyRequest: { credential: mac.data.token!.token } })).data.is_valid).toBe(false);
  });

  it('revokeApiKey (self-revocation) needs no Gatehouse key and answers alike for unknown keys', async () => {
    const { data } = await api.adminIssueApiKey({ issueApiKeyRequest: { name: 'mine', actor_id: 'u9' } });
    expect((await failure(anonymous.revokeApiKey({ selfRevokeApiKeyRequest: { credential: data.secret, reason: 'REVOCATION_REASON_PRIVILEGE_WITHDRAWN' } }))).status).toBe(400);
    const first = await anonymous.revokeApiKey({ selfRevokeApiKeyRequest: { credential: data.secret, reason: 'REVOCATION_REASON_KEY_COMPROMISE' } });
    const second = await anonymous.revokeApiKey({ selfRevokeApiKeyRequest: { credential: data.secret } });
    const unknown = await anonymous.revokeApiKey({ selfRevokeApiKeyRequest: { credential: 'never-seen-key' } });
    expect([first.status, second.status, unknown.status]).toEqual([200, 200, 200]);
    expect(first.data).toEqual(unknown.data);
    expect((await api.adminVerifyApiKey({ verifyApiKeyRequest: { credential: data.secret } })).data.error_code).toBe('VERIFICATION_ERROR_REVOKED');
    expect((await api.adminGetIssuedApiKey({ keyId: data.issued_api_key!.key_id! })).data.revocation_reason).toBe('REVOCATION_REASON_KEY_COMPROMISE');
  });

  it('refuses bad input with 400 in Ory’s shape and stores nothing', async () => {
    const before = (await api.adminListIssuedApiKeys({ pageSize: 1000 })).data.issued_api_keys!.length;
    const bad = [
      { name: 'x', actor_id: 'u', ttl: '1 day' },
      { name: 'x', actor_id: 'u', ttl: '0.5s' },
      { name: 'x', actor_id: 'u', ttl: '11y' },
      { name: 'x', actor_id: 'u', metadata: { blob: 'x'.repeat(5000) } },
      { name: 'x', actor_id: 'u', ip_restriction: { allowed_cidrs: ['10.0.0.1/8'] } },
      { name: 'x', actor_id: 'u', ip_restriction: { allowed_cidrs: ['not-an-ip'] } },
      { name: 'x', actor_id: 'u', rate_limit_policy: { quota: '-1', window: '60s' } },
      { name: 'x', actor_id: 'u', rate_limit_policy: { quota: '5', window: 'forever' } },
      { name: 'x', actor_id: 'u', visibility: 'KEY_VISIBILITY_LOUD' },
      { name: 'x' },
    ];
    for (const body of bad) {
      const res = await failure(api.adminIssueApiKey({ issueApiKeyRequest: body as never }));
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body.error).toMatchObject({ code: 400, status: 'Bad Request' });
    }
    for (const ttl of ['3600s', '24h', '1d', '1w', '1mo', '1y', '1y6mo', '1h30m']) {
      expect((await api.adminIssueApiKey({ issueApiKeyRequest: { name: `ttl ${ttl}`, actor_id: 'ttl' } })).status).toBe(200);
    }
    const after = (await api.adminListIssuedApiKeys({ pageSize: 1000 })).data.issued_api_keys!.length;
    expect(after).toBe(before + 8);
  });

  it('request_id makes issuing idempotent', async () => {
    const first = await api.adminIssueApiKey({ issueApiKeyRequest: { name: 'idem', actor_id: 'u', request_id: 'req-1' } });
    const retry = await api.adminIssueApiKey({ issueApiKeyRequest: { name: 'idem', actor_id: 'u', request_id: 'req-1' } });
    expect(retry.data.issued_api_key!.key_id).toBe(first.data.issued_api_key!.key_id);
    expect(retry.data.secret).toBeUndefined();
  });
});
