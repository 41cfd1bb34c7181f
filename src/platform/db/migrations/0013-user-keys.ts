import type { Kysely } from 'kysely';

// Frozen once released: never edit, add a new migration instead. Never import app code here.

/**
 * Keys a project issues to (or imports for) its own users, Ory's ApiKeysApi: stored as HMACs only;
 * and each project's Ed25519 keys that sign derived JWTs.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('user_api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('rate_limit_policy', 'text')
    .addColumn('allowed_cidrs', 'text', (c) => c.notNull())
    .addColumn('visibility', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .addColumn('revocation_reason', 'text')
    .addColumn('revocation_description', 'text')
    .execute();
  await db.schema.createIndex('user_api_keys_hash_uq').on('user_api_keys').columns(['project_id', 'secret_hash']).unique().execute();
  await db.schema.createIndex('user_api_keys_request_uq').on('user_api_keys').columns(['project_id', 'kind', 'request_id']).unique().execute();
  await db.schema.createIndex('user_api_keys_list_idx').on('user_api_keys').columns(['project_id', 'kind', 'id']).execute();
  await db.schema.createIndex('user_api_keys_actor_idx').on('user_api_keys').columns(['project_id', 'kind', 'actor_id']).execute();

  await db.schema
    .createTable('user_key_signing_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('private_jwk', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('user_key_signing_keys_project_idx').on('user_key_signing_keys').columns(['project_id', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('user_key_signing_keys').ifExists().execute();
  await db.schema.dropTable('user_api_keys').ifExists().execute();
}
