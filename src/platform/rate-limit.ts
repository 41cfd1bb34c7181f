import { sql, type Kysely } from 'kysely';
import type { Database } from './db/schema.js';

export interface WindowLimit {
  key: string;
  max: number;
}

/**
 * Failure limiter shared by every node through the database (DESIGN.md §7): brute-force protection
 * for project logins and codes (scope = the project id) and for console sign-in (scope `console`).
 * Failures are counted per key in fixed windows; the estimate over the last window slides across two
 * adjacent counters: `previous * (1 - elapsed/window) + current`. A blocked request is refused before
 * any password is checked and is not counted, so hammering a blocked account does not extend the block:
 * it lifts at most two windows after the last counted failure. Rows older than two windows are swept.
 */
export class SlidingWindowLimiter {
  constructor(private readonly db: Kysely<Database>) {}

  /** Seconds until every limit admits another attempt; 0 when none is exceeded. */
  async retryAfter(scope: string, limits: WindowLimit[], windowMs: number, now: number): Promise<number> {
    const idx = Math.floor(now / windowMs);
    const rows = await this.db
      .selectFrom('rate_limit_windows')
      .select(['key', 'window_start', 'count'])
      .where('scope', '=', scope)
      .where('key', 'in', limits.map((l) => l.key))
      .where('window_start', 'in', [idx - 1, idx])
      .execute();
    let wait = 0;
    for (const l of limits) {
      const prev = Number(rows.find((r) => r.key === l.key && Number(r.window_start) === idx - 1)?.count ?? 0);
      const curr = Number(rows.find((r) => r.key === l.key && Number(r.window_start) === idx)?.count ?? 0);
      const elapsed = (now - idx * windowMs) / windowMs;
      if (prev * (1 - elapsed) + curr < l.max) continue;
      wait = Math.max(wait, waitMs(prev, curr, l.max, elapsed, windowMs));
    }
    return wait > 0 ? Math.max(1, Math.ceil(wait / 1000)) : 0;
  }

  /** Counts one failure against every key. */
  async fail(scope: string, keys: string[], windowMs: number, now: number): Promise<void> {
    const idx = Math.floor(now / windowMs);
    for (const key of keys) {
      await this.db
        .insertInto('rate_limit_windows')
        .values({ scope, key, window_start: idx, count: 1 })
        .onConflict((oc) => oc.columns(['scope', 'key', 'window_start']).doUpdateSet({ count: sql`rate_limit_windows.count + 1` }))
        .execute();
    }
    // Sweep old windows now and then; the table stays bounded by the keys active in two windows.
    if (Math.random() < 0.05) {
      await this.db.deleteFrom('rate_limit_windows').where('scope', '=', scope).where('window_start', '<', idx - 1).execute();
    }
  }

  /** Forgets the failures of one key (after a successful login for that identifier). */
  async reset(scope: string, key: string): Promise<void> {
    await this.db.deleteFrom('rate_limit_windows').where('scope', '=', scope).where('key', '=', key).execute();
  }
}

/** Time until `prev * (1 - f) + curr` (and after the window turns, `curr * (1 - f')`) drops below max. */
function waitMs(prev: number, curr: number, max: number, elapsed: number, windowMs: number): number {
  if (curr < max && prev > 0) {
    // Within this window: need f > 1 - (max - curr) / prev.
    const f = 1 - (max - curr) / prev;
    return Math.max(0, (f - elapsed) * windowMs) + 1;
  }
  // Wait for this window to end, then for `curr` (now previous) to decay: f' > 1 - max / curr.
  const fNext = Math.max(0, 1 - max / Math.max(curr, 1));
  return (1 - elapsed) * windowMs + fNext * windowMs + 1;
}
