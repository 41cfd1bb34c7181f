import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';
import { scoped } from '../platform/db/scoped.js';
import { WriteBehind } from '../platform/write-behind.js';
import type { UsageCountersTable } from './tables.js';

/**
 * What the console's charts and the "keys in use" table show. Project metrics: `signups` and
 * `logins` (completed self-service flows), `api_requests` and `api_errors` (project-plane answers,
 * errors with a status of 400 or more), `active_sessions` (a gauge: the project's unexpired sessions,
 * sampled at most every 15 minutes while the project is in use), and per key `key_requests` and
 * `key_refusals` (Gatehouse keys and the project's user keys).
 */
export const PROJECT_METRICS = ['signups', 'logins', 'active_sessions', 'api_requests', 'api_errors', 'key_requests', 'key_refusals'] as const;
export type Metric = (typeof PROJECT_METRICS)[number];

const HOUR_MS = 3_600_000;
const SAMPLE_EVERY_MS = 15 * 60_000;
/** Rows per insert: six parameters each, well below SQLite's and PostgreSQL's limits. */
const CHUNK = 500;

/** A gauge's bucket keeps the newest sample; a counter's adds up. */
const isGauge = (metric: string) => metric === 'active_sessions';

export interface UsageOptions {
  db: Kysely<Database>;
  /** How often counts are written (ms). */
  flushMs: number;
  onError?: (err: unknown) => void;
  now?: () => number;
}

export interface Point {
  time: string;
  count: number;
}

/**
 * Bucketed usage counters. Counting is a map increment on the request path; every `flushMs` a node
 * adds its counts to the hourly rows in one transaction, so nodes on one PostgreSQL sum up and no
 * request writes to the database. Reads are by tenant, metric and hour range, never a scan of the
 * data they count.
 */
export class UsageCounters {
  /** `{workspace}\0{project}\0{metric}\0{subject}\0{hour}` -> count. */
  private readonly pending: WriteBehind<string, number>;
  /** Projects seen since their last session sample, with their workspace. */
  private inUse = new Map<string, string>();
  private readonly sampledAt = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly o: UsageOptions) {
    this.now = o.now ?? Date.now;
    this.pending = new WriteBehind({
      everyMs: o.flushMs,
      write: (batch) => this.write(batch),
      merge: (a, b) => a + b,
      // A passing outage loses no count; a gauge is sampled again.
      keep: (k) => !isGauge(k.split('\0')[2]),
      onError: o.onError,
    });
  }

  /** Counts `n` of `metric` for the tenant (`projectId` '' for a workspace's own). Never throws, never waits. */
  count(workspaceId: string, projectId: string, metric: Metric, subject = '', n = 1): void {
    this.pending.set(`${workspaceId}\0${projectId}\0${metric}\0${subject}\0${Math.floor(this.now() / HOUR_MS)}`, n);
    if (projectId !== '' && metric === 'api_requests' && !this.inUse.has(projectId)) this.inUse.set(projectId, workspaceId);
  }

  /** Writes the counts so far (and the session samples due). */
  flush(): Promise<void> {
    return this.pending.flush();
  }

  close(): Promise<void> {
    return this.pending.close();
  }

  private async write(batch: ReadonlyMap<string, number>): Promise<void> {
    const rows = [...batch].map(([k, count]) => {
      const [workspace_id, project_id, metric, subject, hour] = k.split('\0');
      return { workspace_id, project_id, metric, subject, hour: Number(hour), count };
    });
    rows.push(...(await this.sessionSamples()));
    await this.o.db.transaction().execute(async (trx) => {
      for (const gauge of [false, true]) {
        const part = rows.filter((r) => isGauge(r.metric) === gauge);
        for (let i = 0; i < part.length; i += CHUNK) {
          await trx
            .insertInto('usage_counters')
            .values(part.slice(i, i + CHUNK))
            .onConflict((oc) =>
              oc.columns(['workspace_id', 'project_id', 'metric', 'subject', 'hour']).doUpdateSet({ count: gauge ? sql`excluded.count` : sql`usage_counters.count + excluded.count` }),
            )
            .execute();
        }
      }
    });
  }

  /** One point per bucket from `fromMs` to `toMs`, zero-filled, oldest first; a day of a gauge is its highest hour. */
  async series(t: { workspaceId: string; projectId: string }, metric: Metric, q: { fromMs: number; toMs: number; resolution: '1h' | '1d'; subject?: string }): Promise<Point[]> {
    const fromHour = Math.floor(q.fromMs / HOUR_MS);
    const toHour = Math.ceil(q.toMs / HOUR_MS);
    let query = this.o.db
      .selectFrom('usage_counters')
      .select(['hour', (eb) => (isGauge(metric) ? eb.fn.max<number>('count') : eb.fn.sum<number>('count')).as('count')])
      .where('workspace_id', '=', t.workspaceId)
      .where('project_id', '=', t.projectId)
      .where('metric', '=', metric)
      .where('hour', '>=', fromHour)
      .where('hour', '<', toHour)
      .groupBy('hour');
    if (q.subject !== undefined) query = query.where('subject', '=', q.subject);
    const byHour = new Map((await query.execute()).map((r) => [Number(r.hour), Number(r.count)]));
    const step = q.resolution === '1d' ? 24 : 1;
    const points: Point[] = [];
    for (let start = Math.floor(fromHour / step) * step; start < toHour; start += step) {
      let count = 0;
      for (let h = start; h < start + step; h++) {
        const n = byHour.get(h) ?? 0;
        count = isGauge(metric) ? Math.max(count, n) : count + n;
      }
      points.push({ time: new Date(start * HOUR_MS).toISOString(), count });
    }
    return points;
  }

  /** Per-key requests and refusals in the window, for the keys with any. */
  async keyTotals(t: { workspaceId: string; projectId: string }, q: { fromMs: number; toMs: number }): Promise<{ key_id: string; requests: number; refusals: number }[]> {
    const rows = await this.o.db
      .selectFrom('usage_counters')
      .select(['subject', 'metric', (eb) => eb.fn.sum<number>('count').as('count')])
      .where('workspace_id', '=', t.workspaceId)
      .where('project_id', '=', t.projectId)
      .where('metric', 'in', ['key_requests', 'key_refusals'])
      .where('hour', '>=', Math.floor(q.fromMs / HOUR_MS))
      .where('hour', '<', Math.ceil(q.toMs / HOUR_MS))
      .groupBy(['subject', 'metric'])
      .execute();
    const keys = new Map<string, { key_id: string; requests: number; refusals: number }>();
    for (const r of rows) {
      const entry = keys.get(r.subject) ?? { key_id: r.subject, requests: 0, refusals: 0 };
      if (r.metric === 'key_requests') entry.requests = Number(r.count);
      else entry.refusals = Number(r.count);
      keys.set(r.subject, entry);
    }
    return [...keys.values()].sort((a, b) => b.requests - a.requests || a.key_id.localeCompare(b.key_id));
  }

  /** The unexpired sessions of each project in use whose last sample is older than 15 minutes, as gauge rows. */
  private async sessionSamples(): Promise<UsageCountersTable[]> {
    const now = this.now();
    const rows: UsageCountersTable[] = [];
    for (const [projectId, workspaceId] of this.inUse) {
      if (now - (this.sampledAt.get(projectId) ?? 0) < SAMPLE_EVERY_MS) continue;
      this.inUse.delete(projectId);
      this.sampledAt.set(projectId, now);
      const row = await scoped(this.o.db, projectId)
        .selectFrom('sessions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('active', '=', 1)
        .where('expires_at', '>', new Date(now).toISOString())
        .executeTakeFirst();
      rows.push({ workspace_id: workspaceId, project_id: projectId, metric: 'active_sessions', subject: '', hour: Math.floor(now / HOUR_MS), count: Number(row?.n ?? 0) });
    }
    return rows;
  }
}
