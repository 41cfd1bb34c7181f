import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { parseOpl, type NamespaceDecl, type OplError, type Rewrite } from './opl.js';
import { readPermissionConfig } from './config.js';

/**
 * A project's permission model, compiled from `services.permission.config` (see `PermissionConfig`).
 * Namespaces declared in OPL know their relations (`related`) and rules (`permits`); legacy
 * namespaces accept any relation.
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

/** Compiles a permission config; never throws (problems are reported in `configErrors`). */
export function compileModel(config: unknown): PermissionModel {
  const { namespaces, maxReadDepth, maxBatchCheckSize } = readPermissionConfig(config);
  const model: PermissionModel = { namespaces: new Map(), maxReadDepth, maxBatchCheckSize, configErrors: [] };
  switch (namespaces.kind) {
    case 'invalid':
      model.configErrors.push({ message: namespaces.problem, start: { Line: 0, column: 0 }, end: { Line: 0, column: 0 } });
      break;
    case 'opl': {
      const parsed = parseOpl(namespaces.source);
      model.configErrors = parsed.errors;
      if (parsed.errors.length === 0) {
        for (const ns of parsed.namespaces) model.namespaces.set(ns.name, fromDecl(ns));
      }
      break;
    }
    case 'list':
      for (const name of namespaces.names) model.namespaces.set(name, { name, typed: false, relations: new Set(), permits: new Map() });
      break;
  }
  return model;
}

/**
 * What is wrong with a permission config that is about to be stored, in words for the management
 * API's 400, or null when nothing is.
 */
export function permissionConfigProblem(config: unknown): string | null {
  const e = compileModel(config).configErrors[0];
  if (!e) return null;
  return e.start.Line > 0 ? `services.permission.config: the OPL does not parse (${e.start.Line}:${e.start.column}: ${e.message}).` : `${e.message}`;
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

  get(config: unknown): PermissionModel {
    const hit = config && typeof config === 'object' ? this.byObject.get(config) : undefined;
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
