import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { parseOpl, type NamespaceDecl, type OplError, type Rewrite } from './opl.js';

/**
 * A project's permission model, compiled from `services.permission.config`:
 *
 * ```json
 * {
 *   "namespaces": [{"id": 0, "name": "Document"}]          // legacy list: any relation, no rules
 *              | {"location": "base64://<OPL source>"},    // Ory Network's form of an OPL file
 *   "opl": "class Document implements Namespace { ... }",  // Gatehouse's plain-text form of the same
 *   "limit": {"max_read_depth": 5},
 *   "batch_check": {"max_batch_size": 10}
 * }
 * ```
 *
 * When both are present, a non-empty `opl` string wins over `namespaces`. Namespaces declared in
 * OPL know their relations (`related`) and rules (`permits`); legacy namespaces accept any relation.
 */
export interface PermissionModel {
  namespaces: Map<string, NamespaceModel>;
  /** Global depth limit for check and expand (the request's max-depth may only lower it). */
  maxReadDepth: number;
  maxBatchCheckSize: number;
  /** Errors in the configured OPL; when non-empty, the namespaces that did parse are not trusted. */
  configErrors: OplError[];
}

export interface NamespaceModel {
  name: string;
  /** False for legacy `{id, name}` namespaces: every relation name is accepted and none is computed. */
  typed: boolean;
  relations: Set<string>;
  permits: Map<string, Rewrite>;
}

export const DEFAULT_MAX_READ_DEPTH = 5;
/** No configuration may raise the depth limit above this. */
export const MAX_READ_DEPTH_CEILING = 32;
export const DEFAULT_BATCH_CHECK_SIZE = 10;
export const MAX_BATCH_CHECK_SIZE = 1000;

function clampInt(v: unknown, fallback: number, min: number, max: number): number {
  return typeof v === 'number' && Number.isInteger(v) ? Math.min(max, Math.max(min, v)) : fallback;
}

function oplSource(config: Record<string, any>): { source: string } | { error: string } | null {
  if (typeof config.opl === 'string' && config.opl.trim() !== '') return { source: config.opl };
  const ns = config.namespaces;
  if (ns && typeof ns === 'object' && !Array.isArray(ns)) {
    const location = typeof ns.location === 'string' ? ns.location : '';
    if (location.startsWith('base64://')) {
      return { source: Buffer.from(location.slice('base64://'.length), 'base64').toString('utf8') };
    }
    return { error: 'services.permission.config.namespaces.location must be a base64:// URL holding the OPL source.' };
  }
  return null;
}

/** Compiles a permission config; never throws (problems are reported in `configErrors`). */
export function compileModel(config: Record<string, any>): PermissionModel {
  const limit = config?.limit && typeof config.limit === 'object' ? config.limit : {};
  const batch = config?.batch_check && typeof config.batch_check === 'object' ? config.batch_check : {};
  const model: PermissionModel = {
    namespaces: new Map(),
    maxReadDepth: clampInt(limit.max_read_depth, DEFAULT_MAX_READ_DEPTH, 1, MAX_READ_DEPTH_CEILING),
    maxBatchCheckSize: clampInt(batch.max_batch_size, DEFAULT_BATCH_CHECK_SIZE, 1, MAX_BATCH_CHECK_SIZE),
    configErrors: [],
  };
  const opl = oplSource(config ?? {});
  if (opl && 'error' in opl) {
    model.configErrors.push({ message: opl.error, start: { Line: 0, column: 0 }, end: { Line: 0, column: 0 } });
    return model;
  }
  if (opl) {
    const parsed = parseOpl(opl.source);
    model.configErrors = parsed.errors;
    if (parsed.errors.length === 0) {
      for (const ns of parsed.namespaces) model.namespaces.set(ns.name, fromDecl(ns));
    }
    return model;
  }
  if (Array.isArray(config?.namespaces)) {
    for (const ns of config.namespaces) {
      const name = typeof ns === 'string' ? ns : ns && typeof ns.name === 'string' ? ns.name : null;
      if (name) model.namespaces.set(name, { name, typed: false, relations: new Set(), permits: new Map() });
    }
  }
  return model;
}

function fromDecl(ns: NamespaceDecl): NamespaceModel {
  return { name: ns.name, typed: true, relations: new Set(ns.relations.keys()), permits: ns.permits };
}

/**
 * Compiled models, cached by the content hash of the config (bounded), and by the config object's
 * identity in front of that (the project resolver hands out the same object until the config
 * changes), so a config change takes effect on the next request without reparsing every request.
 */
export class ModelCache {
  private readonly byContent = new LRUCache<string, PermissionModel>({ max: 500 });
  private readonly byObject = new WeakMap<object, PermissionModel>();

  get(config: Record<string, any>): PermissionModel {
    const hit = this.byObject.get(config);
    if (hit) return hit;
    const hash = createHash('sha256').update(JSON.stringify(config ?? {})).digest('base64url');
    let model = this.byContent.get(hash);
    if (!model) {
      model = compileModel(config);
      this.byContent.set(hash, model);
    }
    if (config && typeof config === 'object') this.byObject.set(config, model);
    return model;
  }
}
