import type { RelationTuplesTable } from './tables.js';
import { badRequest } from '../platform/errors/errors.js';

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

/** The tuple a stored row holds. */
export function rowToTuple(r: Pick<RelationTuplesTable, 'namespace' | 'object' | 'relation' | 'subject_id' | 'subject_set_namespace' | 'subject_set_object' | 'subject_set_relation'>): Tuple {
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

/** The columns of a tuple's row, but the project (the scope adds it). */
export function tupleColumns(t: Tuple, createdAt: string): Omit<RelationTuplesTable, 'project_id'> {
  return {
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

/** A tuple's whole row in `projectId` (for seeding a store directly). */
export function tupleToRow(projectId: string, t: Tuple, createdAt: string): RelationTuplesTable {
  return { project_id: projectId, ...tupleColumns(t, createdAt) };
}

// ---------------------------------------------------------------------------------------------
// Page tokens: the key of the last row of the page, opaque to clients.

/** The key of a tuple in listing order: namespace, object, relation, subject type and key. */
export type PageKey = [string, string, string, string, string];

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
