import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { AuditEventsTable } from './tables.js';

/** What a list of a workspace's events may be narrowed by; every field is optional. */
export interface AuditFilter {
  actorId?: string;
  targetId?: string;
  events?: string[];
  /** Inclusive bounds on `occurred_at`, ISO-8601 UTC. */
  since?: string;
  until?: string;
}

/**
 * The queries of `audit_events`. Every read takes the workspace as an argument: one workspace's
 * events are invisible to a query for another.
 */
export class AuditStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: AuditEventsTable): Promise<void> {
    await this.db.insertInto('audit_events').values(row).execute();
  }

  /** A page of the workspace's events, newest first, starting after the id `before` (a page token). */
  async page(workspaceId: string, filter: AuditFilter, size: number, before?: string): Promise<AuditEventsTable[]> {
    let q = this.db.selectFrom('audit_events').selectAll().where('workspace_id', '=', workspaceId);
    if (before) q = q.where('id', '<', before);
    if (filter.actorId) q = q.where('actor_id', '=', filter.actorId);
    if (filter.targetId) q = q.where('target_id', '=', filter.targetId);
    if (filter.events?.length) q = q.where('event', 'in', filter.events);
    if (filter.since) q = q.where('occurred_at', '>=', filter.since);
    if (filter.until) q = q.where('occurred_at', '<=', filter.until);
    return q.orderBy('id', 'desc').limit(size).execute();
  }

  /** Deletes up to `limit` events older than `cutoff`; how many it deleted. */
  async deleteOlderThan(cutoff: string, limit: number): Promise<number> {
    const ids = this.db.selectFrom('audit_events').select('id').where('occurred_at', '<', cutoff).limit(limit);
    const res = await this.db.deleteFrom('audit_events').where('id', 'in', ids).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  /** The email of a console user, the name their events carry. */
  async userEmail(userId: string): Promise<string | undefined> {
    return (await this.db.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst())?.email;
  }
}
