import type { DeleteQueryBuilder, DeleteResult, InsertObject, InsertQueryBuilder, InsertResult, Kysely, SelectQueryBuilder, UpdateQueryBuilder, UpdateResult } from 'kysely';

/** Names of the tables of `DB` that carry a `project_id` column: the project's data. */
export type ProjectTable<DB> = { [T in keyof DB & string]: DB[T] extends { project_id: string } ? T : never }[keyof DB & string];

/** A project table, optionally aliased as Kysely spells it (`'sessions as s'`). */
export type ProjectTableRef<DB> = ProjectTable<DB> | `${ProjectTable<DB>} as ${string}`;

type TableOf<R extends string> = R extends `${infer T} as ${string}` ? T : R;
type AliasOf<R extends string> = R extends `${string} as ${infer A}` ? A : R;
/** The query builder's table map once `R` is in scope: the table under its alias. */
type From<DB, R extends string> = DB & { [K in AliasOf<R>]: DB[TableOf<R> & keyof DB] };

/** A row to insert into a project table, without `project_id`: the scope adds it. */
export type ScopedInsert<DB, T extends ProjectTable<DB>> = Omit<InsertObject<DB, T>, 'project_id'>;

/**
 * One project's view of the database (Kratos's persister that adds the network id to every query):
 * every select, update and delete it builds is already filtered by `project_id`, and every insert
 * carries it. Stores take a scope, so no query of project data can forget its tenant, and an id from
 * another project is simply not there.
 */
export interface ProjectScope<DB> {
  readonly projectId: string;
  /** The unscoped builder: only for queries of tables that are not project data. */
  readonly db: Kysely<DB>;
  selectFrom<R extends ProjectTableRef<DB>>(table: R): SelectQueryBuilder<From<DB, R>, AliasOf<R> & keyof From<DB, R>, {}>;
  updateTable<R extends ProjectTableRef<DB>>(table: R): UpdateQueryBuilder<From<DB, R>, AliasOf<R> & keyof From<DB, R>, AliasOf<R> & keyof From<DB, R>, UpdateResult>;
  deleteFrom<R extends ProjectTableRef<DB>>(table: R): DeleteQueryBuilder<From<DB, R>, AliasOf<R> & keyof From<DB, R>, DeleteResult>;
  insertInto<T extends ProjectTable<DB>>(table: T, values: ScopedInsert<DB, T> | readonly ScopedInsert<DB, T>[]): InsertQueryBuilder<DB, T, InsertResult>;
  /** Runs `fn` in a transaction, with the same scope over the transaction. */
  transaction<R>(fn: (scope: ProjectScope<DB>) => Promise<R>): Promise<R>;
}

const aliasOf = (ref: string): string => {
  const at = ref.indexOf(' as ');
  return at < 0 ? ref : ref.slice(at + 4);
};

export interface ScopeOptions {
  /**
   * How the project id is bound in the filter, when not as a plain parameter: e.g. `cast(? as text)`,
   * for statements that bind every compared value the same way (SQLite then plans them alike).
   */
  bind?: (projectId: string) => unknown;
}

/** The scope of `projectId` over `db` (a transaction is a `Kysely` too). */
export function scoped<DB>(db: Kysely<DB>, projectId: string, o: ScopeOptions = {}): ProjectScope<DB> {
  // Kysely cannot type a column of a table chosen by a type parameter; the public signatures above
  // carry the types, the builders below are the untyped same calls.
  const k = db as unknown as Kysely<any>;
  const column = (ref: string) => `${aliasOf(ref)}.project_id`;
  const bound = o.bind ? o.bind(projectId) : projectId;
  return {
    projectId,
    db,
    selectFrom: (table) => k.selectFrom(table as string).where(column(table), '=', bound) as never,
    updateTable: (table) => k.updateTable(table as string).where(column(table), '=', bound) as never,
    deleteFrom: (table) => k.deleteFrom(table as string).where(column(table), '=', bound) as never,
    insertInto: (table, values) => {
      const rows = (Array.isArray(values) ? values : [values]).map((v) => ({ ...v, project_id: projectId }));
      return k.insertInto(table).values(rows) as never;
    },
    transaction: (fn) => db.transaction().execute((trx) => fn(scoped(trx, projectId, o))),
  };
}
