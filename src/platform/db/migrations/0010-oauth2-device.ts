import type { Kysely } from 'kysely';

// Frozen once released: never edit, add a new migration instead. Never import app code here.

/**
 * The OAuth 2.0 Device Authorization Grant (RFC 8628): device and user codes (stored only as HMACs),
 * and the device challenge and verifier of the browser flow that continues into login and consent.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('oauth2_device_codes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('device_code_hash', 'text', (c) => c.notNull())
    .addColumn('user_code_hash', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('audience', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('flow_id', 'text')
    .addColumn('interval_s', 'integer', (c) => c.notNull())
    .addColumn('last_polled_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('oauth2_device_codes_device_uq').on('oauth2_device_codes').columns(['project_id', 'device_code_hash']).unique().execute();
  await db.schema.createIndex('oauth2_device_codes_user_uq').on('oauth2_device_codes').columns(['project_id', 'user_code_hash']).unique().execute();

  await db.schema.alterTable('oauth2_flows').addColumn('device_challenge_hash', 'text').execute();
  await db.schema.alterTable('oauth2_flows').addColumn('device_verifier_hash', 'text').execute();
  await db.schema.createIndex('oauth2_flows_device_idx').on('oauth2_flows').columns(['project_id', 'device_challenge_hash']).execute();
  await db.schema.createIndex('oauth2_flows_device_verifier_idx').on('oauth2_flows').columns(['project_id', 'device_verifier_hash']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('oauth2_flows_device_verifier_idx').ifExists().execute();
  await db.schema.dropIndex('oauth2_flows_device_idx').ifExists().execute();
  await db.schema.alterTable('oauth2_flows').dropColumn('device_verifier_hash').execute();
  await db.schema.alterTable('oauth2_flows').dropColumn('device_challenge_hash').execute();
  await db.schema.dropTable('oauth2_device_codes').ifExists().execute();
}
