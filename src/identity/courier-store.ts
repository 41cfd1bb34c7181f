import type { Database } from '../database.js';
import type { ScopedInsert } from '../platform/db/scoped.js';
import type { Scope } from './identity-store.js';
import type { CourierMessagesTable } from './tables.js';

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

  page(scope: Scope, q: CourierPageQuery): Promise<CourierMessagesTable[]> {
    let query = scope.selectFrom('courier_messages').selectAll();
    if (q.before) query = query.where('id', '<', q.before);
    if (q.status) query = query.where('status', '=', q.status);
    if (q.recipient) query = query.where('recipient', '=', q.recipient);
    return query.orderBy('id', 'desc').limit(q.limit).execute();
  },
};
