import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { isUuid, newId, nowIso } from '../platform/ids.js';
import { scoped } from '../platform/db/scoped.js';
import { courierDelivers } from './courier-config.js';
import { renderMessage } from './courier-templates.js';
import { courierStore } from './courier-store.js';
import type { CourierDispatchesTable, CourierMessagesTable } from './tables.js';

export interface CourierMessageInput {
  recipient: string;
  template_type: string;
  /** The default subject and body, used where the project has no template of this type. */
  subject: string;
  body: string;
  /** The template's fields besides `To` (Kratos's names: `RecoveryCode`, `Identity`, ...). */
  data?: Record<string, unknown>;
  type?: 'email';
}

/** Ory's `MessageDispatch`: one attempt to send a message. */
function toDispatch(row: CourierDispatchesTable) {
  return {
    id: row.id,
    message_id: row.message_id,
    status: row.status,
    ...(row.error ? { error: JSON.parse(row.error) as object } : {}),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** Ory's `Message` wire model; `dispatches` are read for a single message, as Kratos does. */
export function toMessage(row: CourierMessagesTable, dispatches: CourierDispatchesTable[] = []) {
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
    dispatches: dispatches.map(toDispatch),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
export type CourierMessage = ReturnType<typeof toMessage>;

/**
 * The per-project courier: every message is stored as `queued` and read through the admin courier
 * API (only the project's own messages are ever seen). Under `courier.delivery_strategy` `smtp` or
 * `http` a message is also due for the delivery worker (`courier-worker.ts`) at once; under
 * `outbox` (the default) it stays in the outbox.
 */
export class CourierService {
  constructor(
    private readonly db: Kysely<Database>,
    /** Called after a message due for delivery is stored, so the worker sends it without waiting for its next poll. */
    private readonly onQueued: () => void = () => {},
  ) {}

  /** Stores a message as `queued`, due for delivery when the project's `identityConfig` delivers. */
  async queue(projectId: string, msg: CourierMessageInput, identityConfig?: unknown): Promise<void> {
    const now = nowIso();
    const deliver = identityConfig !== undefined && courierDelivers(identityConfig);
    const text = identityConfig === undefined ? { subject: msg.subject, body: msg.body, html: null } : renderMessage(identityConfig, msg.template_type, { To: msg.recipient, ...msg.data }, msg);
    await courierStore.insert(scoped(this.db, projectId), {
      id: newId(),
      type: msg.type ?? 'email',
      status: 'queued',
      recipient: msg.recipient,
      subject: text.subject,
      body: text.body,
      html_body: text.html,
      template_type: msg.template_type,
      channel: null,
      send_count: 0,
      next_attempt_at: deliver ? now : null,
      lease_until: null,
      created_at: now,
      updated_at: now,
    });
    if (deliver) this.onQueued();
  }

  /** One message of the project, or null. */
  async get(projectId: string, id: string): Promise<CourierMessage | null> {
    if (!isUuid(id)) return null;
    const scope = scoped(this.db, projectId);
    const row = await courierStore.get(scope, id);
    return row ? toMessage(row, await courierStore.dispatches(scope, id)) : null;
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
    return { messages: (hasMore ? rows.slice(0, o.pageSize) : rows).map((r) => toMessage(r)), hasMore };
  }
}
