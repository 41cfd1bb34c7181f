import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { bearer, createTestContext, dialectName, seedTenant, type Tenant, type TestContext } from '../helpers/context.js';

describe(`API keys over the Management API (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  beforeAll(async () => {
    ctx = await createTestContext({ lastUsedFlushMs: 60_000 });
    t = await seedTenant(ctx.registry);
  });
  afterAll(() => ctx.close());

  const create = (url: string, key: string, body: object) => ctx.app.inject({ method: 'POST', url, headers: bearer(key), payload: body });

  it('shows a new project key once, lists it without the value, and it works on its project', async () => {
    const res = await create(`/projects/${t.projectId}/tokens`, t.workspaceKey, { name: 'backend' });
    expect(res.statusCode).toBe(201);
    const key = res.json();
    expect(key).toMatchObject({ name: 'backend', owner_id: t.userId, project_id: t.projectId });
    expect(key.value).toMatch(/^ory_pat_/);
    expect(key.last_characters).toBe(key.value.slice(-4));

    const list = await ctx.app.inject({ method: 'GET', url: `/projects/${t.projectId}/tokens`, headers: bearer(t.workspaceKey) });
    expect(list.statusCode).toBe(200);
    const listed = list.json().find((k: { id: string }) => k.id === key.id);
    expect(listed).toMatchObject({ id: key.id, name: 'backend', last_characters: key.last_characters });
    expect(listed.value).toBeUndefined();
    expect(list.body).not.toContain(key.value);
    expect(list.body).not.toContain('secret_hash');

    // The key itself is not in the database, in any column.
    const rows = await sql<{ n: number }>`select count(*) as n from api_keys where secret_hash = ${key.value} or name = ${key.value} or last_characters = ${key.value}`.execute(ctx.registry.db);
    expect(Number(rows.rows[0].n)).toBe(0);
  });

  it('refuses a deleted key on the very next request', async () => {
    const key = (await create(`/workspaces/${t.workspaceId}/tokens`, t.workspaceKey, { name: 'ci' })).json();
    const use = () => ctx.app.inject({ method: 'GET', url: `/workspaces/${t.workspaceId}`, headers: bearer(key.value) });
    expect((await use()).statusCode).toBe(200); // now cached
    const del = await ctx.app.inject({ method: 'DELETE', url: `/workspaces/${t.workspaceId}/tokens/${key.id}`, headers: bearer(t.workspaceKey) });
    expect(del.statusCode).toBe(204);
    expect((await use()).statusCode).toBe(401);
    // Gone from the list, kept in the table for audit.
    const list = await ctx.app.inject({ method: 'GET', url: `/workspaces/${t.workspaceId}/tokens`, headers: bearer(t.workspaceKey) });
    expect(list.json().map((k: { id: string }) => k.id)).not.toContain(key.id);
    const row = await ctx.registry.db.selectFrom('api_keys').select('revoked_at').where('id', '=', key.id).executeTakeFirstOrThrow();
    expect(row.revoked_at).not.toBeNull();
    // Deleting it again is a 404.
    expect((await ctx.app.inject({ method: 'DELETE', url: `/workspaces/${t.workspaceId}/tokens/${key.id}`, headers: bearer(t.workspaceKey) })).statusCode).toBe(404);
  });

  it('refuses a key once it expires', async () => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const res = await create(`/projects/${t.projectId}/tokens`, t.workspaceKey, { name: 'short', expires_at: expiresAt });
    expect(res.statusCode).toBe(201);
    expect(res.json().expires_at).toBe(expiresAt);
    const value = res.json().value;
    const verify = () => ctx.registry.keys.verify(value);
    expect((await verify()).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 1600));
    expect(await verify()).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses expiry dates in the past and malformed ones', async () => {
    expect((await create(`/projects/${t.projectId}/tokens`, t.workspaceKey, { name: 'old', expires_at: '2001-01-01T00:00:00Z' })).statusCode).toBe(400);
    expect((await create(`/projects/${t.projectId}/tokens`, t.workspaceKey, { name: 'bad', expires_at: 'tomorrow' })).statusCode).toBe(400);
    expect((await create(`/projects/${t.projectId}/tokens`, t.workspaceKey, { name: '' })).statusCode).toBe(400);
  });

  it('records last use in batches and shows it in lists', async () => {
    const key = (await create(`/workspaces/${t.workspaceId}/tokens`, t.workspaceKey, { name: 'used' })).json();
    expect(key.last_used_at).toBeUndefined();
    await ctx.app.inject({ method: 'GET', url: `/workspaces/${t.workspaceId}`, headers: bearer(key.value) });
    // Not yet written, but lists already show it.
    const row = await ctx.registry.db.selectFrom('api_keys').select('last_used_at').where('id', '=', key.id).executeTakeFirstOrThrow();
    expect(row.last_used_at).toBeNull();
    const list = await ctx.app.inject({ method: 'GET', url: `/workspaces/${t.workspaceId}/tokens`, headers: bearer(t.workspaceKey) });
    expect(list.json().find((k: { id: string }) => k.id === key.id).last_used_at).toBeTruthy();
    await ctx.registry.keys.flushLastUsed();
    const after = await ctx.registry.db.selectFrom('api_keys').select('last_used_at').where('id', '=', key.id).executeTakeFirstOrThrow();
    expect(after.last_used_at).toBeTruthy();
  });

  it('keeps a key working after the member who created it leaves', async () => {
    const { user: dev } = await ctx.registry.tenancy.users.findOrCreate(`dev-${Date.now()}@example.com`);
    await ctx.registry.db.insertInto('workspace_members').values({ workspace_id: t.workspaceId, user_id: dev.id, role: 'developer', created_at: new Date().toISOString() }).execute();
    const key = await ctx.registry.keys.issue({ kind: 'project', workspaceId: t.workspaceId, projectId: t.projectId }, { name: 'by dev', ownerId: dev.id });
    const removed = await ctx.app.inject({ method: 'DELETE', url: `/workspaces/${t.workspaceId}/members/${dev.id}`, headers: bearer(t.workspaceKey) });
    expect(removed.statusCode).toBe(204);
    const result = await ctx.registry.keys.verify(key.value);
    expect(result.ok).toBe(true);
    const list = await ctx.app.inject({ method: 'GET', url: `/projects/${t.projectId}/tokens`, headers: bearer(t.workspaceKey) });
    expect(list.json().find((k: { id: string }) => k.id === key.id).owner_id).toBe(dev.id);
  });

  it('a project key cannot manage keys, and keys of another workspace are invisible', async () => {
    const other = await seedTenant(ctx.registry, 'other');
    expect((await create(`/projects/${t.projectId}/tokens`, t.projectKey, { name: 'x' })).statusCode).toBe(401);
    expect((await create(`/projects/${t.projectId}/tokens`, other.workspaceKey, { name: 'x' })).statusCode).toBe(404);
    expect((await ctx.app.inject({ method: 'GET', url: `/workspaces/${t.workspaceId}/tokens`, headers: bearer(other.workspaceKey) })).statusCode).toBe(404);
    const mine = (await create(`/workspaces/${t.workspaceId}/tokens`, t.workspaceKey, { name: 'mine' })).json();
    // Another workspace cannot delete it by id, even knowing the id.
    expect((await ctx.app.inject({ method: 'DELETE', url: `/workspaces/${other.workspaceId}/tokens/${mine.id}`, headers: bearer(other.workspaceKey) })).statusCode).toBe(404);
    expect((await ctx.registry.keys.verify(mine.value)).ok).toBe(true);
  });
});

describe(`legacy ory_apikey_ keys (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry);
  });
  afterAll(() => ctx.close());

  it('accepts an imported legacy key on its own project only', async () => {
    const legacy = 'ory_apikey_' + 'Qx7'.repeat(12);
    await ctx.registry.keys.importKey({ kind: 'project', workspaceId: t.workspaceId, projectId: t.projectId }, { name: 'legacy', ownerId: t.userId, value: legacy });
    const res = await ctx.app.inject({ method: 'GET', url: `/p/${t.projectSlug}/admin/identities`, headers: bearer(legacy) });
    expect(res.statusCode).toBe(200);
    const other = await seedTenant(ctx.registry, 'other');
    expect((await ctx.app.inject({ method: 'GET', url: `/p/${other.projectSlug}/admin/identities`, headers: bearer(legacy) })).statusCode).toBe(401);
    expect((await ctx.app.inject({ method: 'GET', url: `/p/${t.projectSlug}/admin/identities`, headers: bearer('ory_apikey_' + 'Zz9'.repeat(12)) })).statusCode).toBe(401);
  });
});

describe('key cache when cross-node invalidation is down', () => {
  it('re-reads entries older than a second instead of trusting the TTL', async () => {
    const ctx = await createTestContext({ keyCacheTtlMs: 60_000 });
    try {
      const t = await seedTenant(ctx.registry);
      let live = true;
      ctx.registry.notifier.isLive = () => live;
      expect((await ctx.registry.keys.verify(t.workspaceKey)).ok).toBe(true);
      // Another node revokes it (simulated by a direct write, which no message announces).
      await ctx.registry.db.updateTable('api_keys').set({ revoked_at: new Date().toISOString() }).where('workspace_id', '=', t.workspaceId).where('kind', '=', 'workspace').execute();
      expect((await ctx.registry.keys.verify(t.workspaceKey)).ok).toBe(true); // cached, listener live
      live = false;
      await new Promise((r) => setTimeout(r, 1100));
      expect(await ctx.registry.keys.verify(t.workspaceKey)).toEqual({ ok: false, reason: 'revoked' });
    } finally {
      await ctx.close();
    }
  });
});

describe('key cache and revocations in flight', () => {
  it('does not cache a lookup that a revocation overlapped, and finds the revoked row on the re-read', async () => {
    const ctx = await createTestContext({ keyCacheTtlMs: 60_000 });
    try {
      const t = await seedTenant(ctx.registry);
      // The first read returns the row as it was; before the answer is used, another node revokes
      // the key (the row changes, then the message arrives), as can happen while a read is in flight.
      const keys = ctx.registry.keys as unknown as { load(hmac: string): Promise<unknown> };
      const load = keys.load.bind(keys);
      let reads = 0;
      keys.load = async (hmac: string) => {
        const before = await load(hmac);
        if (reads++ === 0) {
          await ctx.registry.db.updateTable('api_keys').set({ revoked_at: new Date().toISOString() }).where('secret_hash', '=', hmac).execute();
          await ctx.registry.notifier.publish({ type: 'api-key', hash: hmac });
        }
        return before;
      };
      const pending = ctx.registry.keys.verify(t.workspaceKey);
      expect(await pending).toEqual({ ok: false, reason: 'revoked' });
      expect(ctx.registry.keys.verifyCached(t.workspaceKey)).toBeUndefined(); // nothing was cached
      expect(await ctx.registry.keys.verify(t.workspaceKey)).toEqual({ ok: false, reason: 'revoked' });
    } finally {
      await ctx.close();
    }
  });
});

describe('keys stored before lookup values named their purpose', () => {
  it('still verify, are revoked at once, and cannot be imported again', async () => {
    const ctx = await createTestContext({ keyCacheTtlMs: 60_000 });
    try {
      const t = await seedTenant(ctx.registry);
      const { legacyApiKeyHash } = await import('../../src/keys/format.js');
      const scope = { kind: 'project', workspaceId: t.workspaceId, projectId: t.projectId } as const;
      const legacy = 'ory_apikey_' + 'Lg7'.repeat(12);
      const key = await ctx.registry.keys.importKey(scope, { name: 'old', ownerId: t.userId, value: legacy });
      // As a store written by an older version holds it.
      await ctx.registry.db.updateTable('api_keys').set({ secret_hash: legacyApiKeyHash(ctx.registry.config.secret, legacy) }).where('id', '=', key.id).execute();
      expect((await ctx.registry.keys.verify(legacy)).ok).toBe(true);
      await expect(ctx.registry.keys.importKey(scope, { name: 'again', ownerId: t.userId, value: legacy })).rejects.toMatchObject({ code: 409 });
      expect(await ctx.registry.keys.revoke(scope, key.id)).toBe(true);
      expect(await ctx.registry.keys.verify(legacy)).toEqual({ ok: false, reason: 'revoked' });
    } finally {
      await ctx.close();
    }
  });
});
