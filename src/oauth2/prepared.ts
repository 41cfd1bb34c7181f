import { CompiledQuery, type Kysely, type QueryResult } from 'kysely';
import type { Database } from '../platform/db/schema.js';

/**
 * A hot-path statement compiled by Kysely once (for the store's dialect) and then run from its SQL with
 * fresh parameters, skipping query building and compilation per request. `build` gets the database and
 * returns the compiled query made with placeholder values; callers pass the real values in the order
 * the placeholders appear in the SQL.
 */
export function prepared<R>(db: Kysely<Database>, build: (db: Kysely<Database>) => CompiledQuery<R>): (params: readonly unknown[], via?: Kysely<Database>) => Promise<QueryResult<R>> {
  let compiled: { sql: string; arity: number } | null = null;
  // `via`: a transaction of `db` to run in.
  return (params, via = db) => {
    if (!compiled) {
      const c = build(db);
      compiled = { sql: c.sql, arity: c.parameters.length };
    }
    // A mismatch is a programming error: fail loudly, never bind values to the wrong placeholders.
    if (params.length !== compiled.arity) throw new Error(`prepared statement expects ${compiled.arity} parameters, got ${params.length}`);
    return via.executeQuery<R>(CompiledQuery.raw(compiled.sql, params as unknown[]));
  };
}
