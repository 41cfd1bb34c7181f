import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageCounters } from '../../src/usage/usage-counters.js';
import { bearer, createTestContext, dialectName, seedTenant, type Tenant, type TestContext } from '../helpers/context.js';
import { Client, GOOD_PASSWORD, loginNative, randomEmail, registerNative } from '../selfservice/helpers.js';

// What the console's overview charts and "keys in use" table read: hourly counters that requests
// add to in memory and nodes flush in batches, read through the Management API.

const HOUR_MS = 3_600_000;

describe(`usage counters (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  let other: Tenant;
  const metrics = async (tenant: Tenant, query: string, key = tenant.workspaceKey) =>
    ctx.app.inject({ method: 'GET', url: `/projects/${tenant.projectId}/metrics?${query}`, headers: bearer(key) });
  const total = async (tenant: Tenant, metric: string, extra = '') => {
    const res = await metrics(tenant, `metric=${metric}${extra}`);
    expect(res.statusCode, res.body).toBe(200);
    return (res.json().data as { count: number }[]).reduce((n, p) => n + p.count, 0);
  };

  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry, 'usage');
    other = await seedTenant(ctx.registry, 'usage-other');
  });
  afterAll(() => ctx.close());

  it('counts sign-ups and logins of the self-service flows, per project', async () => {
    const c = new Client(ctx, t.projectSlug);
    const email = randomEmail('usage');
    await registerNative(c, email);
    await registerNative(c, randomEmail('usage'));
    expect((await loginNative(c, email, GOOD_PASSWORD)).statusCode).toBe(200);
    expect((await loginNative(c, email, 'wrong password, not counted')).statusCode).toBe(400);
    await ctx.registry.usage.flush();
    expect(await total(t, 'signups')).toBe(2);
    expect(await total(t, 'logins')).toBe(1);
    expect(await total(other, 'signups')).toBe(0);
  });

  it('counts the project plane’s answers and its errors', async () => {
    const before = await total(t, 'api_requests');
    const errorsBefore = await total(t, 'api_errors');
    for (let i = 0; i < 3; i++) await ctx.app.inject({ method: 'GET', url: `/p/${t.projectSlug}/admin/identities`, headers: bearer(t.projectKey) });
    await ctx.app.inject({ method: 'GET', url: `/p/${t.projectSlug}/admin/identities`, headers: bearer(other.projectKey) });
    await ctx.registry.usage.flush();
    expect(await total(t, 'api_requests')).toBe(before + 4);
    expect(await total(t, 'api_errors')).toBe(errorsBefore + 1);
  });

  it('answers one zero-filled point per bucket, oldest first', async () => {
    const to = new Date(Math.ceil(Date.now() / HOUR_MS) * HOUR_MS);
    const from = new Date(to.getTime() - 24 * HOUR_MS);
    const hourly = (await metrics(t, `metric=signups&from=${from.toISOString()}&to=${to.toISOString()}`)).json().data;
    expect(hourly).toHaveLength(24);
    expect(hourly[0].time).toBe(from.toISOString());
    expect(hourly.at(-1).count).toBe(2);
    expect(hourly.slice(0, -1).every((p: { count: number }) => p.count === 0)).toBe(true);
    const daily = (await metrics(t, `metric=signups&from=${new Date(to.getTime() - 7 * 24 * HOUR_MS).toISOString()}&to=${to.toISOString()}`)).json().data;
    expect(daily.length).toBeGreaterThanOrEqual(7);
    expect(daily.length).toBeLessThanOrEqual(8);
    expect(daily.reduce((n: number, p: { count: number }) => n + p.count, 0)).toBe(2);
  });

  it('counts each key’s calls and refusals: Gatehouse keys and user keys', async () => {
    const pj = { kind: 'project', workspaceId: t.workspaceId, projectId: t.projectId } as const;
    const narrow = await ctx.registry.keys.issue(pj, { name: 'reader', ownerId: t.userId, scopes: ['sessions:read'] });
    await ctx.app.inject({ method: 'GET', url: `/p/${t.projectSlug}/admin/sessions`, headers: bearer(narrow.value) });
    await ctx.app.inject({ method: 'GET', url: `/p/${t.projectSlug}/admin/identities`, headers: bearer(narrow.value) });
    await ctx.app.inject({ method: 'GET', url: `/p/${t.projectSlug}/admin/identities`, headers: bearer(narrow.value) });

    const { issued_api_key: userKey, secret } = await ctx.registry.userKeys.issue(t.projectId, { name: 'customer', actor_id: 'cust-1' });
    const verify = (credential: string) => ctx.app.inject({ method: 'POST', url: `/p/${t.projectSlug}/v2alpha1/admin/apiKeys:verify`, headers: bearer(t.projectKey), payload: { credential } });
    expect((await verify(secret!)).json().is_valid).toBe(true);
    expect((await verify(secret!)).json().is_valid).toBe(true);
    await ctx.registry.userKeys.revoke(t.projectId, 'issued', userKey.key_id, undefined, undefined);
    expect((await verify(secret!)).json().error_code).toBe('VERIFICATION_ERROR_REVOKED');

    await ctx.app.inject({ method: 'GET', url: '/projects', headers: bearer(t.workspaceKey) });
    await ctx.registry.usage.flush();

    const keys = (await ctx.app.inject({ method: 'GET', url: `/projects/${t.projectId}/metrics/keys`, headers: bearer(t.workspaceKey) })).json().keys;
    expect(keys).toContainEqual({ key_id: narrow.id, requests: 1, refusals: 2 });
    expect(keys).toContainEqual({ key_id: userKey.key_id, requests: 2, refusals: 1 });
    expect(await total(t, 'key_refusals', `&key_id=${narrow.id}`)).toBe(2);
    const otherKeys = (await ctx.app.inject({ method: 'GET', url: `/projects/${other.projectId}/metrics/keys`, headers: bearer(other.workspaceKey) })).json().keys;
    expect(otherKeys.map((k: { key_id: string }) => k.key_id)).not.toContain(narrow.id);

    const workspace = (await ctx.app.inject({ method: 'GET', url: `/workspaces/${t.workspaceId}/metrics/keys`, headers: bearer(t.workspaceKey) })).json().keys;
    expect(workspace.length).toBe(1);
    expect(workspace[0].requests).toBeGreaterThanOrEqual(1);
  });

  it('samples the project’s unexpired sessions as a gauge', async () => {
    const c = new Client(ctx, other.projectSlug);
    const first = await registerNative(c, randomEmail('gauge'));
    await registerNative(c, randomEmail('gauge'));
    await ctx.app.inject({ method: 'DELETE', url: `/p/${other.projectSlug}/admin/sessions/${first.session.id}`, headers: bearer(other.projectKey) });
    await ctx.registry.usage.flush();
    const points = (await metrics(other, 'metric=active_sessions')).json().data as { count: number }[];
    expect(Math.max(...points.map((p) => p.count))).toBe(1);
  });

  it('adds up the counts of every node writing to the store', async () => {
    const a = new UsageCounters({ db: ctx.registry.db, flushMs: 60_000 });
    const b = new UsageCounters({ db: ctx.registry.db, flushMs: 60_000 });
    for (let i = 0; i < 5; i++) a.count(other.workspaceId, other.projectId, 'logins');
    for (let i = 0; i < 7; i++) b.count(other.workspaceId, other.projectId, 'logins');
    await Promise.all([a.close(), b.close()]);
    expect(await total(other, 'logins')).toBe(12);
  });

  it('refuses a bad window or metric with a 400 that names it', async () => {
    const cases: [string, RegExp][] = [
      ['metric=nope', /metric/],
      ['metric=logins&from=yesterday', /from/],
      ['metric=logins&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', /before/],
      ['metric=logins&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', /31 days/],
      ['metric=logins&resolution=5m', /resolution/],
      ['metric=logins&key_id=abc', /key_id/],
      ['metric=logins&extra=1', /extra|additional/i],
    ];
    for (const [query, reason] of cases) {
      const res = await metrics(t, query);
      expect(res.statusCode, query).toBe(400);
      expect(JSON.stringify(res.json().error), query).toMatch(reason);
    }
  });

  it('gives another workspace’s key the answer for a project that does not exist', async () => {
    const theirs = await metrics(t, 'metric=logins', other.workspaceKey);
    const missing = await ctx.app.inject({ method: 'GET', url: '/projects/0190aaaa-0000-7000-8000-000000000000/metrics?metric=logins', headers: bearer(other.workspaceKey) });
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json().error.reason).toBe(missing.json().error.reason);
    const keys = await ctx.app.inject({ method: 'GET', url: `/workspaces/${t.workspaceId}/metrics/keys`, headers: bearer(other.workspaceKey) });
    expect(keys.statusCode).toBe(404);
  });
});
