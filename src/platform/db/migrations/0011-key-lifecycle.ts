import type { Kysely } from 'kysely';

// Frozen once released: never edit, add a new migration instead. Never import app code here.

/**
 * The lifecycle of Gatehouse's own keys: an address allowlist and a rate limit per key, the key that
 * replaced a rotated one, the client addresses each key was seen from (for "first use from a new
 * address" audit events), and the call quotas shared by all nodes (src/platform/quota.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('allowed_cidrs', 'text').execute();
  await db.schema.alterTable('api_keys').addColumn('rate_limit', 'text').execute();
  await db.schema.alterTable('api_keys').addColumn('replaced_by', 'text').execute();

  await db.schema
    .createTable('api_key_addresses')
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('first_seen_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('api_key_addresses_pk', ['key_id', 'address'])
    .execute();

  await db.schema
    .createTable('quota_windows')
    .addColumn('bucket', 'text', (c) => c.notNull())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('window_end', 'bigint', (c) => c.notNull())
    .addColumn('claimed', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('quota_windows_pk', ['bucket', 'window_start'])
    .execute();
  await db.schema.createIndex('quota_windows_end_idx').on('quota_windows').column('window_end').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('quota_windows').ifExists().execute();
  await db.schema.dropTable('api_key_addresses').ifExists().execute();
  await db.schema.alterTable('api_keys').dropColumn('replaced_by').execute();
  await db.schema.alterTable('api_keys').dropColumn('rate_limit').execute();
  await db.schema.alterTable('api_keys').dropColumn('allowed_cidrs').execute();
}
