import type { Kysely } from 'kysely';

// Frozen once released: never edit, add a new migration instead. Never import app code here.
// Identity plane: identities, credentials, addresses, sessions, courier outbox. Every index starts
// with project_id; every row carries it.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('identities')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('schema_id', 'text', (c) => c.notNull())
    .addColumn('traits', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('state_changed_at', 'text')
    .addColumn('metadata_public', 'text')
    .addColumn('metadata_admin', 'text')
    .addColumn('external_id', 'text')
    .addColumn('organization_id', 'text')
    .addColumn('verifiable_addresses', 'text', (c) => c.notNull())
    .addColumn('recovery_addresses', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('identities_project_idx').on('identities').columns(['project_id', 'id']).execute();
  // NULL external ids never collide on either dialect.
  await db.schema.createIndex('identities_external_id_uq').on('identities').columns(['project_id', 'external_id']).unique().execute();

  await db.schema
    .createTable('identity_credentials')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('identity_id', 'text', (c) => c.notNull().references('identities.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('identifiers', 'text', (c) => c.notNull())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('identity_credentials_uq').on('identity_credentials').columns(['project_id', 'identity_id', 'type']).unique().execute();

  await db.schema
    .createTable('identity_credential_identifiers')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('identifier', 'text', (c) => c.notNull())
    .addColumn('identity_id', 'text', (c) => c.notNull().references('identities.id').onDelete('cascade'))
    .addColumn('credential_id', 'text', (c) => c.notNull().references('identity_credentials.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('identity_credential_identifiers_pk', ['project_id', 'type', 'identifier'])
    .execute();
  await db.schema.createIndex('identity_credential_identifiers_identity_idx').on('identity_credential_identifiers').columns(['project_id', 'identity_id']).execute();

  await db.schema
    .createTable('identity_addresses')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('via', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('identity_id', 'text', (c) => c.notNull().references('identities.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('identity_addresses_pk', ['project_id', 'kind', 'via', 'value'])
    .execute();
  await db.schema.createIndex('identity_addresses_identity_idx').on('identity_addresses').columns(['project_id', 'identity_id']).execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('identity_id', 'text', (c) => c.notNull().references('identities.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('aal', 'text', (c) => c.notNull())
    .addColumn('authentication_methods', 'text', (c) => c.notNull())
    .addColumn('devices', 'text', (c) => c.notNull())
    .addColumn('issued_at', 'text', (c) => c.notNull())
    .addColumn('authenticated_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_token_uq').on('sessions').columns(['project_id', 'token_hash']).unique().execute();
  await db.schema.createIndex('sessions_project_idx').on('sessions').columns(['project_id', 'id']).execute();
  await db.schema.createIndex('sessions_identity_idx').on('sessions').columns(['project_id', 'identity_id', 'id']).execute();

  await db.schema
    .createTable('courier_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('template_type', 'text', (c) => c.notNull())
    .addColumn('channel', 'text')
    .addColumn('send_count', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('courier_messages_project_idx').on('courier_messages').columns(['project_id', 'id']).execute();
  await db.schema.createIndex('courier_messages_recipient_idx').on('courier_messages').columns(['project_id', 'recipient', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['courier_messages', 'sessions', 'identity_addresses', 'identity_credential_identifiers', 'identity_credentials', 'identities']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
