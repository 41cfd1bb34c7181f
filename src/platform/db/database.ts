import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase as SqliteDialectDatabase } from 'kysely';
import pg from 'pg';

export type Dialect = 'sqlite' | 'postgres';

/** An open store: the typed query builder plus what differs between the two dialects. */
export interface Store<DB = any> {
  db: Kysely<DB>;
  dialect: Dialect;
  /** The connection string this store was opened with (PostgreSQL only; used for LISTEN). */
  url: string;
  close(): Promise<void>;
}

/**
 * Opens the store named by `url`: `postgres://...` or `sqlite:/path/file.sqlite` (`sqlite::memory:` for tests).
 * SQLite runs in WAL mode with a busy timeout and synchronous=NORMAL, which in WAL mode still makes
 * every committed transaction durable against a process crash.
 */
export function openStore<DB = any>(url: string): Store<DB> {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({ connectionString: url, max: Number(process.env.DATABASE_POOL_MAX ?? 10) });
    // An idle client that loses its connection must not crash the process.
    pool.on('error', () => {});
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', url, close: () => db.destroy() };
  }
  if (!url.startsWith('sqlite:')) throw new Error('DATABASE_URL must start with postgres:// or sqlite:');
  const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, dialect: 'sqlite', url, close: () => db.destroy() };
}

/**
 * Kysely prepares a statement for every query; preparing costs more than running a point lookup.
 * Statements are reusable in better-sqlite3 (Kysely runs each to completion synchronously), so they
 * are kept per SQL text in a bounded map (queries are parameterised, so the set of texts is small).
 */
function withStatementCache(sqlite: SqliteDatabase.Database): SqliteDialectDatabase {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => void sqlite.close(),
    prepare(sqlText: string) {
      let stmt = cache.get(sqlText);
      if (!stmt) {
        stmt = sqlite.prepare(sqlText);
        if (cache.size >= 1000) cache.delete(cache.keys().next().value!);
        cache.set(sqlText, stmt);
      }
      return stmt as never;
    },
  };
}

/** True when `err` is a unique-constraint violation on either dialect. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
