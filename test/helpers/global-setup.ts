import { openStore } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';

/** On PostgreSQL, migrate once before the test files start so they do not race for the lock. */
export default async function setup(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) return;
  const store = openStore(url);
  try {
    await migrateToLatest(store);
  } finally {
    await store.close();
  }
}
