import { sql, type Kysely, type QueryResult, type WhereInterface } from 'kysely';
import type { Database } from '../database.js';
import { scoped, type ProjectScope } from '../platform/db/scoped.js';
import { prepared } from '../platform/db/prepared.js';
import { nowIso } from '../platform/ids.js';
import { rowToTuple, subjectKey, subjectType, tupleColumns, type PageKey, type Subject, type SubjectSet, type Tuple, type TupleQuery } from './tuples.js';

const INSERT_CHUNK = 400;
/** Nodes per batched lookup: 3 parameters each, well within both dialects' limits. */
const NODE_CHUNK = 100;

/**
 * A bound value compared with an indexed column, as `cast(? as text)` rather than a bare `?`.
 *
 * better-sqlite3 builds SQLite with STAT4: once the store has been ANALYZEd, a statement whose bare
 * parameters constrain an index is recompiled on its first step after every new binding (the
 * planner may pick another plan for other values), which costs several times the lookup itself.
 * A cast of a parameter is not probed, so the statement stays compiled; the plan is the same (an
 * equality on the primary key or its prefix) and so is the comparison (every value is text, on
 * both dialects). Used by the queries a check runs.
 */
export const text = <T extends string>(v: T) => sql<T>`cast(${v} as text)`;

/** A bound LIMIT, as `cast(? as integer)`: a bare `?` there costs SQLite the same recompilation. */
export const count = (n: number) => sql<number>`cast(${n} as integer)`;

type SetRow = { subject_set_namespace: string | null; subject_set_object: string | null; subject_set_relation: string | null };
type ProbeRow = SetRow & { direct: number };
type Statement<R> = (params: readonly unknown[], via?: Kysely<Database>) => Promise<QueryResult<R>>;

const toSet = (r: SetRow): SubjectSet => ({ namespace: r.subject_set_namespace ?? '', object: r.subject_set_object ?? '', relation: r.subject_set_relation ?? '' });

/**
 * The scope of `projectId` with the id bound through `text`, as every value a check compares is (the
 * scope's filter is an indexed comparison like the others). The prepared statements are built in
 * the scope of a placeholder id, and each run passes the project id as their first parameter.
 */
const textBound = (db: Kysely<Database>, projectId: string): ProjectScope<Database> => scoped(db, projectId, { bind: text });

/**
 * The queries a check runs per node, compiled once per database and then run with fresh parameters:
 * building a query costs as much as running a point lookup.
 */
interface CheckStatements {
  exists: Statement<unknown>;
  subjectSets: Statement<SetRow>;
  probe: Statement<ProbeRow>;
}

const statements = new WeakMap<Kysely<Database>, CheckStatements>();

/** The rows of one node (namespace, object, relation) of the statement's project. */
const nodeRows = (db: Kysely<Database>) =>
  textBound(db, '').selectFrom('relation_tuples').where('namespace', '=', text('')).where('object', '=', text('')).where('relation', '=', text(''));

function checkStatements(db: Kysely<Database>): CheckStatements {
  let s = statements.get(db);
  if (!s) {
    s = {
      // Parameters: project, namespace, object, relation, subject type, subject key.
      exists: prepared(db, (d) => nodeRows(d).select('subject_type').where('subject_type', '=', text('id')).where('subject_key', '=', text('')).compile()),
      // Parameters: project, namespace, object, relation, 'set', limit.
      subjectSets: prepared(db, (d) =>
        nodeRows(d).select(['subject_set_namespace', 'subject_set_object', 'subject_set_relation']).where('subject_type', '=', text('set')).orderBy('subject_key').limit(count(0)).compile(),
      ),
      probe: prepared(db, compileProbe),
    };
    statements.set(db, s);
  }
  return s;
}

/**
 * `exists` and `subjectSets` of one node in one statement: the direct tuple's row if stored, else
 * the node's subject sets in key order (at most the limit), both by the primary key. Parameters:
 * the project, the node's three key parts and the subject's type and key (direct lookup), the same
 * four and 'set' (sets), the same four and the subject's type and key again (the NOT EXISTS that
 * skips the sets when the direct lookup hits), then the limit.
 */
function compileProbe(db: Kysely<Database>) {
  const columns = ['subject_set_namespace', 'subject_set_object', 'subject_set_relation'] as const;
  // Only the key's columns: the lookup stays on the index, as `exists` does.
  const direct = nodeRows(db)
    .select([sql<string | null>`null`.as('subject_set_namespace'), sql<string | null>`null`.as('subject_set_object'), sql<string | null>`null`.as('subject_set_relation'), sql<number>`1`.as('direct')])
    .where('subject_type', '=', text('id'))
    .where('subject_key', '=', text(''));
  const sets = nodeRows(db)
    .select(columns)
    .select(sql<number>`0`.as('direct'))
    .where('subject_type', '=', text('set'))
    .where((eb) => eb.not(eb.exists(nodeRows(db).select('subject_type').where('subject_type', '=', text('id')).where('subject_key', '=', text('')))))
    .orderBy('subject_key')
    .limit(count(0));
  return db.selectFrom(direct.as('hit')).selectAll().unionAll(db.selectFrom(sets.as('sets')).selectAll()).compile();
}

/** `qb` narrowed to the tuples matching the filter `q` (every given field must match). */
function matching<QB extends WhereInterface<Database, 'relation_tuples'>>(qb: QB, q: TupleQuery): QB {
  let out = qb as WhereInterface<Database, 'relation_tuples'>;
  if (q.namespace !== undefined) out = out.where('namespace', '=', q.namespace);
  if (q.object !== undefined) out = out.where('object', '=', q.object);
  if (q.relation !== undefined) out = out.where('relation', '=', q.relation);
  if (q.subject) out = out.where('subject_type', '=', subjectType(q.subject)).where('subject_key', '=', subjectKey(q.subject));
  return out as QB;
}

/**
 * The relation tuples of one project: every query goes through the project's scope. Built over a
 * transaction's scope, every query runs in that transaction.
 */
export class TupleStore {
  /** The same scope for the queries a check runs, its project id bound through `text`. */
  private readonly checkScope: ProjectScope<Database>;

  constructor(private readonly scope: ProjectScope<Database>) {
    this.checkScope = textBound(scope.db, scope.projectId);
  }

  private get statements(): CheckStatements {
    return checkStatements(this.scope.db);
  }

  /** True when exactly this tuple is stored: one primary-key lookup. */
  async exists(t: Tuple): Promise<boolean> {
    const res = await this.statements.exists([this.scope.projectId, t.namespace, t.object, t.relation, subjectType(t.subject), subjectKey(t.subject)]);
    return res.rows.length > 0;
  }

  /** The subject sets of `namespace:object#relation`, at most `limit` of them (a prefix scan). */
  async subjectSets(namespace: string, object: string, relation: string, limit: number): Promise<SubjectSet[]> {
    const res = await this.statements.subjectSets([this.scope.projectId, namespace, object, relation, 'set', limit]);
    return res.rows.map(toSet);
  }

  /**
   * 'member' when `subject` is stored directly under `node`, else the node's subject sets in key
   * order, at most `limit` of them: `exists` then `subjectSets`, in one statement.
   */
  async probe(node: SubjectSet, subject: Subject, limit: number): Promise<'member' | SubjectSet[]> {
    const type = subjectType(subject);
    const key = subjectKey(subject);
    const { namespace, object, relation } = node;
    const p = this.scope.projectId;
    const res = await this.statements.probe([
      p, namespace, object, relation, type, key,
      p, namespace, object, relation, 'set',
      p, namespace, object, relation, type, key,
      limit,
    ]);
    const out: SubjectSet[] = [];
    for (const r of res.rows) {
      if (Number(r.direct) === 1) return 'member';
      out.push(toSet(r));
    }
    return out;
  }

  /** True when `subject` is stored directly under any of `nodes` (one query per 100 nodes). */
  async anyContains(nodes: SubjectSet[], subject: Subject): Promise<boolean> {
    if (nodes.length === 1) return this.exists({ ...nodes[0], subject });
    for (let i = 0; i < nodes.length; i += NODE_CHUNK) {
      const chunk = nodes.slice(i, i + NODE_CHUNK);
      const row = await this.checkScope
        .selectFrom('relation_tuples')
        .select('subject_type')
        // Every branch carries the rest of the key (the scope adds the project) so each is one
        // primary-key lookup; the subject's columns outside the OR would tempt the planner onto the
        // subject index.
        .where((eb) =>
          eb.or(
            chunk.map((n) =>
              eb.and([
                eb('namespace', '=', text(n.namespace)),
                eb('object', '=', text(n.object)),
                eb('relation', '=', text(n.relation)),
                eb('subject_type', '=', text(subjectType(subject))),
                eb('subject_key', '=', text(subjectKey(subject))),
              ]),
            ),
          ),
        )
        .limit(count(1))
        .executeTakeFirst();
      if (row) return true;
    }
    return false;
  }

  /** The subject sets stored under any of `nodes`, at most `limit` in all (one query per 100 nodes). */
  async subjectSetsOf(nodes: SubjectSet[], limit: number): Promise<SubjectSet[]> {
    if (nodes.length === 1) return this.subjectSets(nodes[0].namespace, nodes[0].object, nodes[0].relation, limit);
    const out: SubjectSet[] = [];
    for (let i = 0; i < nodes.length && out.length < limit; i += NODE_CHUNK) {
      const chunk = nodes.slice(i, i + NODE_CHUNK);
      const rows = await this.checkScope
        .selectFrom('relation_tuples')
        .select(['subject_set_namespace', 'subject_set_object', 'subject_set_relation'])
        .where((eb) =>
          eb.or(chunk.map((n) => eb.and([eb('namespace', '=', text(n.namespace)), eb('object', '=', text(n.object)), eb('relation', '=', text(n.relation)), eb('subject_type', '=', text('set'))]))),
        )
        .limit(count(limit - out.length))
        .execute();
      for (const r of rows) out.push(toSet(r));
    }
    return out;
  }

  /** Every subject of `namespace:object#relation` (ids and sets), at most `limit`. */
  async subjects(namespace: string, object: string, relation: string, limit: number): Promise<Subject[]> {
    const rows = await this.scope
      .selectFrom('relation_tuples')
      .select(['subject_id', 'subject_set_namespace', 'subject_set_object', 'subject_set_relation'])
      .where('namespace', '=', namespace)
      .where('object', '=', object)
      .where('relation', '=', relation)
      .orderBy('subject_type')
      .orderBy('subject_key')
      .limit(limit)
      .execute();
    return rows.map((r) => rowToTuple({ ...r, namespace, object, relation }).subject);
  }

  /** One page of tuples matching `q`, in key order, starting after `after`. */
  async list(q: TupleQuery, pageSize: number, after?: PageKey): Promise<{ tuples: Tuple[]; more: boolean }> {
    let query = this.scope
      .selectFrom('relation_tuples')
      .select(['namespace', 'object', 'relation', 'subject_id', 'subject_set_namespace', 'subject_set_object', 'subject_set_relation']);
    query = matching(query, q);
    if (after) {
      query = query.where(sql<boolean>`(namespace, object, relation, subject_type, subject_key) > (${after[0]}, ${after[1]}, ${after[2]}, ${after[3]}, ${after[4]})`);
    }
    const rows = await query
      .orderBy('namespace')
      .orderBy('object')
      .orderBy('relation')
      .orderBy('subject_type')
      .orderBy('subject_key')
      .limit(pageSize + 1)
      .execute();
    const more = rows.length > pageSize;
    return { tuples: rows.slice(0, pageSize).map(rowToTuple), more };
  }

  /** Inserts tuples; ones already stored are left as they are (a tuple is a set member). */
  async insert(tuples: Tuple[]): Promise<void> {
    const at = nowIso();
    for (let i = 0; i < tuples.length; i += INSERT_CHUNK) {
      const rows = tuples.slice(i, i + INSERT_CHUNK).map((t) => tupleColumns(t, at));
      await this.scope.insertInto('relation_tuples', rows).onConflict((oc) => oc.doNothing()).execute();
    }
  }

  /** Deletes exactly these tuples (missing ones are ignored). */
  async deleteExact(tuples: Tuple[]): Promise<void> {
    for (const t of tuples) await matching(this.scope.deleteFrom('relation_tuples'), t).execute();
  }

  /** Deletes every tuple matching `q` (which the caller ensures is not empty). */
  async deleteMatching(q: TupleQuery): Promise<void> {
    await matching(this.scope.deleteFrom('relation_tuples'), q).execute();
  }
}
