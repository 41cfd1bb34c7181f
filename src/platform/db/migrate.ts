import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Store } from './database.js';
import * as m0001 from './migrations/0001-foundation.js';
import * as m0002 from './migrations/0002-identity.js';
import * as m0003 from './migrations/0003-oauth2.js';
import * as m0004 from './migrations/0004-permissions.js';
import * as m0005 from './migrations/0005-console.js';
import * as m0006 from './migrations/0006-selfservice.js';
import * as m0007 from './migrations/0007-rate-limits.js';
import * as m0008 from './migrations/0008-oauth2-trust.js';
import * as m0009 from './migrations/0009-consent-skip.js';
import * as m0010 from './migrations/0010-oauth2-device.js';
import * as m0011 from './migrations/0011-key-lifecycle.js';
import * as m0012 from './migrations/0012-audit.js';
import * as m0013 from './migrations/0013-user-keys.js';
import * as m0014 from './migrations/0014-usage.js';
import * as m0015 from './migrations/0015-courier-delivery.js';

// Listed statically so the compiled build needs no directory scan; names sort in apply order.
const migrations: Record<string, Migration> = {
  '0001-foundation': m0001,
  '0002-identity': m0002,
  '0003-oauth2': m0003,
  '0004-permissions': m0004,
  '0005-console': m0005,
  '0006-selfservice': m0006,
  '0007-rate-limits': m0007,
  '0008-oauth2-trust': m0008,
  '0009-consent-skip': m0009,
  '0010-oauth2-device': m0010,
  '0011-key-lifecycle': m0011,
  '0012-audit': m0012,
  '0013-user-keys': m0013,
  '0014-usage': m0014,
  '0015-courier-delivery': m0015,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * Applies every pending migration. Safe to run from several processes at once: Kysely takes a
 * lock row for the duration. Throws with the failing migration's name when one migration failed, or
 * with the reason when none could run (store unreachable, lock, a migration applied by a newer
 * Gatehouse and unknown to this one); the original error is the `cause`.
 */
export async function migrateToLatest(store: Store): Promise<string[]> {
  const migrator = new Migrator({ db: store.db, provider, migrationTableName: 'gatehouse_migrations', migrationLockTableName: 'gatehouse_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    // Kysely reports a migration's own failure as a result with status Error; any other failure
    // (before or around the migrations) comes with no such result.
    const failed = results?.find((r) => r.status === 'Error');
    const what = failed ? `migration ${failed.migrationName} failed` : 'migrations could not run';
    throw new Error(`${what}: ${describeError(error)}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** A one-line reason. A refused connection to `localhost` is an AggregateError with an empty message. */
function describeError(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return [...new Set(error.errors.map(describeError))].join('; ') || 'unknown error';
  if (error instanceof Error) return error.message || String((error as { code?: unknown }).code ?? error.name);
  return String(error);
}
