import type { Kysely } from 'kysely';

// Frozen once released: never edit, add a new migration instead. Never import app code here.

/** Trusted issuers of the RFC 7523 JWT bearer grant (Hydra's trust relationships) and used assertion ids. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('oauth2_trusted_issuers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    // '' when any subject of the issuer is allowed.
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('allow_any_subject', 'integer', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('oauth2_trusted_issuers_uq')
    .on('oauth2_trusted_issuers')
    .columns(['project_id', 'issuer', 'subject', 'key_id'])
    .unique()
    .execute();

  await db.schema
    .createTable('oauth2_jwt_assertions')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('jti_hash', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('oauth2_jwt_assertions_pk', ['project_id', 'jti_hash'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('oauth2_jwt_assertions').ifExists().execute();
  await db.schema.dropTable('oauth2_trusted_issuers').ifExists().execute();
}
