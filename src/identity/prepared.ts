import { CompiledQuery, type Compilable, type Kysely, type QueryResult } from 'kysely';
import type { Database } from '../platform/db/schema.js';

/**
 * A hot-path query built with Kysely once and then run from its compiled SQL with fresh
 * parameters, skipping query building and compilation on every request. `build` receives
 * placeholder values; the caller passes the real ones in the same order as they appear in the SQL.
 */
export function preparedQuery<R>(db: Kysely<Database>, build: (db: Kysely<Database>) => Compilable<R>): (params: readonly unknown[]) => Promise<QueryResult<R>> {
  let compiled: { sql: string; arity: number } | null = null;
  return (params) => {
    if (!compiled) {
      const c = build(db).compile();
      compiled = { sql: c.sql, arity: c.parameters.length };
    }
    // A mismatch is a programming error (e.g. a `limit` adds a parameter): fail loudly, never misbind.
    if (params.length !== compiled.arity) throw new Error(`prepared query expects ${compiled.arity} parameters, got ${params.length}`);
    return db.executeQuery<R>(CompiledQuery.raw(compiled.sql, params as unknown[]));
  };
}
