import type { Kysely } from 'kysely';

// Frozen once released: never edit, add a new migration instead. Never import app code here.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('relation_tuples')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('namespace', 'text', (c) => c.notNull())
    .addColumn('object', 'text', (c) => c.notNull())
    .addColumn('relation', 'text', (c) => c.notNull())
    .addColumn('subject_type', 'text', (c) => c.notNull())
    .addColumn('subject_key', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text')
    .addColumn('subject_set_namespace', 'text')
    .addColumn('subject_set_object', 'text')
    .addColumn('subject_set_relation', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    // Check: one lookup of the whole key. Expand / subject-set traversal: a scan of its prefix.
    // Listing: keyset pagination in this order.
    .addPrimaryKeyConstraint('relation_tuples_pk', ['project_id', 'namespace', 'object', 'relation', 'subject_type', 'subject_key'])
    .execute();
  // Reverse lookups: every tuple whose subject is a given id or subject set.
  await db.schema
    .createIndex('relation_tuples_subject_idx')
    .on('relation_tuples')
    .columns(['project_id', 'subject_type', 'subject_key'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('relation_tuples').ifExists().execute();
}
