import type { Kysely } from 'kysely';

// Frozen once released: never edit, add a new migration instead. Never import app code here.
// Self-service flows, flow errors and brute-force counters. Every index starts with project_id.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('selfservice_flows')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('identity_id', 'text')
    .addColumn('session_id', 'text')
    .addColumn('schema_id', 'text')
    .addColumn('request_url', 'text', (c) => c.notNull())
    .addColumn('return_to', 'text')
    .addColumn('active', 'text')
    .addColumn('ui', 'text', (c) => c.notNull())
    .addColumn('extra', 'text', (c) => c.notNull())
    .addColumn('csrf_binding', 'text')
    .addColumn('code_hash', 'text')
    .addColumn('code_address', 'text')
    .addColumn('code_attempts', 'integer', (c) => c.notNull())
    .addColumn('issued_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('selfservice_flows_project_idx').on('selfservice_flows').columns(['project_id', 'id']).execute();
  await db.schema.createIndex('selfservice_flows_expiry_idx').on('selfservice_flows').columns(['project_id', 'expires_at']).execute();

  await db.schema
    .createTable('selfservice_errors')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('error', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('selfservice_errors_project_idx').on('selfservice_errors').columns(['project_id', 'id']).execute();

}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['selfservice_errors', 'selfservice_flows']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
