import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestContext, dialectName, seedTenant, type Tenant, type TestContext } from '../helpers/context.js';
import { generateApiKey } from '../../src/keys/format.js';
import { LEAK_REPORTS_PER_MINUTE } from '../../src/keys/routes.js';

// The lifecycle of Gatehouse's own keys over HTTP, as a workspace owner's script would drive it:
// scopes, address allowlists, per-key rate limits, rotation with a grace period, leaked-key reports.

describe(`key lifecycle (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  const json = (key: string) => ({ ...bearer(key), 'content-type': 'application/json' });
  const wsTokens = () => `/workspaces/${t.workspaceId}/tokens`;
  const create = (body: unknown, url = wsTokens()) => ctx.app.inject({ method: 'POST', url, headers: json(t.workspaceKey), payload: JSON.stringify(body) });
  const list = async (url = wsTokens()) => (await ctx.app.inject({ method: 'GET', url, headers: bearer(t.workspaceKey) })).json() as Array<Record<string, unknown>>;
  const getWorkspace = (key: string, headers: Record<string, string> = {}, remoteAddress?: string) =>
    ctx.app.inject({ method: 'GET', url: `/workspaces/${t.workspaceId}`, headers: { ...bearer(key), ...headers }, remoteAddress });

  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry, 'lifecycle');
  });
  afterAll(() => ctx.close());

  it('creates a key with scopes, an allowlist and a rate limit, and shows them but never the value again', async () => {
    const res = await create({ name: 'ci deploy', scopes: ['projects:write', 'members:read', 'projects:write'], allowed_cidrs: ['127.0.0.1', '2001:DB8::/32'], rate_limit: { requests: 100, per: '1m' } });
    expect(res.statusCode).toBe(201);
    const key = res.json();
    expect(key.value).toMatch(/^ory_wak_/);
    expect(key.scopes).toEqual(['members:read', 'projects:write']);
    expect(key.allowed_cidrs).toEqual(['127.0.0.1/32', '2001:db8::/32']);
    expect(key.rate_limit).toEqual({ requests: 100, per: '1m' });
    const listed = (await list()).find((k) => k.id === key.id)!;
    expect(listed).toMatchObject({ scopes: key.scopes, allowed_cidrs: key.allowed_cidrs, rate_limit: key.rate_limit });
    expect(JSON.stringify(listed)).not.toContain(key.value);
  });

  it('refuses bad lifecycle fields with a 400 naming them, storing nothing', async () => {
    const before = (await list()).length;
    const bad: Array<[unknown, string]> = [
      [{ name: 'x', scopes: ['identities:read'] }, 'scopes'], // a project scope on a workspace key
      [{ name: 'x', scopes: ['projects:admin'] }, 'scopes'],
      [{ name: 'x', allowed_cidrs: ['300.1.2.3/8'] }, 'allowed_cidrs'],
      [{ name: 'x', allowed_cidrs: ['203.0.113.7/24'] }, 'allowed_cidrs'],
      [{ name: 'x', allowed_cidrs: [] }, 'allowed_cidrs'],
      [{ name: 'x', rate_limit: { requests: 0, per: '1m' } }, 'rate_limit'],
      [{ name: 'x', rate_limit: { requests: 10, per: '0s' } }, 'rate_limit'],
      [{ name: 'x', rate_limit: { requests: 10, per: 'soon' } }, 'rate_limit'],
      [{ name: 'x', rate_limit: { requests: -5, per: '1m' } }, 'rate_limit'],
    ];
    for (const [body, field] of bad) {
      const res = await create(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.reason ?? res.json().error.message, JSON.stringify(body)).toContain(field);
    }
    expect((await list()).length).toBe(before);
  });

  it('refuses a scoped key on a route outside its scopes with a 403 naming the scope', async () => {
    const reader = (await create({ name: 'reader', scopes: ['workspace:read'] })).json();
    expect((await getWorkspace(reader.value)).statusCode).toBe(200);
    const res = await ctx.app.inject({ method: 'POST', url: '/projects', headers: json(reader.value), payload: JSON.stringify({ name: 'nope', workspace_id: t.workspaceId }) });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.message).toContain('projects:write');
    // A project key's scopes work the same on the project plane.
    const pk = (await create({ name: 'identities reader', scopes: ['identities:read'] }, `/projects/${t.projectId}/tokens`)).json();
    expect((await ctx.app.inject({ method: 'GET', url: `/p/${t.projectSlug}/admin/identities`, headers: bearer(pk.value) })).statusCode).toBe(200);
    const write = await ctx.app.inject({ method: 'POST', url: `/p/${t.projectSlug}/admin/identities`, headers: json(pk.value), payload: '{}' });
    expect(write.statusCode).toBe(403);
    expect(write.json().error.message).toContain('identities:write');
  });

  it('refuses a key from outside its allowlist, honouring only trusted proxies', async () => {
    const office = (await create({ name: 'office', allowed_cidrs: ['203.0.113.0/24'] })).json();
    expect((await getWorkspace(office.value, {}, '203.0.113.9')).statusCode).toBe(200);
    const elsewhere = await getWorkspace(office.value, {}, '198.51.100.1');
    expect(elsewhere.statusCode).toBe(403);
    expect(elsewhere.json().error.reason).toContain('client address');
    // Without TRUST_PROXY, X-Forwarded-For is the caller's own claim and is ignored.
    expect((await getWorkspace(office.value, { 'x-forwarded-for': '203.0.113.9' }, '198.51.100.1')).statusCode).toBe(403);

    const proxied = await createTestContext({ trustProxy: ['10.0.0.0/8'] });
    try {
      const p = await seedTenant(proxied.registry, 'proxied');
      const key = await proxied.registry.keys.issue({ kind: 'workspace', workspaceId: p.workspaceId }, { name: 'office', ownerId: p.userId, allowedCidrs: ['203.0.113.0/24'] });
      const via = (xff: string, remoteAddress: string) => proxied.app.inject({ method: 'GET', url: `/workspaces/${p.workspaceId}`, headers: { ...bearer(key.value), 'x-forwarded-for': xff }, remoteAddress });
      expect((await via('203.0.113.9', '10.1.2.3')).statusCode).toBe(200);
      expect((await via('198.51.100.1', '10.1.2.3')).statusCode).toBe(403);
      // A proxy that is not trusted cannot vouch for anyone.
      expect((await via('203.0.113.9', '192.0.2.1')).statusCode).toBe(403);
    } finally {
      await proxied.close();
    }
  });

  it('admits exactly the rate limit per window, with X-RateLimit headers and Retry-After', async () => {
    const limited = (await create({ name: 'limited', rate_limit: { requests: 3, per: '1h' } })).json();
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await getWorkspace(limited.value));
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 200, 429, 429]);
    expect(answers.slice(0, 3).map((r) => r.headers['x-ratelimit-remaining'])).toEqual(['2', '1', '0']);
    expect(answers[0].headers['x-ratelimit-limit']).toBe('3');
    expect(Number(answers[0].headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
    expect(Number(answers[3].headers['retry-after'])).toBeGreaterThan(0);
    expect(answers[3].json().error.code).toBe(429);
    // Another key is not affected, and a plain key carries no rate-limit headers.
    const plain = await getWorkspace(t.workspaceKey);
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['x-ratelimit-limit']).toBeUndefined();
  });

  it('rotates a key: the new value at once, the old one until the grace period ends', async () => {
    const original = (await create({ name: 'rotating', scopes: ['workspace:read'], rate_limit: { requests: 1000, per: '1m' } })).json();
    const res = await ctx.app.inject({ method: 'POST', url: `${wsTokens()}/${original.id}/rotate`, headers: json(t.workspaceKey), payload: JSON.stringify({ grace_period: '24h' }) });
    expect(res.statusCode).toBe(201);
    const next = res.json();
    expect(next.value).toMatch(/^ory_wak_/);
    expect(next.id).not.toBe(original.id);
    expect(next).toMatchObject({ name: 'rotating', scopes: ['workspace:read'], rate_limit: { requests: 1000, per: '1m' } });
    expect((await getWorkspace(next.value)).statusCode).toBe(200);
    expect((await getWorkspace(original.value)).statusCode).toBe(200);
    const old = (await list()).find((k) => k.id === original.id)!;
    expect(old.replaced_by).toBe(next.id);
    const ends = Date.parse(old.expires_at as string);
    expect(Math.abs(ends - (Date.now() + 24 * 3_600_000))).toBeLessThan(60_000);
    // A rotated key is rotated once; its replacement is what rotates next.
    const again = await ctx.app.inject({ method: 'POST', url: `${wsTokens()}/${original.id}/rotate`, headers: json(t.workspaceKey), payload: '{}' });
    expect(again.statusCode).toBe(409);

    // Without a grace period the old value stops at once.
    const nowRes = await ctx.app.inject({ method: 'POST', url: `${wsTokens()}/${next.id}/rotate`, headers: json(t.workspaceKey), payload: '{}' });
    expect(nowRes.statusCode).toBe(201);
    expect((await getWorkspace(next.value)).statusCode).toBe(401);
    expect((await getWorkspace(nowRes.json().value)).statusCode).toBe(200);
  });

  it('refuses bad grace periods and keys of other workspaces', async () => {
    const key = (await create({ name: 'grace' })).json();
    for (const grace_period of ['-1h', '721h', 'tomorrow', '']) {
      const res = await ctx.app.inject({ method: 'POST', url: `${wsTokens()}/${key.id}/rotate`, headers: json(t.workspaceKey), payload: JSON.stringify({ grace_period }) });
      expect(res.statusCode, grace_period).toBe(400);
    }
    expect((await getWorkspace(key.value)).statusCode).toBe(200);
    const other = await seedTenant(ctx.registry, 'other');
    const foreign = await ctx.app.inject({ method: 'POST', url: `/workspaces/${other.workspaceId}/tokens/${key.id}/rotate`, headers: json(other.workspaceKey), payload: '{}' });
    const missing = await ctx.app.inject({ method: 'POST', url: `/workspaces/${other.workspaceId}/tokens/00000000-0000-4000-8000-000000000000/rotate`, headers: json(other.workspaceKey), payload: '{}' });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().error.id).toBe(missing.json().error.id);
  });

  it('revokes reported leaked keys and answers 202 whatever was sent', async () => {
    const leaked = (await create({ name: 'leaked' })).json();
    const projectLeak = (await create({ name: 'leaked too' }, `/projects/${t.projectId}/tokens`)).json();
    const report = (url: string, keys: string[], remoteAddress = '192.0.2.10') =>
      ctx.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ keys }), remoteAddress });
    const res = await report('/api-keys/revoke', [leaked.value, 'not-a-key', generateApiKey('workspace')]);
    expect(res.statusCode).toBe(202);
    expect(res.body).toBe('');
    expect((await getWorkspace(leaked.value)).statusCode).toBe(401);
    // The same answer for keys that do not exist or were revoked already.
    expect((await report('/api-keys/revoke', [generateApiKey('project')])).statusCode).toBe(202);
    expect((await report('/api-keys/revoke', [leaked.value])).statusCode).toBe(202);
    // Under a project host too.
    expect((await report(`/p/${t.projectSlug}/api-keys/revoke`, [projectLeak.value])).statusCode).toBe(202);
    expect((await ctx.app.inject({ method: 'GET', url: `/p/${t.projectSlug}/admin/identities`, headers: bearer(projectLeak.value) })).statusCode).toBe(401);
    // Bad reports are 400s; the keys of the workspace keep working.
    expect((await report('/api-keys/revoke', [])).statusCode).toBe(400);
    expect((await report('/api-keys/revoke', Array.from({ length: 1001 }, () => generateApiKey('workspace')))).statusCode).toBe(400);
    expect((await getWorkspace(t.workspaceKey)).statusCode).toBe(200);
  });

  it('records rotations, leak revocations, refusals and first uses in the workspace audit log, with no key value', async () => {
    const key = (await create({ name: 'audited', scopes: ['workspace:read'] })).json();
    // The first address a key is used from is its home; a use from another one is worth a record.
    await getWorkspace(key.value, {}, '192.0.2.43');
    await expect.poll(() => ctx.registry.db.selectFrom('api_key_addresses').select('address').where('key_id', '=', key.id).execute().then((r) => r.length)).toBe(1);
    await getWorkspace(key.value, {}, '192.0.2.44');
    await ctx.app.inject({ method: 'POST', url: '/projects', headers: json(key.value), payload: JSON.stringify({ name: 'nope', workspace_id: t.workspaceId }) });
    const rotated = (await ctx.app.inject({ method: 'POST', url: `${wsTokens()}/${key.id}/rotate`, headers: json(t.workspaceKey), payload: JSON.stringify({ grace_period: '1h' }) })).json();
    await ctx.app.inject({ method: 'POST', url: '/api-keys/revoke', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ keys: [rotated.value] }), remoteAddress: '192.0.2.99' });
    // Records are written without holding up the answer: wait for them.
    const events = async () => (await ctx.app.inject({ method: 'GET', url: `/workspaces/${t.workspaceId}/audit-events?page_size=100`, headers: bearer(t.workspaceKey) })).json() as Array<Record<string, any>>;
    const want = ['api_key.new_client_address', 'api_key.refused', 'api_key.rotated', 'api_key.revoked_by_leak'];
    await expect.poll(async () => { const seen = await events(); return want.filter((w) => !seen.some((e) => e.event === w)); }, { timeout: 5000 }).toEqual([]);
    const all = await events();
    const refused = all.find((e) => e.event === 'api_key.refused' && JSON.stringify(e).includes(key.id))!;
    expect(JSON.stringify(refused)).toContain('projects:write');
    expect(all.find((e) => e.event === 'api_key.revoked_by_leak')).toMatchObject({ client_address: '192.0.2.99' });
    const text = JSON.stringify(all);
    expect(text).not.toContain(key.value);
    expect(text).not.toContain(rotated.value);
  });

  it('rate-limits leak reports per client address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LEAK_REPORTS_PER_MINUTE + 1; i++) {
      const res = await ctx.app.inject({ method: 'POST', url: '/api-keys/revoke', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ keys: ['x'] }), remoteAddress: '198.51.100.77' });
      statuses.push(res.statusCode);
    }
    // Fixed windows: a run that straddles a minute boundary starts over, so count rather than index.
    const limited = statuses.filter((s) => s === 429).length;
    expect(statuses.filter((s) => s !== 202 && s !== 429)).toEqual([]);
    expect(limited === 1 || (limited === 0 && new Date().getSeconds() < 5)).toBe(true);
    const fresh = await ctx.app.inject({ method: 'POST', url: '/api-keys/revoke', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ keys: ['x'] }), remoteAddress: '198.51.100.78' });
    expect(fresh.statusCode).toBe(202);
  });
});
