import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../helpers/process.js';

// Two stateless nodes on one PostgreSQL database: a user key revoked through one node is refused by
// the other within a second (the cache TTL is a minute here), and a rate limit of N per window admits
// exactly N verifications across both nodes.
const pg = process.env.TEST_DATABASE_URL;

describe.skipIf(!pg)('user keys across nodes (PostgreSQL)', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let slug: string;
  let projectKey: string;
  beforeAll(async () => {
    const env = { DATABASE_URL: pg, KEY_CACHE_TTL_MS: '60000', SECRETS_DEFAULT: 'user-keys-multi-node-secret-0123456789abcdef' };
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    const boot = JSON.parse(await a.cli('bootstrap', '--email', `uk-nodes-${Date.now()}@example.com`, '--workspace', 'UK nodes', '--json'));
    const h = { authorization: `Bearer ${boot.api_key.value}`, 'content-type': 'application/json' };
    const p = await (await fetch(`${a.url}/projects`, { method: 'POST', headers: h, body: JSON.stringify({ name: 'uk', environment: 'dev' }) })).json();
    slug = p.slug;
    projectKey = (await (await fetch(`${a.url}/projects/${p.id}/tokens`, { method: 'POST', headers: h, body: JSON.stringify({ name: 'k' }) })).json()).value;
  }, 60_000);
  afterAll(async () => Promise.all([a?.stop(), b?.stop()]));

  const call = async (node: ServerProcess, path: string, body: unknown) => {
    const res = await fetch(`${node.url}/p/${slug}/v2alpha1/admin/${path}`, { method: 'POST', headers: { authorization: `Bearer ${projectKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return res.json();
  };
  const issue = (body: object) => call(a, 'issuedApiKeys', { actor_id: 'u', name: 'n', ...body });
  const verify = (node: ServerProcess, credential: string) => call(node, 'apiKeys:verify', { credential });

  it('refuses a revoked key on the other node within 1 second', async () => {
    const { secret, issued_api_key } = await issue({});
    expect((await verify(b, secret)).is_valid).toBe(true); // B has it cached now
    expect((await verify(b, secret)).is_valid).toBe(true);
    await call(a, `issuedApiKeys/${issued_api_key.key_id}:revoke`, { reason: 'REVOCATION_REASON_KEY_COMPROMISE' });
    const revokedAt = Date.now();
    expect((await verify(a, secret)).is_valid).toBe(false);
    let result = await verify(b, secret);
    while (result.is_valid && Date.now() - revokedAt < 5000) {
      await new Promise((r) => setTimeout(r, 20));
      result = await verify(b, secret);
    }
    expect(result).toMatchObject({ is_valid: false, error_code: 'VERIFICATION_ERROR_REVOKED' });
    expect(Date.now() - revokedAt).toBeLessThan(1000);
  });

  it('admits exactly N verifications per window across two nodes', async () => {
    const N = 25;
    const { secret } = await issue({ rate_limit_policy: { quota: String(N), window: '3600s' } });
    let valid = 0;
    for (let i = 0; i < 2 * N + 10; i++) if ((await verify(i % 2 ? a : b, secret)).is_valid) valid++;
    expect(valid).toBe(N);
  });
});
