import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { badRequest, notFound } from '../platform/errors/errors.js';
import { ModelCache, type PermissionModel } from './model.js';
import { checkMembership, expandTree, DEFAULT_LIMITS, type EngineLimits, type ExpandTree } from './engine.js';
import { encodeTuplePageToken, decodeTuplePageToken, type Tuple, type TupleQuery, type SubjectSet } from './tuples.js';
import { TupleStore } from './tuple-store.js';
import { scoped } from '../platform/db/scoped.js';

/** The part of a resolved project this service reads (its config is read by `readPermissionConfig`). */
export interface PermissionScope {
  id: string;
  services: { permission: { config: unknown } };
}

export const DEFAULT_PAGE_SIZE = 100;

/** Keto answers a namespace it does not know with 404, on reads and writes alike. */
const unknownNamespace = (name: string, where = '') => notFound(`Unknown namespace with name ${JSON.stringify(name)}${where}.`);

/**
 * Relation tuples, checks and expansion for one project at a time. Every method takes the project
 * the request resolved to and touches only that project's tuples; the model (namespaces, OPL rules,
 * limits) comes from the project's current `services.permission.config`.
 */
export class PermissionService {
  private readonly models = new ModelCache();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly limits: EngineLimits = DEFAULT_LIMITS,
  ) {}

  /** The tuples of `project`. */
  private tuples(project: PermissionScope): TupleStore {
    return new TupleStore(scoped(this.db, project.id));
  }

  /** The compiled model; a config whose OPL does not parse is a 400 for every use of it. */
  model(project: PermissionScope): PermissionModel {
    const model = this.models.get(project.services.permission.config ?? {});
    if (model.configErrors.length > 0) {
      const e = model.configErrors[0];
      throw badRequest(`The project's permission config is invalid (${e.start.Line}:${e.start.column}: ${e.message}); fix services.permission.config.`);
    }
    return model;
  }

  namespaces(project: PermissionScope): { name: string }[] {
    return [...this.model(project).namespaces.keys()].map((name) => ({ name }));
  }

  /** Refuses (400) a tuple that the namespaces cannot hold: unknown namespace, relation or subject set. */
  private validateWrite(model: PermissionModel, t: Tuple): void {
    const ns = model.namespaces.get(t.namespace);
    if (!ns) throw unknownNamespace(t.namespace);
    if (ns.typed) {
      if (ns.permits.has(t.relation)) throw badRequest(`"${t.relation}" is a permission of namespace "${t.namespace}", computed by its rules; write the relations it reads instead.`);
      if (!ns.relations.has(t.relation)) throw badRequest(`Namespace "${t.namespace}" has no relation "${t.relation}".`);
    }
    if (t.subject.set) this.validateSubjectSet(model, t.subject.set);
  }

  private validateSubjectSet(model: PermissionModel, s: SubjectSet): void {
    const sns = model.namespaces.get(s.namespace);
    if (!sns) throw unknownNamespace(s.namespace, ' in subject_set');
    if (sns.typed && s.relation !== '' && !sns.relations.has(s.relation) && !sns.permits.has(s.relation)) {
      throw badRequest(`Namespace "${s.namespace}" has no relation "${s.relation}" (subject_set).`);
    }
  }

  /** Validates a read filter: an unknown namespace is a 404 (Keto), an unknown relation a 400. */
  private validateQuery(model: PermissionModel, q: TupleQuery): void {
    if (q.namespace === undefined) return;
    const ns = model.namespaces.get(q.namespace);
    if (!ns) throw unknownNamespace(q.namespace);
    if (ns.typed && q.relation !== undefined && !ns.relations.has(q.relation) && !ns.permits.has(q.relation)) {
      throw badRequest(`Namespace "${q.namespace}" has no relation "${q.relation}".`);
    }
  }

  async create(project: PermissionScope, t: Tuple): Promise<void> {
    this.validateWrite(this.model(project), t);
    await this.tuples(project).insert([t]);
  }

  /** Inserts then deletes, all in one transaction; one invalid tuple refuses the whole batch. */
  async transact(project: PermissionScope, inserts: Tuple[], deletes: Tuple[]): Promise<void> {
    const model = this.model(project);
    for (const t of inserts) this.validateWrite(model, t);
    for (const t of deletes) {
      if (!model.namespaces.has(t.namespace)) throw unknownNamespace(t.namespace);
    }
    await scoped(this.db, project.id).transaction(async (scope) => {
      const tuples = new TupleStore(scope);
      await tuples.insert(inserts);
      await tuples.deleteExact(deletes);
    });
  }

  /** Deletes every tuple matching `q`; an empty query (which would delete everything) is refused. */
  async deleteMatching(project: PermissionScope, q: TupleQuery): Promise<void> {
    if (q.namespace === undefined && q.object === undefined && q.relation === undefined && q.subject === undefined) {
      throw badRequest('Give at least one of namespace, object, relation, subject_id or subject_set.* to delete relation tuples.');
    }
    if (q.namespace !== undefined && !this.model(project).namespaces.has(q.namespace)) throw unknownNamespace(q.namespace);
    await this.tuples(project).deleteMatching(q);
  }

  async list(project: PermissionScope, q: TupleQuery, pageSize = DEFAULT_PAGE_SIZE, pageToken?: string): Promise<{ tuples: Tuple[]; nextPageToken: string }> {
    const after = decodeTuplePageToken(pageToken);
    this.validateQuery(this.model(project), q);
    const { tuples, more } = await this.tuples(project).list(q, pageSize, after);
    return { tuples, nextPageToken: more && tuples.length > 0 ? encodeTuplePageToken(tuples[tuples.length - 1]) : '' };
  }

  /** The effective depth: the request's max-depth, unless absent, not positive or above the config's limit. */
  private depth(model: PermissionModel, requested: number | undefined): number {
    return requested === undefined || requested <= 0 || requested > model.maxReadDepth ? model.maxReadDepth : requested;
  }

  /**
   * Is the tuple's subject in its namespace:object#relation? An unknown namespace is simply "not
   * allowed" (as in Keto); a relation the namespace's OPL does not declare is a 400.
   */
  async check(project: PermissionScope, t: Tuple, maxDepth?: number): Promise<boolean> {
    const model = this.model(project);
    const ns = model.namespaces.get(t.namespace);
    if (!ns) return false;
    if (ns.typed && !ns.relations.has(t.relation) && !ns.permits.has(t.relation)) {
      throw badRequest(`Namespace "${t.namespace}" has no relation or permission "${t.relation}".`);
    }
    const tuples = this.tuples(project);
    // Fast path for the common case: a stored relation holding the subject directly. When it
    // misses, the walk below starts from the relation's subject sets (no second lookup).
    const stored = !ns.permits.has(t.relation);
    if (stored && (await tuples.exists(t))) return true;
    return checkMembership(tuples, model, t, this.depth(model, maxDepth), this.limits, stored);
  }

  maxBatchCheckSize(project: PermissionScope): number {
    return this.model(project).maxBatchCheckSize;
  }

  async expand(project: PermissionScope, root: SubjectSet, maxDepth?: number): Promise<ExpandTree> {
    const model = this.model(project);
    const ns = model.namespaces.get(root.namespace);
    if (!ns) throw unknownNamespace(root.namespace);
    if (ns.typed && !ns.relations.has(root.relation) && !ns.permits.has(root.relation)) {
      throw badRequest(`Namespace "${root.namespace}" has no relation or permission "${root.relation}".`);
    }
    const tree = await expandTree(this.tuples(project), root, this.depth(model, maxDepth));
    if (!tree) throw notFound('No relation tuple found.');
    return tree;
  }
}
