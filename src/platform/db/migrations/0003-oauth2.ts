import type { Kysely } from 'kysely';

// Frozen once released: never edit, add a new migration instead. Never import app code here.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('oauth2_clients')
    .addColumn('pk', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('client_name', 'text', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text')
    .addColumn('rotated_secret_hashes', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('oauth2_clients_id_uq').on('oauth2_clients').columns(['project_id', 'id']).unique().execute();
  await db.schema.createIndex('oauth2_clients_list_idx').on('oauth2_clients').columns(['project_id', 'pk']).execute();

  await db.schema
    .createTable('oauth2_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('audience', 'text', (c) => c.notNull())
    .addColumn('session', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('grant_type', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('used_at', 'text')
    .execute();
  await db.schema.createIndex('oauth2_tokens_hash_uq').on('oauth2_tokens').columns(['project_id', 'hash']).unique().execute();
  await db.schema.createIndex('oauth2_tokens_client_idx').on('oauth2_tokens').columns(['project_id', 'client_id']).execute();
  await db.schema.createIndex('oauth2_tokens_request_idx').on('oauth2_tokens').columns(['project_id', 'request_id']).execute();
  // The janitor deletes long-expired tokens by this range.
  await db.schema.createIndex('oauth2_tokens_expiry_idx').on('oauth2_tokens').columns(['project_id', 'expires_at']).execute();

  await db.schema
    .createTable('oauth2_flows')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('login_challenge_hash', 'text', (c) => c.notNull())
    .addColumn('login_verifier_hash', 'text')
    .addColumn('consent_challenge_hash', 'text')
    .addColumn('consent_verifier_hash', 'text')
    .addColumn('code_hash', 'text')
    .addColumn('csrf_hash', 'text', (c) => c.notNull())
    .addColumn('request', 'text', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('login', 'text')
    .addColumn('consent', 'text')
    .addColumn('error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('oauth2_flows_login_idx').on('oauth2_flows').columns(['project_id', 'login_challenge_hash']).execute();
  await db.schema.createIndex('oauth2_flows_login_verifier_idx').on('oauth2_flows').columns(['project_id', 'login_verifier_hash']).execute();
  await db.schema.createIndex('oauth2_flows_consent_idx').on('oauth2_flows').columns(['project_id', 'consent_challenge_hash']).execute();
  await db.schema.createIndex('oauth2_flows_consent_verifier_idx').on('oauth2_flows').columns(['project_id', 'consent_verifier_hash']).execute();
  await db.schema.createIndex('oauth2_flows_code_idx').on('oauth2_flows').columns(['project_id', 'code_hash']).execute();
  await db.schema.createIndex('oauth2_flows_client_idx').on('oauth2_flows').columns(['project_id', 'client_id']).execute();

  await db.schema
    .createTable('oauth2_logout_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('challenge_hash', 'text', (c) => c.notNull())
    .addColumn('verifier_hash', 'text')
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('sid', 'text', (c) => c.notNull())
    .addColumn('request', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('oauth2_logout_challenge_idx').on('oauth2_logout_requests').columns(['project_id', 'challenge_hash']).execute();
  await db.schema.createIndex('oauth2_logout_verifier_idx').on('oauth2_logout_requests').columns(['project_id', 'verifier_hash']).execute();

  await db.schema
    .createTable('oauth2_login_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('authenticated_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('oauth2_login_sessions_token_idx').on('oauth2_login_sessions').columns(['project_id', 'token_hash']).execute();
  await db.schema.createIndex('oauth2_login_sessions_subject_idx').on('oauth2_login_sessions').columns(['project_id', 'subject']).execute();

  await db.schema
    .createTable('oauth2_consent_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('login_session_id', 'text')
    .addColumn('grant_scope', 'text', (c) => c.notNull())
    .addColumn('grant_audience', 'text', (c) => c.notNull())
    .addColumn('session', 'text', (c) => c.notNull())
    .addColumn('consent_request', 'text', (c) => c.notNull())
    .addColumn('context', 'text', (c) => c.notNull())
    .addColumn('remember', 'integer', (c) => c.notNull())
    .addColumn('remember_for', 'integer', (c) => c.notNull())
    .addColumn('handled_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('oauth2_consent_sessions_subject_idx').on('oauth2_consent_sessions').columns(['project_id', 'subject', 'client_id']).execute();

  await db.schema
    .createTable('oauth2_jwks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('set_name', 'text', (c) => c.notNull())
    .addColumn('kid', 'text', (c) => c.notNull())
    .addColumn('alg', 'text', (c) => c.notNull())
    .addColumn('use', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text')
    .addColumn('private_jwk', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('oauth2_jwks_kid_uq').on('oauth2_jwks').columns(['project_id', 'set_name', 'kid']).unique().execute();

  await db.schema
    .createTable('oauth2_rate_limits')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('bucket', 'text', (c) => c.notNull())
    .addColumn('window_no', 'integer', (c) => c.notNull())
    .addColumn('hits', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('oauth2_rate_limits_pk', ['project_id', 'bucket', 'window_no'])
    .execute();
  await db.schema.createIndex('oauth2_rate_limits_window_idx').on('oauth2_rate_limits').columns(['project_id', 'window_no']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['oauth2_rate_limits', 'oauth2_jwks', 'oauth2_consent_sessions', 'oauth2_login_sessions', 'oauth2_logout_requests', 'oauth2_flows', 'oauth2_tokens', 'oauth2_clients']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
