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
  /**
   * The second factors switched on (`selfservice.methods.{totp,lookup_secret,webauthn}.enabled`,
   * default off). WebAuthn counts only as a second factor (`webauthn.config.passwordless` is off).
   */
  secondFactors: { totp: boolean; lookup_secret: boolean; webauthn: boolean };
  /** Passkeys (`selfservice.methods.passkey.enabled`, default off): a first factor. */
  passkey: boolean;
  /**
   * The AAL a session needs, Kratos's `session.whoami.required_aal` and
   * `selfservice.flows.settings.required_aal`: `highest_available` (the default: aal2 once the
   * identity has a second factor that is switched on) or `aal1`.
   */
  requiredAal: { whoami: RequiredAal; settings: RequiredAal };
}

export type RequiredAal = 'highest_available' | 'aal1';
const requiredAal = (v: unknown): RequiredAal => (v === 'aal1' ? 'aal1' : 'highest_available');

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
  const selfservice = obj(c.selfservice);
  const methods = obj(selfservice.methods);
  const password = obj(obj(methods.password).config);
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
    secondFactors: {
      totp: obj(methods.totp).enabled === true,
      lookup_secret: obj(methods.lookup_secret).enabled === true,
      webauthn: obj(methods.webauthn).enabled === true && obj(obj(methods.webauthn).config).passwordless !== true,
    },
    passkey: obj(methods.passkey).enabled === true,
    requiredAal: { whoami: requiredAal(obj(session.whoami).required_aal), settings: requiredAal(obj(obj(obj(selfservice.flows).settings)).required_aal) },
  };
}
