import { sql, type Kysely } from 'kysely';

// Frozen once released: never edit, add a new migration instead. Never import app code here.

/**
 * Whether a consent session was given on a consent request the UI was told to skip (Hydra's
 * `consent_skip`): such a session only repeats an earlier remembered one, so it is neither listed
 * nor the basis of a later skip. Until now this lived only inside the stored request JSON.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('oauth2_consent_sessions').addColumn('skip', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  // The stored request is JSON.stringify output, so a skipped one contains exactly `"skip":true`.
  await db.updateTable('oauth2_consent_sessions').set({ skip: 1 }).where('consent_request', 'like', sql<string>`${'%"skip":true%'}`).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('oauth2_consent_sessions').dropColumn('skip').execute();
}
