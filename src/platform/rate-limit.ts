import { sql, type Kysely, type QueryResult, type RawBuilder } from 'kysely';
import { LRUCache } from 'lru-cache';
import { prepared } from './db/prepared.js';

export interface WindowLimit {
  key: string;
  max: number;
}

/**
 * Where a limiter keeps its counters: a table with one row per (scope, key, window number), its
 * primary key over those three columns, and a column counting the window's failures.
 */
export interface CounterTable {
  table: string;
  scope: string;
  key: string;
  window: string;
  count: string;
}

/** The platform's counter table (project logins and codes, console sign-in). */
export interface RateLimitWindowsTable {
  /** A project id, or `console` for console sign-in. */
  scope: string;
  key: string;
  window_start: number;
  count: number;
}

export interface RateLimitTables {
  rate_limit_windows: RateLimitWindowsTable;
}

export const RATE_LIMIT_WINDOWS: CounterTable = { table: 'rate_limit_windows', scope: 'scope', key: 'key', window: 'window_start', count: 'count' };

export interface SlidingWindowOptions {
  /** The counter table; `rate_limit_windows` unless a domain keeps its own. */
  counters?: CounterTable;
  /** Share of failures that also sweep the scope's old windows (1: every failure). Default 0.05. */
  sweepShare?: number;
  /**
   * What `retryAfter` answers once a limit is exceeded: `estimate` (default) the seconds until the
   * sliding estimate drops below the limit, `window-end` the seconds left in the current fixed window.
   */
  retryAfter?: 'estimate' | 'window-end';
  /**
   * Keep a node-local hint of the keys that had failures within the last two windows (`mayBeLimited`),
   * so a caller can skip the database check for every other key and leave it to a guarded write
   * (`underLimitSql`). The database count is still the only thing that refuses.
   */
  hints?: boolean;
}

type Run = (params: readonly unknown[]) => Promise<QueryResult<Record<string, unknown>>>;

/**
 * Failure limiter shared by every node through the database: brute-force protection
 * for project logins and codes (scope = the project id), console sign-in (scope `console`) and OAuth2
 * client authentication. Failures are counted per key in fixed windows; the estimate over the last
 * window slides across two adjacent counters: `previous * (1 - elapsed/window) + current`. A blocked
 * request is refused before any password is checked and is not counted, so hammering a blocked account
 * does not extend the block: it lifts at most two windows after the last counted failure. Rows older
 * than two windows are swept. Statements are compiled once per shape and run with fresh parameters.
 */
export class SlidingWindowLimiter {
  private readonly t: CounterTable;
  private readonly sweepShare: number;
  private readonly retryMode: 'estimate' | 'window-end';
  private readonly hints: LRUCache<string, true> | null;
  /** The select of the counters of N keys, by N. */
  private readonly selects = new Map<number, Run>();
  private readonly upsert: Run;
  private readonly sweep: Run;
  private readonly clear: Run;

  // Raw SQL over a table named at run time: any database that has the counter table will do.
  constructor(private readonly db: Kysely<any>, o: SlidingWindowOptions = {}) {
    const t = (this.t = o.counters ?? RATE_LIMIT_WINDOWS);
    this.sweepShare = o.sweepShare ?? 0.05;
    this.retryMode = o.retryAfter ?? 'estimate';
    this.hints = o.hints ? new LRUCache<string, true>({ max: 10_000, ttl: 60_000 }) : null;
    const [table, scope, key, win, count] = [sql.table(t.table), sql.ref(t.scope), sql.ref(t.key), sql.ref(t.window), sql.ref(t.count)];
    this.upsert = prepared(db, (db) =>
      sql<Record<string, unknown>>`insert into ${table} (${scope}, ${key}, ${win}, ${count}) values (${''}, ${''}, ${0}, 1)
        on conflict (${scope}, ${key}, ${win}) do update set ${count} = ${sql.raw(`${t.table}.${t.count}`)} + 1`.compile(db),
    );
    this.sweep = prepared(db, (db) => sql<Record<string, unknown>>`delete from ${table} where ${scope} = ${''} and ${win} < ${0}`.compile(db));
    this.clear = prepared(db, (db) => sql<Record<string, unknown>>`delete from ${table} where ${scope} = ${''} and ${key} = ${''}`.compile(db));
  }

  private select(keys: number): Run {
    let run = this.selects.get(keys);
    if (!run) {
      const t = this.t;
      const placeholders = sql.join(Array.from({ length: keys }, () => sql`${''}`));
      run = prepared(this.db, (db) =>
        sql<Record<string, unknown>>`select ${sql.ref(t.key)} as k, ${sql.ref(t.window)} as w, ${sql.ref(t.count)} as n from ${sql.table(t.table)}
          where ${sql.ref(t.scope)} = ${''} and ${sql.ref(t.key)} in (${placeholders}) and ${sql.ref(t.window)} in (${0}, ${0})`.compile(db),
      );
      this.selects.set(keys, run);
    }
    return run;
  }

  private hintKey = (scope: string, key: string) => `${scope}\0${key}`;

  /** Seconds until every limit admits another attempt; 0 when none is exceeded. */
  async retryAfter(scope: string, limits: WindowLimit[], windowMs: number, now: number): Promise<number> {
    const idx = Math.floor(now / windowMs);
    const { rows } = await this.select(limits.length)([scope, ...limits.map((l) => l.key), idx - 1, idx]);
    const elapsed = (now - idx * windowMs) / windowMs;
    let wait = 0;
    for (const l of limits) {
      const prev = Number(rows.find((r) => r.k === l.key && Number(r.w) === idx - 1)?.n ?? 0);
      const curr = Number(rows.find((r) => r.k === l.key && Number(r.w) === idx)?.n ?? 0);
      if (prev + curr > 0) this.hints?.set(this.hintKey(scope, l.key), true, { ttl: 2 * windowMs });
      if (prev * (1 - elapsed) + curr < l.max) continue;
      wait = Math.max(wait, this.retryMode === 'window-end' ? (1 - elapsed) * windowMs : waitMs(prev, curr, l.max, elapsed, windowMs));
    }
    return wait > 0 ? Math.max(1, Math.ceil(wait / 1000)) : 0;
  }

  /** Counts one failure against every key. */
  async fail(scope: string, keys: string[], windowMs: number, now: number): Promise<void> {
    const idx = Math.floor(now / windowMs);
    for (const key of keys) {
      this.hints?.set(this.hintKey(scope, key), true, { ttl: 2 * windowMs });
      await this.upsert([scope, key, idx]);
    }
    // Sweep old windows now and then; the table stays bounded by the keys active in two windows.
    if (this.sweepShare >= 1 || Math.random() < this.sweepShare) await this.sweep([scope, idx - 1]);
  }

  /** Forgets the failures of one key (after a successful login for that identifier). */
  async reset(scope: string, key: string): Promise<void> {
    this.hints?.delete(this.hintKey(scope, key));
    await this.clear([scope, key]);
  }

  /** Whether this node saw failures of the key recently (only with `hints`; a hint, the database decides). */
  mayBeLimited(scope: string, key: string): boolean {
    return this.hints?.has(this.hintKey(scope, key)) ?? true;
  }

  /**
   * A condition, for a statement that must write nothing once a key is over its limit, that is true
   * while the key's sliding estimate is under `max`: the same estimate as `retryAfter`, read by the
   * statement itself (so the check and the write are one atomic step on every node). It holds
   * placeholders; bind `underLimitParams` in its place, in order.
   */
  underLimitSql(): RawBuilder<unknown> {
    const t = this.t;
    return sql`(select coalesce(sum(case when ${sql.ref(t.window)} = ${0} then ${sql.ref(t.count)} * 1.0 else ${sql.ref(t.count)} * cast(${0} as double precision) end), 0)
      from ${sql.table(t.table)} where ${sql.ref(t.scope)} = ${''} and ${sql.ref(t.key)} = ${''} and ${sql.ref(t.window)} in (${0}, ${0})) < ${0}`;
  }

  /** The parameters of `underLimitSql`, in the order of its placeholders. */
  underLimitParams(scope: string, key: string, max: number, windowMs: number, now: number): unknown[] {
    const idx = Math.floor(now / windowMs);
    const prevWeight = 1 - (now - idx * windowMs) / windowMs;
    return [idx, prevWeight, scope, key, idx - 1, idx, max];
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
