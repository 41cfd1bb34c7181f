import type { Database } from '../database.js';
import { newId } from '../platform/ids.js';
import type { ScopedInsert } from '../platform/db/scoped.js';
import type { Scope } from './identity-store.js';
import type { CourierDispatchesTable, CourierMessagesTable } from './tables.js';

/** Filters of one page of the outbox, newest first; `limit` rows at most. */
export interface CourierPageQuery {
  limit: number;
  /** Exclusive upper bound on the id (keyset pagination, newest first). */
  before?: string;
  status?: CourierMessagesTable['status'];
  recipient?: string;
}

/** Queries of a project's courier outbox. Every query runs in the given project scope. */
export const courierStore = {
  async insert(scope: Scope, row: ScopedInsert<Database, 'courier_messages'>): Promise<void> {
    await scope.insertInto('courier_messages', row).execute();
  },

  get(scope: Scope, id: string): Promise<CourierMessagesTable | undefined> {
    return scope.selectFrom('courier_messages').selectAll().where('id', '=', id).executeTakeFirst();
  },

  dispatches(scope: Scope, messageId: string): Promise<CourierDispatchesTable[]> {
    return scope.selectFrom('courier_dispatches').selectAll().where('message_id', '=', messageId).orderBy('id').execute();
  },

  /**
   * Records one attempt of a message the worker holds (`processing`) and moves it on: `sent`, back
   * to `queued` for another attempt at `retryAt`, or `abandoned` when `retryAt` is null after a
   * failure. Nothing is written when the claim was lost (another node took the message over).
   */
  async finishAttempt(scope: Scope, m: { id: string; sendCount: number; leaseUntil: string | null; error: string | null; retryAt: string | null; now: string }): Promise<void> {
    await scope.transaction(async (trx) => {
      const status = m.error === null ? 'sent' : m.retryAt ? 'queued' : 'abandoned';
      const moved = await trx
        .updateTable('courier_messages')
        .set({ status, send_count: m.sendCount + 1, next_attempt_at: status === 'queued' ? m.retryAt : null, lease_until: null, updated_at: m.now })
        .where('id', '=', m.id)
        .where('status', '=', 'processing')
        .where('lease_until', '=', m.leaseUntil)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) === 0) return;
      await trx.insertInto('courier_dispatches', {
        id: newId(),
        message_id: m.id,
        status: m.error === null ? 'success' : 'failed',
        error: m.error === null ? null : JSON.stringify({ message: m.error }),
        created_at: m.now,
        updated_at: m.now,
      }).execute();
    });
  },

  /** Puts a held message back in the outbox (its project stopped delivering). */
  async release(scope: Scope, id: string, now: string): Promise<void> {
    await scope.updateTable('courier_messages').set({ status: 'queued', next_attempt_at: null, lease_until: null, updated_at: now }).where('id', '=', id).where('status', '=', 'processing').execute();
  },

  page(scope: Scope, q: CourierPageQuery): Promise<CourierMessagesTable[]> {
    let query = scope.selectFrom('courier_messages').selectAll();
    if (q.before) query = query.where('id', '<', q.before);
    if (q.status) query = query.where('status', '=', q.status);
    if (q.recipient) query = query.where('recipient', '=', q.recipient);
    return query.orderBy('id', 'desc').limit(q.limit).execute();
  },
};
