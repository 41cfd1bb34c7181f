/**
 * The part of a project's `services.permission.config` the permission plane reads:
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
 * When both are present, a non-empty `opl` string wins over `namespaces`.
 */
export interface PermissionConfig {
  namespaces: NamespaceSource;
  /** Global depth limit for check and expand (the request's max-depth may only lower it). */
  maxReadDepth: number;
  maxBatchCheckSize: number;
}

/** Where the namespaces come from. */
export type NamespaceSource =
  | { kind: 'opl'; source: string }
  /** A `namespaces` object that is not a base64 location: the config cannot be used. */
  | { kind: 'invalid'; problem: string }
  /** The legacy list (possibly empty): namespaces that accept any relation. */
  | { kind: 'list'; names: string[] };

export const DEFAULT_MAX_READ_DEPTH = 5;
/** No configuration may raise the depth limit above this. */
export const MAX_READ_DEPTH_CEILING = 32;
export const DEFAULT_BATCH_CHECK_SIZE = 10;
export const MAX_BATCH_CHECK_SIZE = 1000;

const BASE64 = 'base64://';

type Loose = Record<string, unknown>;
const objectOr = (v: unknown): Loose => (v && typeof v === 'object' ? (v as Loose) : {});

function clampInt(v: unknown, fallback: number, min: number, max: number): number {
  return typeof v === 'number' && Number.isInteger(v) ? Math.min(max, Math.max(min, v)) : fallback;
}

function namespaceSource(c: Loose): NamespaceSource {
  if (typeof c.opl === 'string' && c.opl.trim() !== '') return { kind: 'opl', source: c.opl };
  const ns = c.namespaces;
  if (Array.isArray(ns)) {
    const names: string[] = [];
    for (const n of ns) {
      const name = typeof n === 'string' ? n : typeof objectOr(n).name === 'string' ? (objectOr(n).name as string) : null;
      if (name) names.push(name);
    }
    return { kind: 'list', names };
  }
  if (ns && typeof ns === 'object') {
    const location = objectOr(ns).location;
    if (typeof location === 'string' && location.startsWith(BASE64)) {
      return { kind: 'opl', source: Buffer.from(location.slice(BASE64.length), 'base64').toString('utf8') };
    }
    return { kind: 'invalid', problem: 'services.permission.config.namespaces.location must be a base64:// URL holding the OPL source.' };
  }
  return { kind: 'list', names: [] };
}

/**
 * Reads a project's permission config. Never throws: missing or malformed values fall back to the
 * defaults (limits out of range are clamped), entries of a namespace list without a name are skipped.
 */
export function readPermissionConfig(config: unknown): PermissionConfig {
  const c = objectOr(config);
  return {
    namespaces: namespaceSource(c),
    maxReadDepth: clampInt(objectOr(c.limit).max_read_depth, DEFAULT_MAX_READ_DEPTH, 1, MAX_READ_DEPTH_CEILING),
    maxBatchCheckSize: clampInt(objectOr(c.batch_check).max_batch_size, DEFAULT_BATCH_CHECK_SIZE, 1, MAX_BATCH_CHECK_SIZE),
  };
}
