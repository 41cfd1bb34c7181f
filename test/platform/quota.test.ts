import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quotas } from '../../src/platform/quota.js';
import { createTestContext, dialectName, type TestContext } from '../helpers/context.js';

// Quotas shared through the database: several "nodes" (Quotas instances, each with its own memory)
// spend one window's calls between them, never more than the limit, and without a write per call.

describe(`shared quotas (${dialectName()})`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  const nodes = (n: number) => Array.from({ length: n }, () => new Quotas(ctx.registry.db, { sweepEveryMs: 0 }));

  it('admits exactly the limit across three nodes asked in turn, concurrently', async () => {
    const [a, b, c] = nodes(3);
    const policy = { limit: 250, windowMs: 3_600_000 };
    const now = Date.now();
    const results = await Promise.all(Array.from({ length: 600 }, (_, i) => [a, b, c][i % 3].take('exact', policy, now)));
    expect(results.filter((r) => r.allowed).length).toBe(250);
    expect(results.every((r) => r.resetAtMs > now)).toBe(true);
  });

  it('claims calls in blocks: far fewer writes than calls', async () => {
    const [a] = nodes(1);
    const policy = { limit: 10_000, windowMs: 3_600_000 };
    for (let i = 0; i < 2000; i++) await a.take('blocks', policy);
    const row = await ctx.registry.db.selectFrom('quota_windows').select('claimed').where('bucket', '=', 'blocks').executeTakeFirstOrThrow();
    // One claim of an eighth of what was left (1,250) covers the 2,000 calls in two writes.
    expect(Number(row.claimed)).toBeLessThanOrEqual(2500);
    expect(Number(row.claimed)).toBeGreaterThanOrEqual(2000);
  });

  it('counts down remaining exactly on one node and starts over in the next window', async () => {
    const [a] = nodes(1);
    const policy = { limit: 3, windowMs: 60_000 };
    const t0 = 1_800_000_000_000;
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push(await a.take('countdown', policy, t0));
    expect(seen.map((d) => [d.allowed, d.remaining])).toEqual([[true, 2], [true, 1], [true, 0], [false, 0]]);
    expect((await a.take('countdown', policy, t0 + 60_000)).allowed).toBe(true);
  });

  it('sweeps windows that ended', async () => {
    const [a] = nodes(1);
    await a.take('old', { limit: 5, windowMs: 1000 }, 1_000_000);
    await a.sweep(10_000_000);
    const rows = await ctx.registry.db.selectFrom('quota_windows').select('bucket').where('bucket', '=', 'old').execute();
    expect(rows).toEqual([]);
  });
});
