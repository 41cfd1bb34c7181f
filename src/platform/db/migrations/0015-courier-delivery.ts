import type { Kysely } from 'kysely';

// Frozen once released: never edit, add a new migration instead. Never import app code here.

/**
 * Courier delivery (src/identity/courier-*.ts). A message queued for a project that delivers (SMTP
 * or HTTP) carries `next_attempt_at`; the worker claims due messages by setting `status` to
 * `processing` with `lease_until` (a node that dies mid-send gives its claim back when the lease
 * ends). Outbox-only messages have no `next_attempt_at` and are never claimed. Every attempt is a
 * dispatch row (Ory's `MessageDispatch`), with the error of a failed one. `html_body` is the HTML
 * part of a message rendered from the project's template (Ory's `body` is the plaintext).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('courier_messages').addColumn('next_attempt_at', 'text').execute();
  await db.schema.alterTable('courier_messages').addColumn('lease_until', 'text').execute();
  await db.schema.alterTable('courier_messages').addColumn('html_body', 'text').execute();
  await db.schema.createIndex('courier_messages_due_idx').on('courier_messages').columns(['status', 'next_attempt_at']).execute();
  await db.schema
    .createTable('courier_dispatches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('courier_dispatches_message_idx').on('courier_dispatches').columns(['project_id', 'message_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('courier_dispatches').ifExists().execute();
  await db.schema.dropIndex('courier_messages_due_idx').ifExists().execute();
  await db.schema.alterTable('courier_messages').dropColumn('html_body').execute();
  await db.schema.alterTable('courier_messages').dropColumn('lease_until').execute();
  await db.schema.alterTable('courier_messages').dropColumn('next_attempt_at').execute();
}
