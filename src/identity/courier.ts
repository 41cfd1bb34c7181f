import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { isUuid, newId, nowIso } from '../platform/ids.js';
import { scoped } from '../platform/db/scoped.js';
import { courierStore } from './courier-store.js';
import type { CourierMessagesTable } from './tables.js';

export interface CourierMessageInput {
  recipient: string;
  template_type: string;
  subject: string;
  body: string;
  type?: 'email';
}

/** Ory's `Message` wire model. */
export function toMessage(row: CourierMessagesTable) {
  return {
    id: row.id,
    type: row.type,
    status: row.status,
    recipient: row.recipient,
    subject: row.subject,
    body: row.body,
    template_type: row.template_type,
    ...(row.channel ? { channel: row.channel } : {}),
    send_count: row.send_count,
    dispatches: [] as unknown[],
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
export type CourierMessage = ReturnType<typeof toMessage>;

/**
 * The per-project courier outbox (`courier.delivery_strategy: outbox`): messages are stored as
 * `queued` and read through the admin courier API. Only the project's own messages are ever seen.
 */
export class CourierService {
  constructor(private readonly db: Kysely<Database>) {}

  /** Stores a message as `queued` in the project's outbox. */
  async queue(projectId: string, msg: CourierMessageInput): Promise<void> {
    const now = nowIso();
    await courierStore.insert(scoped(this.db, projectId), {
      id: newId(),
      type: msg.type ?? 'email',
      status: 'queued',
      recipient: msg.recipient,
      subject: msg.subject,
      body: msg.body,
      template_type: msg.template_type,
      channel: null,
      send_count: 0,
      created_at: now,
      updated_at: now,
    });
  }

  /** One message of the project, or null. */
  async get(projectId: string, id: string): Promise<CourierMessage | null> {
    if (!isUuid(id)) return null;
    const row = await courierStore.get(scoped(this.db, projectId), id);
    return row ? toMessage(row) : null;
  }

  /** A page of messages, newest first (Kratos lists the outbox newest first), `pageSize + 1` rows read. */
  async list(projectId: string, o: { pageSize: number; before?: string; status?: string; recipient?: string }): Promise<{ messages: CourierMessage[]; hasMore: boolean }> {
    const rows = await courierStore.page(scoped(this.db, projectId), {
      limit: o.pageSize + 1,
      before: o.before,
      status: o.status as CourierMessagesTable['status'] | undefined,
      recipient: o.recipient,
    });
    const hasMore = rows.length > o.pageSize;
    return { messages: (hasMore ? rows.slice(0, o.pageSize) : rows).map(toMessage), hasMore };
  }
}
