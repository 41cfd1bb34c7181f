import { parseDurationMs } from './duration.js';

/** One entry of `identity.schemas`: an id and where its JSON Schema comes from (`url` or inline `schema`). */
export interface IdentitySchemaEntry {
  id: string;
  url?: unknown;
  schema?: unknown;
}

/**
 * The parts of a project's identity config (Kratos-style `services.identity.config`) that the
 * identity domain reads, with Kratos's defaults applied. Self-service flows read theirs apart
 * (`selfservice/config.ts`).
 */
export interface IdentityConfig {
  /** `identity.default_schema_id` when it is a non-empty string. */
  defaultSchemaId: string | null;
  /**
   * `identity.schemas`, keeping only entries with a non-empty string id; null when the config has no
   * list at all (then the built-in `preset://email` is the one schema).
   */
  schemas: IdentitySchemaEntry[] | null;
  /** `session.lifespan` (default 72h) and `session.earliest_possible_extend` (default: the lifespan). */
  session: { lifespanMs: number; earliestPossibleExtendMs: number };
  /** `selfservice.methods.password.config`: `min_password_length` (default 8), `identifier_similarity_check_enabled` (default on). */
  password: { minLength: number; identifierSimilarityCheck: boolean };
}

const DEFAULT_SESSION_LIFESPAN_MS = 72 * 3600_000;
const DEFAULT_MIN_PASSWORD_LENGTH = 8;

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/**
 * Reads the identity config from a project's raw `services.identity.config` (any value). Missing or
 * malformed values fall back to the defaults; it never throws, so a bad config cannot crash a request.
 */
export function readIdentityConfig(raw: unknown): IdentityConfig {
  const c = obj(raw);
  const identity = obj(c.identity);
  const session = obj(c.session);
  const password = obj(obj(obj(obj(c.selfservice).methods).password).config);
  const list = identity.schemas;
  const lifespanMs = parseDurationMs(session.lifespan, DEFAULT_SESSION_LIFESPAN_MS);
  const min = password.min_password_length;
  return {
    defaultSchemaId: typeof identity.default_schema_id === 'string' && identity.default_schema_id ? identity.default_schema_id : null,
    schemas: Array.isArray(list)
      ? list.filter((e): e is IdentitySchemaEntry => !!e && typeof e === 'object' && typeof (e as { id?: unknown }).id === 'string' && (e as { id: string }).id.length > 0)
      : null,
    session: { lifespanMs, earliestPossibleExtendMs: parseDurationMs(session.earliest_possible_extend, lifespanMs) },
    password: {
      minLength: typeof min === 'number' && Number.isInteger(min) && min > 0 ? min : DEFAULT_MIN_PASSWORD_LENGTH,
      identifierSimilarityCheck: password.identifier_similarity_check_enabled !== false,
    },
  };
}
