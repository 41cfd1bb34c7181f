import { CompiledQuery, type Kysely, type QueryResult } from 'kysely';

/**
 * A hot-path statement compiled by Kysely once (for the store's dialect) and then run from its SQL
 * with fresh parameters, skipping query building and compilation per request. `build` gets the
 * database and returns the compiled query made with placeholder values; callers pass the real values
 * in the order the placeholders appear in the SQL, and may pass a transaction of `db` to run in.
 */
export function prepared<DB, R>(db: Kysely<DB>, build: (db: Kysely<DB>) => CompiledQuery<R>): (params: readonly unknown[], via?: Kysely<DB>) => Promise<QueryResult<R>> {
  let compiled: { sql: string; arity: number } | null = null;
  return (params, via = db) => {
    if (!compiled) {
      const c = build(db);
      compiled = { sql: c.sql, arity: c.parameters.length };
    }
    // A mismatch is a programming error (a `limit` adds a parameter): fail loudly, never misbind.
    if (params.length !== compiled.arity) throw new Error(`prepared statement expects ${compiled.arity} parameters, got ${params.length}`);
    return via.executeQuery<R>(CompiledQuery.raw(compiled.sql, params as unknown[]));
  };
}
