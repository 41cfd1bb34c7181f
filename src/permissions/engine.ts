import type { Rewrite } from './opl.js';
import type { PermissionModel } from './model.js';
import type { Subject, SubjectSet, RelationshipJson } from './tuples.js';
import type { TupleStore } from './tuple-store.js';

/**
 * Work bounds of one check or expand: whatever the tuples and rules look like, one request reads at
 * most this much. A check that runs out answers "not allowed" (never a 500, never a runaway query).
 */
export interface EngineLimits {
  /** Distinct (namespace, object, relation) nodes evaluated per check. */
  maxNodes: number;
  /** Subject-set rows read per check, summed over all nodes. */
  maxRows: number;
}

export const DEFAULT_LIMITS: EngineLimits = { maxNodes: 5000, maxRows: 50_000 };

/** Three-valued membership: UNKNOWN is "the depth or work limit cut the search short". */
const NOT = 0;
const MEMBER = 1;
const UNKNOWN = 2;
type Membership = typeof NOT | typeof MEMBER | typeof UNKNOWN;

const negate = (m: Membership): Membership => (m === MEMBER ? NOT : m === NOT ? MEMBER : UNKNOWN);

/**
 * MEMBER as soon as one item is (the rest are not evaluated), else UNKNOWN when one was cut short,
 * else NOT. Items are evaluated one after another, in order.
 */
async function anyOf<T>(items: readonly T[], membership: (item: T) => Promise<Membership>): Promise<Membership> {
  let result: Membership = NOT;
  for (const item of items) {
    const r = await membership(item);
    if (r === MEMBER) return MEMBER;
    if (r === UNKNOWN) result = UNKNOWN;
  }
  return result;
}

/** NOT as soon as one item is, else UNKNOWN when one was cut short, else MEMBER (`anyOf`'s dual). */
async function allOf<T>(items: readonly T[], membership: (item: T) => Promise<Membership>): Promise<Membership> {
  return negate(await anyOf(items, async (item) => negate(await membership(item))));
}

/**
 * One check: is `subject` in `namespace:object#relation`? Subject sets are followed depth-first with
 * a visited set (cycles terminate), OPL rules are evaluated on their AST, and the depth limit counts
 * tuple hops: max-depth 1 finds only direct tuples, each subject set or traverse hop costs one more.
 * Computed relations of the same object (`this.permits.x`, `this.related.y.includes`) cost no depth.
 */
class CheckRun {
  private nodes = 0;
  private rows = 0;
  private readonly memo = new Map<string, { result: Membership; depth: number }>();
  private readonly active = new Set<string>();

  constructor(
    private readonly store: TupleStore,
    private readonly model: PermissionModel,
    private readonly subject: Subject,
    private readonly limits: EngineLimits,
    /** The key of a node already known not to hold the subject directly (the caller looked it up). */
    private knownIndirect: string | null = null,
  ) {}

  async isMember(namespace: string, object: string, relation: string, depth: number): Promise<Membership> {
    if (depth <= 0) return UNKNOWN;
    // NUL is refused in every input, so it separates the parts unambiguously.
    const key = `${namespace}\u0000${object}\u0000${relation}`;
    const seen = this.memo.get(key);
    if (seen && (seen.depth === depth || (seen.result === MEMBER && seen.depth <= depth) || (seen.result === NOT && seen.depth >= depth))) return seen.result;
    if (this.active.has(key)) return NOT; // a cycle: this path adds nothing new
    if (++this.nodes > this.limits.maxNodes) return UNKNOWN;
    const ns = this.model.namespaces.get(namespace);
    if (!ns) return NOT;
    this.active.add(key);
    try {
      const rule = ns.permits.get(relation);
      const result = rule ? await this.evaluate(rule, namespace, object, depth) : await this.related(namespace, object, relation, depth);
      this.memo.set(key, { result, depth });
      return result;
    } finally {
      this.active.delete(key);
    }
  }

  /**
   * A stored relation: the direct tuple, else the subject sets it holds, one hop deeper each. The
   * subject-set graph is walked breadth-first, one level per pair of queries whatever its fan-out;
   * sets naming an OPL permission are evaluated by their rule.
   */
  private async related(namespace: string, object: string, relation: string, depth: number): Promise<Membership> {
    const rootKey = `${namespace}\u0000${object}\u0000${relation}`;
    const visited = new Set<string>([rootKey]);
    let frontier: SubjectSet[] = [{ namespace, object, relation }];
    let result: Membership = NOT;
    // The caller's direct lookup of this very node came back empty: do not run it again.
    let skipDirect = this.knownIndirect === rootKey;
    if (skipDirect) this.knownIndirect = null;
    for (let remaining = depth; frontier.length > 0; remaining--) {
      if (remaining <= 0) return UNKNOWN;
      if (this.nodes > this.limits.maxNodes) return UNKNOWN;
      const sets = await this.level(frontier, skipDirect, remaining === depth);
      skipDirect = false;
      if (sets === MEMBER) return MEMBER;
      if (sets === null) return UNKNOWN;
      const next: SubjectSet[] = [];
      for (const s of sets) {
        // `User:alice` (empty relation) names an object, not a set of subjects: nothing to expand.
        if (s.relation === '') continue;
        const key = `${s.namespace}\u0000${s.object}\u0000${s.relation}`;
        if (visited.has(key) || this.active.has(key)) continue; // cycles add nothing new
        visited.add(key);
        const ns = this.model.namespaces.get(s.namespace);
        if (!ns) continue;
        if (ns.permits.has(s.relation)) {
          const r = await this.isMember(s.namespace, s.object, s.relation, remaining - 1);
          if (r === MEMBER) return MEMBER;
          if (r === UNKNOWN) result = UNKNOWN;
        } else {
          next.push(s);
          this.nodes++;
        }
      }
      frontier = next;
    }
    return result;
  }

  /**
   * One level of the walk: MEMBER when a node of `nodes` holds the subject directly (unless
   * `skipDirect`: the caller already knows it does not), else their subject sets, or null when the
   * row budget is spent. Below the first level, a single node is one statement holding both index
   * lookups (the sets part is skipped when the direct one hits): fewer round trips down a chain.
   * The first level (most often a direct hit) and several nodes are two queries, the direct
   * lookup first, as an OR-ed probe of both would be slower on both dialects.
   */
  private async level(nodes: SubjectSet[], skipDirect: boolean, first: boolean): Promise<SubjectSet[] | null | typeof MEMBER> {
    const budget = this.limits.maxRows - this.rows;
    if (nodes.length === 1 && !skipDirect && !first && budget > 0) {
      const probe = await this.store.probe(nodes[0], this.subject, budget + 1);
      if (probe === 'member') return MEMBER;
      this.rows += probe.length;
      return probe.length > budget ? null : probe;
    }
    if (!skipDirect && (await this.store.anyContains(nodes, this.subject))) return MEMBER;
    return this.subjectSetsOf(nodes);
  }

  /** The subject sets under `nodes`, or null when the row budget is spent. */
  private async subjectSetsOf(nodes: SubjectSet[]): Promise<SubjectSet[] | null> {
    const budget = this.limits.maxRows - this.rows;
    if (budget <= 0) return null;
    const sets = await this.store.subjectSetsOf(nodes, budget + 1);
    this.rows += sets.length;
    return sets.length > budget ? null : sets;
  }

  /** The subject sets of a node, or null when the row budget is spent. */
  private async subjectSets(namespace: string, object: string, relation: string): Promise<SubjectSet[] | null> {
    return this.subjectSetsOf([{ namespace, object, relation }]);
  }

  private async evaluate(rule: Rewrite, namespace: string, object: string, depth: number): Promise<Membership> {
    const evaluate = (c: Rewrite) => this.evaluate(c, namespace, object, depth);
    switch (rule.op) {
      case 'or':
        return anyOf(rule.children, evaluate);
      case 'and':
        return allOf(rule.children, evaluate);
      case 'not':
        return negate(await evaluate(rule.child));
      case 'computed':
        return this.isMember(namespace, object, rule.relation, depth);
      case 'traverse': {
        const sets = await this.subjectSets(namespace, object, rule.relation);
        if (sets === null) return UNKNOWN;
        return anyOf(sets, (s) => this.isMember(s.namespace, s.object, rule.computed, depth - 1));
      }
    }
  }
}

/**
 * True when `subject` is in `namespace:object#relation` within `depth` hops. `directChecked` says
 * the caller has just looked up the tuple itself and not found it, so the walk starts at the
 * root's subject sets instead of repeating that lookup.
 */
export async function checkMembership(
  store: TupleStore,
  model: PermissionModel,
  tuple: { namespace: string; object: string; relation: string; subject: Subject },
  depth: number,
  limits: EngineLimits = DEFAULT_LIMITS,
  directChecked = false,
): Promise<boolean> {
  const root = directChecked ? `${tuple.namespace}\u0000${tuple.object}\u0000${tuple.relation}` : null;
  const run = new CheckRun(store, model, tuple.subject, limits, root);
  return (await run.isMember(tuple.namespace, tuple.object, tuple.relation, depth)) === MEMBER;
}

/** Keto's `ExpandedPermissionTree`. */
export interface ExpandTree {
  type: 'union' | 'leaf';
  tuple: RelationshipJson;
  children?: ExpandTree[];
}

export interface ExpandLimits {
  maxNodes: number;
  maxSubjects: number;
}

export const DEFAULT_EXPAND_LIMITS: ExpandLimits = { maxNodes: 500, maxSubjects: 10_000 };

/**
 * The subject tree of `namespace:object#relation`: every stored subject, with subject sets expanded
 * recursively up to `depth` levels (a set already on the path, or beyond the depth, stays a leaf).
 * Returns null when the root has no tuples. Stored tuples only: OPL rules are not expanded.
 */
export async function expandTree(
  store: TupleStore,
  root: SubjectSet,
  depth: number,
  limits: ExpandLimits = DEFAULT_EXPAND_LIMITS,
): Promise<ExpandTree | null> {
  let nodes = 0;
  let subjectsRead = 0;
  const path = new Set<string>();
  const setTuple = (s: SubjectSet): RelationshipJson => ({ namespace: s.namespace, object: s.object, relation: s.relation, subject_set: { ...s } });

  async function build(set: SubjectSet, remaining: number): Promise<ExpandTree | null> {
    const key = `${set.namespace}\u0000${set.object}\u0000${set.relation}`;
    if (remaining <= 0 || path.has(key) || nodes >= limits.maxNodes || subjectsRead >= limits.maxSubjects) return null;
    nodes++;
    const subjects = await store.subjects(set.namespace, set.object, set.relation, limits.maxSubjects - subjectsRead);
    subjectsRead += subjects.length;
    if (subjects.length === 0) return null;
    path.add(key);
    const children: ExpandTree[] = [];
    for (const s of subjects) {
      if (s.set) {
        const sub = s.set.relation === '' ? null : await build(s.set, remaining - 1);
        children.push(sub ?? { type: 'leaf', tuple: setTuple(s.set) });
      } else {
        children.push({ type: 'leaf', tuple: { namespace: set.namespace, object: set.object, relation: set.relation, subject_id: s.id } });
      }
    }
    path.delete(key);
    return { type: 'union', tuple: setTuple(set), children };
  }

  return build(root, depth);
}
