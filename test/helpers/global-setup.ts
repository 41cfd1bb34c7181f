import pg from 'pg';
import { openStore } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';

/**
 * With TEST_DATABASE_URL set, every test run gets a database of its own: created fresh here,
 * migrated once (so test files do not race for the migration lock), and dropped at the end. Runs are
 * hermetic and several can share one PostgreSQL server.
 */
export default async function setup(): Promise<(() => Promise<void>) | void> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) return;
  const name = `gatehouse_test_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  process.env.TEST_DATABASE_URL = url.toString();
  const store = openStore(url.toString());
  try {
    await migrateToLatest(store);
  } finally {
    await store.close();
  }
  return async () => {
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    await c.query(`drop database if exists ${name} with (force)`);
    await c.end();
  };
}
