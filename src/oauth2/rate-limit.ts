import { sql, type Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { Database } from '../platform/db/schema.js';
import { prepared } from './prepared.js';

export interface FailureLimitOptions {
  /** Failures allowed per client within the sliding window. */
  limit: number;
  windowMs: number;
}

/** The sliding-window position of a moment: the current fixed window and the weight of the previous one. */
export interface WindowPosition {
  cur: number;
  /** Share of the previous window still inside the sliding window. */
  prevWeight: number;
}

/**
 * Counts token-endpoint failures per (project, client) in the database, so every node sees the same
 * count. Two fixed windows give a sliding estimate (the previous window weighted by how much of it is
 * still inside the sliding window). Rows older than two windows are deleted as new failures arrive,
 * which keeps the table bounded.
 *
 * The database count is the only thing that refuses. Each node also keeps a small hint of the clients
 * it saw failures for recently (`mayBeLimited`), so the token endpoint can check the count before
 * anything else for those and leave the check of every other client to the guarded token insert
 * (see TokenService.issue), which reads the same shared count atomically with the write.
 */
export class FailureLimiter {
  private readonly recent: LRUCache<string, true>;
  private readonly selectHits;
  private readonly upsert;
  private readonly prune;

  constructor(private readonly db: Kysely<Database>, private readonly o: FailureLimitOptions) {
    this.recent = new LRUCache<string, true>({ max: 10_000, ttl: 2 * o.windowMs });
    this.selectHits = prepared(db, (db) =>
      db.selectFrom('oauth2_rate_limits').select(['window_no', 'hits']).where('project_id', '=', '').where('bucket', '=', '').where('window_no', '>=', 0).compile(),
    );
    this.upsert = prepared(db, (db) =>
      db.insertInto('oauth2_rate_limits')
        .values({ project_id: '', bucket: '', window_no: 0, hits: 1 })
        .onConflict((oc) => oc.columns(['project_id', 'bucket', 'window_no']).doUpdateSet({ hits: sql`oauth2_rate_limits.hits + 1` }))
        .compile(),
    );
    this.prune = prepared(db, (db) => db.deleteFrom('oauth2_rate_limits').where('project_id', '=', '').where('window_no', '<', 0).compile());
  }

  get limit(): number {
    return this.o.limit;
  }

  position(now = Date.now()): WindowPosition {
    return { cur: Math.floor(now / this.o.windowMs), prevWeight: 1 - (now % this.o.windowMs) / this.o.windowMs };
  }

  private hintKey = (projectId: string, bucket: string) => `${projectId}\0${bucket.slice(0, 255)}`;

  /** Whether this node saw failures of this client recently (a hint only: the database count decides). */
  mayBeLimited(projectId: string, bucket: string): boolean {
    return this.recent.has(this.hintKey(projectId, bucket));
  }

  /** Seconds the client must wait, or 0 when it may try. */
  async retryAfter(projectId: string, bucket: string): Promise<number> {
    const now = Date.now();
    const { cur, prevWeight } = this.position(now);
    const { rows } = await this.selectHits([projectId, bucket.slice(0, 255), cur - 1]);
    const hits = (w: number) => Number(rows.find((r) => Number(r.window_no) === w)?.hits ?? 0);
    if (hits(cur - 1) + hits(cur) > 0) this.recent.set(this.hintKey(projectId, bucket), true);
    const estimate = hits(cur - 1) * prevWeight + hits(cur);
    if (estimate < this.o.limit) return 0;
    return Math.max(1, Math.ceil((prevWeight * this.o.windowMs) / 1000));
  }

  async fail(projectId: string, bucket: string): Promise<void> {
    this.recent.set(this.hintKey(projectId, bucket), true);
    const { cur } = this.position();
    await this.upsert([projectId, bucket.slice(0, 255), cur, 1]);
    await this.prune([projectId, cur - 1]);
  }
}
