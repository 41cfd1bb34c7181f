import { sql, type CompiledQuery, type Kysely } from 'kysely';
import type { Database } from '../platform/db/schema.js';
import type { RelationTuplesTable } from './tables.js';
import { badRequest } from '../platform/errors/errors.js';
import { nowIso } from '../platform/ids.js';

export interface SubjectSet {
  namespace: string;
  object: string;
  /** May be empty: `User:alice` is the subject set of the object itself. */
  relation: string;
}

export type Subject = { id: string; set?: undefined } | { id?: undefined; set: SubjectSet };

export interface Tuple {
  namespace: string;
  object: string;
  relation: string;
  subject: Subject;
}

/** A filter: every field is optional; a subject is an id or a complete subject set. */
export interface TupleQuery {
  namespace?: string;
  object?: string;
  relation?: string;
  subject?: Subject;
}

/** The wire form (Keto's `Relationship`). */
export interface RelationshipJson {
  namespace: string;
  object: string;
  relation: string;
  subject_id?: string;
  subject_set?: SubjectSet;
}

const MAX_NAME = 64;
const MAX_VALUE = 512;

function field(v: unknown, name: string, opts: { max: number; allowEmpty?: boolean }): string {
  if (typeof v !== 'string') throw badRequest(`${name} must be a string.`);
  if (!opts.allowEmpty && v.length === 0) throw badRequest(`${name} must not be empty.`);
  if (v.length > opts.max) throw badRequest(`${name} must be at most ${opts.max} characters.`);
  // PostgreSQL text cannot hold NUL; refuse it on both stores so they behave alike.
  if (v.includes('\u0000')) throw badRequest(`${name} must not contain NUL characters.`);
  return v;
}

function subjectSetFrom(v: unknown, prefix: string): SubjectSet {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw badRequest(`${prefix} must be an object with namespace, object and relation.`);
  const s = v as Record<string, unknown>;
  if (s.relation === undefined) throw badRequest(`${prefix}.relation is required (it may be empty).`);
  return {
    namespace: field(s.namespace, `${prefix}.namespace`, { max: MAX_NAME }),
    object: field(s.object, `${prefix}.object`, { max: MAX_VALUE }),
    relation: field(s.relation, `${prefix}.relation`, { max: MAX_NAME, allowEmpty: true }),
  };
}

/** Validates a tuple from a JSON body (`Relationship` / `CreateRelationshipBody`). Throws 400. */
export function tupleFromJson(v: unknown, where = 'relation tuple'): Tuple {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw badRequest(`The ${where} must be an object.`);
  const b = v as Record<string, unknown>;
  for (const k of ['namespace', 'object', 'relation']) {
    if (b[k] === undefined) throw badRequest(`The ${where} needs ${k}.`);
  }
  const hasId = b.subject_id !== undefined && b.subject_id !== null;
  const hasSet = b.subject_set !== undefined && b.subject_set !== null;
  if (hasId && hasSet) throw badRequest(`The ${where} has both subject_id and subject_set; give exactly one.`);
  if (!hasId && !hasSet) throw badRequest(`The ${where} needs subject_id or subject_set.`);
  return {
    namespace: field(b.namespace, 'namespace', { max: MAX_NAME }),
    object: field(b.object, 'object', { max: MAX_VALUE }),
    relation: field(b.relation, 'relation', { max: MAX_NAME }),
    subject: hasId ? { id: field(b.subject_id, 'subject_id', { max: MAX_VALUE }) } : { set: subjectSetFrom(b.subject_set, 'subject_set') },
  };
}

export type UrlTupleQuery = Partial<Record<'namespace' | 'object' | 'relation' | 'subject_id' | 'subject_set.namespace' | 'subject_set.object' | 'subject_set.relation', string>>;

/** Reads a filter from URL query parameters (Keto's names). Throws 400. */
export function queryFromUrl(q: UrlTupleQuery): TupleQuery {
  const out: TupleQuery = {};
  if (q.namespace !== undefined) out.namespace = field(q.namespace, 'namespace', { max: MAX_NAME });
  if (q.object !== undefined) out.object = field(q.object, 'object', { max: MAX_VALUE });
  if (q.relation !== undefined) out.relation = field(q.relation, 'relation', { max: MAX_NAME });
  const setKeys = [q['subject_set.namespace'], q['subject_set.object'], q['subject_set.relation']];
  const anySet = setKeys.some((k) => k !== undefined);
  if (q.subject_id !== undefined && anySet) throw badRequest('Give either subject_id or subject_set.*, not both.');
  if (q.subject_id !== undefined) out.subject = { id: field(q.subject_id, 'subject_id', { max: MAX_VALUE }) };
  if (anySet) {
    if (setKeys.some((k) => k === undefined)) throw badRequest('subject_set.namespace, subject_set.object and subject_set.relation must be given together.');
    out.subject = { set: subjectSetFrom({ namespace: setKeys[0], object: setKeys[1], relation: setKeys[2] }, 'subject_set') };
  }
  return out;
}

/** A complete tuple from URL query parameters (the GET check). Throws 400. */
export function tupleFromUrl(q: UrlTupleQuery): Tuple {
  const query = queryFromUrl(q);
  for (const k of ['namespace', 'object', 'relation'] as const) {
    if (query[k] === undefined) throw badRequest(`The query needs ${k}.`);
  }
  if (!query.subject) throw badRequest('The query needs subject_id or subject_set.namespace, subject_set.object and subject_set.relation.');
  return query as Tuple;
}

export function toJson(t: Tuple): RelationshipJson {
  const out: RelationshipJson = { namespace: t.namespace, object: t.object, relation: t.relation };
  if (t.subject.set) out.subject_set = { ...t.subject.set };
  else out.subject_id = t.subject.id;
  return out;
}

export const subjectType = (s: Subject): 'id' | 'set' => (s.set ? 'set' : 'id');
export const subjectKey = (s: Subject): string => (s.set ? JSON.stringify([s.set.namespace, s.set.object, s.set.relation]) : s.id!);
export const sameSubject = (a: Subject, b: Subject): boolean => subjectType(a) === subjectType(b) && subjectKey(a) === subjectKey(b);

export function tupleToString(t: Tuple): string {
  const s = t.subject.set ? `${t.subject.set.namespace}:${t.subject.set.object}${t.subject.set.relation ? `#${t.subject.set.relation}` : ''}` : t.subject.id;
  return `${t.namespace}:${t.object}#${t.relation}@${s}`;
}

function rowToTuple(r: Pick<RelationTuplesTable, 'namespace' | 'object' | 'relation' | 'subject_id' | 'subject_set_namespace' | 'subject_set_object' | 'subject_set_relation'>): Tuple {
  return {
    namespace: r.namespace,
    object: r.object,
    relation: r.relation,
    subject:
      r.subject_set_namespace !== null
        ? { set: { namespace: r.subject_set_namespace, object: r.subject_set_object ?? '', relation: r.subject_set_relation ?? '' } }
        : { id: r.subject_id ?? '' },
  };
}

export function tupleToRow(projectId: string, t: Tuple, createdAt: string): RelationTuplesTable {
  return {
    project_id: projectId,
    namespace: t.namespace,
    object: t.object,
    relation: t.relation,
    subject_type: subjectType(t.subject),
    subject_key: subjectKey(t.subject),
    subject_id: t.subject.set ? null : t.subject.id!,
    subject_set_namespace: t.subject.set?.namespace ?? null,
    subject_set_object: t.subject.set?.object ?? null,
    subject_set_relation: t.subject.set?.relation ?? null,
    created_at: createdAt,
  };
}

// ---------------------------------------------------------------------------------------------
// Page tokens: the key of the last row of the page, opaque to clients.

type PageKey = [string, string, string, string, string];

export function encodeTuplePageToken(t: Tuple): string {
  const key: PageKey = [t.namespace, t.object, t.relation, subjectType(t.subject), subjectKey(t.subject)];
  return Buffer.from(JSON.stringify(['rt1', ...key]), 'utf8').toString('base64url');
}

export function decodeTuplePageToken(token: string | undefined): PageKey | undefined {
  if (!token) return undefined;
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 6 && v[0] === 'rt1' && v.slice(1).every((x) => typeof x === 'string' && !x.includes('\u0000'))) {
      return v.slice(1) as PageKey;
    }
  } catch {
    // fall through
  }
  throw badRequest('The page_token is not valid.');
}

// ---------------------------------------------------------------------------------------------
// Repository: queries only, every one scoped to a project.

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

/**
 * The two queries a check runs per node, built once per Kysely instance and then executed with
 * fresh parameters: building a query costs as much as running a point lookup.
 */
interface HotQueries {
  exists: CompiledQuery;
  subjectSets: CompiledQuery;
  probe: CompiledQuery;
}

type ProbeRow = { direct: number; subject_set_namespace: string | null; subject_set_object: string | null; subject_set_relation: string | null };

const hot = new WeakMap<Kysely<Database>, HotQueries>();

function hotQueries(db: Kysely<Database>): HotQueries {
  let q = hot.get(db);
  if (!q) {
    q = {
      exists: db
        .selectFrom('relation_tuples')
        .select('subject_type')
        .where('project_id', '=', text(''))
        .where('namespace', '=', text(''))
        .where('object', '=', text(''))
        .where('relation', '=', text(''))
        .where('subject_type', '=', text('id'))
        .where('subject_key', '=', text(''))
        .compile(),
      subjectSets: db
        .selectFrom('relation_tuples')
        .select(['subject_set_namespace', 'subject_set_object', 'subject_set_relation'])
        .where('project_id', '=', text(''))
        .where('namespace', '=', text(''))
        .where('object', '=', text(''))
        .where('relation', '=', text(''))
        .where('subject_type', '=', text('set'))
        .orderBy('subject_key')
        .limit(count(0))
        .compile(),
      probe: compileProbe(db),
    };
    hot.set(db, q);
  }
  return q;
}

/**
 * `exists` and `subjectSets` of one node in one statement: the direct tuple's row if stored, else
 * the node's subject sets in key order (at most the limit), both by the primary key. Parameters:
 * the node's four key parts and the subject's type and key (direct lookup), the four key parts
 * (sets), the four key parts and the subject's type and key again (the NOT EXISTS that skips the
 * sets when the direct lookup hits), then the limit.
 */
function compileProbe(db: Kysely<Database>): CompiledQuery {
  const columns = ['subject_set_namespace', 'subject_set_object', 'subject_set_relation'] as const;
  const node = () =>
    db
      .selectFrom('relation_tuples')
      .where('project_id', '=', text(''))
      .where('namespace', '=', text(''))
      .where('object', '=', text(''))
      .where('relation', '=', text(''));
  // Only the key's columns: the lookup stays on the index, as `exists` does.
  const direct = () =>
    node()
      .select([sql<string | null>`null`.as('subject_set_namespace'), sql<string | null>`null`.as('subject_set_object'), sql<string | null>`null`.as('subject_set_relation'), sql<number>`1`.as('direct')])
      .where('subject_type', '=', text('id'))
      .where('subject_key', '=', text(''));
  const sets = node()
    .select(columns)
    .select(sql<number>`0`.as('direct'))
    .where('subject_type', '=', text('set'))
    .where((eb) => eb.not(eb.exists(node().select('subject_type').where('subject_type', '=', text('id')).where('subject_key', '=', text('')))))
    .orderBy('subject_key')
    .limit(count(0));
  const compiled = db.selectFrom(direct().as('hit')).selectAll().unionAll(db.selectFrom(sets.as('sets')).selectAll()).compile();
  if (compiled.parameters.length !== PROBE_PARAMS) throw new Error(`probe query has ${compiled.parameters.length} parameters, expected ${PROBE_PARAMS}`);
  return compiled;
}

const PROBE_PARAMS = 18;

/** The same compiled query with other parameter values (in the order they were bound). */
function withParams(q: CompiledQuery, parameters: unknown[]): CompiledQuery {
  if (q.parameters.length !== parameters.length) throw new Error('compiled query parameter count mismatch');
  return { ...q, parameters };
}

/**
 * The relation tuples of projects. Every method takes the project id and filters by it; a
 * transaction (`Kysely` from `db.transaction()`) may be passed wherever `db` is.
 */
export class TupleRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** True when exactly this tuple is stored: one primary-key lookup. */
  async exists(projectId: string, t: Tuple): Promise<boolean> {
    const q = hotQueries(this.db).exists;
    const res = await this.db.executeQuery<unknown>(withParams(q, [projectId, t.namespace, t.object, t.relation, subjectType(t.subject), subjectKey(t.subject)]));
    return res.rows.length > 0;
  }

  /** The subject sets of `namespace:object#relation`, at most `limit` of them (a prefix scan). */
  async subjectSets(projectId: string, namespace: string, object: string, relation: string, limit: number): Promise<SubjectSet[]> {
    const q = hotQueries(this.db).subjectSets;
    const res = await this.db.executeQuery<{ subject_set_namespace: string | null; subject_set_object: string | null; subject_set_relation: string | null }>(
      withParams(q, [projectId, namespace, object, relation, 'set', limit]),
    );
    return res.rows.map((r) => ({ namespace: r.subject_set_namespace ?? '', object: r.subject_set_object ?? '', relation: r.subject_set_relation ?? '' }));
  }

  /**
   * 'member' when `subject` is stored directly under `node`, else the node's subject sets in key
   * order, at most `limit` of them: `exists` then `subjectSets`, in one statement.
   */
  async probe(projectId: string, node: SubjectSet, subject: Subject, limit: number): Promise<'member' | SubjectSet[]> {
    const type = subjectType(subject);
    const key = subjectKey(subject);
    const { namespace, object, relation } = node;
    const res = await this.db.executeQuery<ProbeRow>(
      withParams(hotQueries(this.db).probe, [
        projectId, namespace, object, relation, type, key,
        projectId, namespace, object, relation, 'set',
        projectId, namespace, object, relation, type, key,
        limit,
      ]),
    );
    const out: SubjectSet[] = [];
    for (const r of res.rows) {
      if (Number(r.direct) === 1) return 'member';
      out.push({ namespace: r.subject_set_namespace ?? '', object: r.subject_set_object ?? '', relation: r.subject_set_relation ?? '' });
    }
    return out;
  }

  /** True when `subject` is stored directly under any of `nodes` (one query per 100 nodes). */
  async anyContains(projectId: string, nodes: SubjectSet[], subject: Subject): Promise<boolean> {
    if (nodes.length === 1) return this.exists(projectId, { ...nodes[0], subject });
    for (let i = 0; i < nodes.length; i += NODE_CHUNK) {
      const chunk = nodes.slice(i, i + NODE_CHUNK);
      const row = await this.db
        .selectFrom('relation_tuples')
        .select('subject_type')
        // Every branch carries the whole key (tenant included) so each is one primary-key lookup;
        // conditions outside the OR would tempt the planner onto the subject index.
        .where((eb) =>
          eb.or(
            chunk.map((n) =>
              eb.and([
                eb('project_id', '=', text(projectId)),
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
  async subjectSetsOf(projectId: string, nodes: SubjectSet[], limit: number): Promise<SubjectSet[]> {
    if (nodes.length === 1) return this.subjectSets(projectId, nodes[0].namespace, nodes[0].object, nodes[0].relation, limit);
    const out: SubjectSet[] = [];
    for (let i = 0; i < nodes.length && out.length < limit; i += NODE_CHUNK) {
      const chunk = nodes.slice(i, i + NODE_CHUNK);
      const rows = await this.db
        .selectFrom('relation_tuples')
        .select(['subject_set_namespace', 'subject_set_object', 'subject_set_relation'])
        .where((eb) =>
          eb.or(
            chunk.map((n) =>
              eb.and([eb('project_id', '=', text(projectId)), eb('namespace', '=', text(n.namespace)), eb('object', '=', text(n.object)), eb('relation', '=', text(n.relation)), eb('subject_type', '=', text('set'))]),
            ),
          ),
        )
        .limit(count(limit - out.length))
        .execute();
      for (const r of rows) out.push({ namespace: r.subject_set_namespace ?? '', object: r.subject_set_object ?? '', relation: r.subject_set_relation ?? '' });
    }
    return out;
  }

  /** Every subject of `namespace:object#relation` (ids and sets), at most `limit`. */
  async subjects(projectId: string, namespace: string, object: string, relation: string, limit: number): Promise<Subject[]> {
    const rows = await this.db
      .selectFrom('relation_tuples')
      .select(['subject_id', 'subject_set_namespace', 'subject_set_object', 'subject_set_relation'])
      .where('project_id', '=', projectId)
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
  async list(projectId: string, q: TupleQuery, pageSize: number, after?: PageKey): Promise<{ tuples: Tuple[]; more: boolean }> {
    let query = this.db
      .selectFrom('relation_tuples')
      .select(['namespace', 'object', 'relation', 'subject_id', 'subject_set_namespace', 'subject_set_object', 'subject_set_relation'])
      .where('project_id', '=', projectId);
    if (q.namespace !== undefined) query = query.where('namespace', '=', q.namespace);
    if (q.object !== undefined) query = query.where('object', '=', q.object);
    if (q.relation !== undefined) query = query.where('relation', '=', q.relation);
    if (q.subject) query = query.where('subject_type', '=', subjectType(q.subject)).where('subject_key', '=', subjectKey(q.subject));
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
  async insert(projectId: string, tuples: Tuple[]): Promise<void> {
    const at = nowIso();
    for (let i = 0; i < tuples.length; i += INSERT_CHUNK) {
      const rows = tuples.slice(i, i + INSERT_CHUNK).map((t) => tupleToRow(projectId, t, at));
      await this.db.insertInto('relation_tuples').values(rows).onConflict((oc) => oc.doNothing()).execute();
    }
  }

  /** Deletes exactly these tuples (missing ones are ignored). */
  async deleteExact(projectId: string, tuples: Tuple[]): Promise<void> {
    for (const t of tuples) {
      await this.db
        .deleteFrom('relation_tuples')
        .where('project_id', '=', projectId)
        .where('namespace', '=', t.namespace)
        .where('object', '=', t.object)
        .where('relation', '=', t.relation)
        .where('subject_type', '=', subjectType(t.subject))
        .where('subject_key', '=', subjectKey(t.subject))
        .execute();
    }
  }

  /** Deletes every tuple matching `q` (which the caller ensures is not empty). */
  async deleteMatching(projectId: string, q: TupleQuery): Promise<void> {
    let query = this.db.deleteFrom('relation_tuples').where('project_id', '=', projectId);
    if (q.namespace !== undefined) query = query.where('namespace', '=', q.namespace);
    if (q.object !== undefined) query = query.where('object', '=', q.object);
    if (q.relation !== undefined) query = query.where('relation', '=', q.relation);
    if (q.subject) query = query.where('subject_type', '=', subjectType(q.subject)).where('subject_key', '=', subjectKey(q.subject));
    await query.execute();
  }
}
