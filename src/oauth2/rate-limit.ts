import { sql, type Kysely } from 'kysely';
import type { Database } from '../platform/db/schema.js';

export interface FailureLimitOptions {
  /** Failures allowed per client within the sliding window. */
  limit: number;
  windowMs: number;
}

/**
 * Counts token-endpoint failures per (project, client) in the database, so every node sees the same
 * count. Two fixed windows give a sliding estimate (the previous window weighted by how much of it is
 * still inside the sliding window). Rows older than two windows are deleted as new failures arrive,
 * which keeps the table bounded.
 */
export class FailureLimiter {
  constructor(private readonly db: Kysely<Database>, private readonly o: FailureLimitOptions) {}

  private window(now: number) {
    const cur = Math.floor(now / this.o.windowMs);
    return { cur, elapsed: (now % this.o.windowMs) / this.o.windowMs };
  }

  /** Seconds the client must wait, or 0 when it may try. */
  async retryAfter(projectId: string, bucket: string): Promise<number> {
    const now = Date.now();
    const { cur, elapsed } = this.window(now);
    const rows = await this.db
      .selectFrom('oauth2_rate_limits').select(['window_no', 'hits'])
      .where('project_id', '=', projectId).where('bucket', '=', bucket.slice(0, 255)).where('window_no', '>=', cur - 1)
      .execute();
    const hits = (w: number) => Number(rows.find((r) => Number(r.window_no) === w)?.hits ?? 0);
    const estimate = hits(cur - 1) * (1 - elapsed) + hits(cur);
    if (estimate < this.o.limit) return 0;
    return Math.max(1, Math.ceil(((1 - elapsed) * this.o.windowMs) / 1000));
  }

  async fail(projectId: string, bucket: string): Promise<void> {
    const { cur } = this.window(Date.now());
    await this.db
      .insertInto('oauth2_rate_limits')
      .values({ project_id: projectId, bucket: bucket.slice(0, 255), window_no: cur, hits: 1 })
      .onConflict((oc) => oc.columns(['project_id', 'bucket', 'window_no']).doUpdateSet({ hits: sql`oauth2_rate_limits.hits + 1` }))
      .execute();
    await this.db.deleteFrom('oauth2_rate_limits').where('project_id', '=', projectId).where('window_no', '<', cur - 1).execute();
  }
}
