import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectName } from '../helpers/context.js';
import { Client, createTestContext, GOOD_PASSWORD, loginNative, patchConfig, randomEmail, registerNative, seedTenant, type Tenant, type TestContext } from './helpers.js';

describe(`brute-force protection of password logins (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  let clock = Date.now();
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry, 'brute');
    await patchConfig(ctx, t, [{ op: 'add', path: '/services/identity/config/security', value: { brute_force: { window: '10m', max_failures_per_identifier: 5, max_failures_per_address: 12 } } }]);
    ctx.registry.selfservice.now = () => clock;
  });
  afterAll(() => {
    ctx.registry.selfservice.now = () => Date.now();
    return ctx.close();
  });

  it('limits failures per identifier with 429 and Retry-After, and the block expires', async () => {
    clock = Date.now();
    const c = new Client(ctx, t.projectSlug, { ip: '203.0.113.1' });
    const email = randomEmail('victim');
    await registerNative(c, email);
    for (let i = 0; i < 5; i++) expect((await loginNative(c, email, `wrong-${i}-password`)).statusCode).toBe(400);
    // Even the right password is refused while blocked, from any address.
    const other = new Client(ctx, t.projectSlug, { ip: '198.51.100.7' });
    const blocked = await loginNative(other, email, GOOD_PASSWORD);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().error).toMatchObject({ code: 429, id: 'too_many_requests' });
    const retry = Number(blocked.headers['retry-after']);
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(20 * 60);
    // Hammering while blocked does not extend the block.
    for (let i = 0; i < 10; i++) expect((await loginNative(other, email, 'still wrong pw')).statusCode).toBe(429);
    // Other accounts are unaffected.
    const bystander = randomEmail('bystander');
    await registerNative(other, bystander);
    expect((await loginNative(other, bystander, GOOD_PASSWORD)).statusCode).toBe(200);
    // After Retry-After the user gets in.
    clock += retry * 1000 + 1000;
    expect((await loginNative(other, email, GOOD_PASSWORD)).statusCode).toBe(200);
  });

  it('limits failures per client address across identifiers', async () => {
    clock = Date.now() + 3600_000;
    const attacker = new Client(ctx, t.projectSlug, { ip: '192.0.2.66' });
    for (let i = 0; i < 12; i++) expect((await loginNative(attacker, randomEmail(`spray${i}`), 'password123')).statusCode).toBe(400);
    const res = await loginNative(attacker, randomEmail('spray-next'), 'password123');
    expect(res.statusCode).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    // Another address is not affected.
    const user = new Client(ctx, t.projectSlug, { ip: '192.0.2.67' });
    const email = randomEmail('legit');
    await registerNative(user, email);
    expect((await loginNative(user, email, GOOD_PASSWORD)).statusCode).toBe(200);
    // The window slides: two windows later the address is free again.
    clock += 20 * 60_000 + 1000;
    expect((await loginNative(attacker, randomEmail('later'), 'password123')).statusCode).toBe(400);
  });

  it('counts IPv6 clients by their /64', async () => {
    clock = Date.now() + 7200_000;
    for (let i = 0; i < 12; i++) {
      const c = new Client(ctx, t.projectSlug, { ip: `2001:db8:1:2::${(i + 1).toString(16)}` });
      expect((await loginNative(c, randomEmail(`v6-${i}`), 'password123')).statusCode).toBe(400);
    }
    const sameBlock = new Client(ctx, t.projectSlug, { ip: '2001:db8:1:2:ffff::1' });
    expect((await loginNative(sameBlock, randomEmail('v6-next'), 'password123')).statusCode).toBe(429);
    const otherBlock = new Client(ctx, t.projectSlug, { ip: '2001:db8:1:3::1' });
    expect((await loginNative(otherBlock, randomEmail('v6-other'), 'password123')).statusCode).toBe(400);
  });

  it('limits codes sent to one recipient (known or not)', async () => {
    clock = Date.now() + 3 * 3600_000;
    await patchConfig(ctx, t, [{ op: 'add', path: '/services/identity/config/security/brute_force/max_codes_per_recipient', value: 3 }]);
    for (const email of [randomEmail('bomb-known'), randomEmail('bomb-unknown')]) {
      const c = new Client(ctx, t.projectSlug, { ip: '192.0.2.99' });
      if (email.includes('known') && !email.includes('unknown')) await registerNative(c, email);
      const flow = (await c.get('/self-service/recovery/api')).json();
      for (let i = 0; i < 3; i++) expect((await c.post(`/self-service/recovery?flow=${flow.id}`, { method: 'code', email })).statusCode).toBe(200);
      const res = await c.post(`/self-service/recovery?flow=${flow.id}`, { method: 'code', email });
      expect(res.statusCode).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
  });

  it('keeps its state in the database, so every node sees it', async () => {
    const rows = await ctx.registry.db.selectFrom('rate_limit_windows').selectAll().where('scope', '=', t.projectId).execute();
    expect(rows.length).toBeGreaterThan(0);
    // No identifier in clear text.
    expect(JSON.stringify(rows)).not.toContain('@example.com');
  });
});
