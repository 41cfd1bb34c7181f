import { randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import jsonPatch from 'fast-json-patch';
import { badRequest } from '../platform/errors/errors.js';
import { parseDurationMs } from './duration.js';
import type { Session } from './models.js';

/**
 * Session tokenization (`GET /sessions/whoami?tokenize_as=NAME`): the session as a short-lived JWT a
 * backend verifies against the project's JWKS instead of calling whoami. Templates live in the
 * project's `session.whoami.tokenizer.templates.NAME`:
 *
 * - `ttl`: the token's lifetime (a duration, default `1m`, as Kratos);
 * - `subject_source`: `id` (default) or `external_id`, what `sub` holds;
 * - `claims`: extra claims, each either a value or `{ "from": "/json/pointer" }` into the session
 *   as whoami returns it (`/identity/traits/email`, `/authenticator_assurance_level`, …).
 *
 * Kratos maps claims with a Jsonnet snippet (`claims_mapper_url`) and signs with a JWKS it is given
 * (`jwks_url`); Gatehouse signs with the project's own key set `gatehouse.session.tokenizer` (made on
 * first use, rotated with the JWK admin API, published at `/.well-known/jwks.json`) and maps claims
 * declaratively, so the config check refuses those two keys with a message saying so.
 */

export interface TokenizerTemplate {
  ttlMs: number;
  subjectSource: 'id' | 'external_id';
  claims: Record<string, unknown>;
}

/** Claims the tokenizer sets itself; a template cannot name them. */
export const RESERVED_CLAIMS = ['iss', 'sub', 'exp', 'nbf', 'iat', 'jti', 'sid'] as const;

const DEFAULT_TTL_MS = 60_000;
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const templatesOf = (identityConfig: unknown) => obj(obj(obj(obj(obj(identityConfig).session).whoami).tokenizer).templates);

/** The named template of a project's identity config, or undefined when there is none. */
export function tokenizerTemplate(identityConfig: unknown, name: string): TokenizerTemplate | undefined {
  const templates = templatesOf(identityConfig);
  if (!Object.hasOwn(templates, name)) return undefined;
  const t = obj(templates[name]);
  return {
    ttlMs: parseDurationMs(t.ttl, DEFAULT_TTL_MS),
    subjectSource: t.subject_source === 'external_id' ? 'external_id' : 'id',
    claims: obj(t.claims),
  };
}

/** What is wrong with a config's tokenizer templates beyond their types, or null. */
export function tokenizerConfigProblem(identityConfig: unknown): string | null {
  for (const [name, raw] of Object.entries(templatesOf(identityConfig))) {
    const at = `services.identity.config.session.whoami.tokenizer.templates.${name}`;
    const t = obj(raw);
    if (t.claims_mapper_url !== undefined) return `${at}.claims_mapper_url: Gatehouse does not run Jsonnet claims mappers; map claims with "claims" ({"email": {"from": "/identity/traits/email"}}).`;
    if (t.jwks_url !== undefined) return `${at}.jwks_url: Gatehouse signs session tokens with the project's key set "gatehouse.session.tokenizer" (managed with the JWK admin API); remove jwks_url.`;
    for (const claim of Object.keys(obj(t.claims))) {
      if ((RESERVED_CLAIMS as readonly string[]).includes(claim)) return `${at}.claims.${claim}: the tokenizer sets "${claim}" itself; it cannot be mapped.`;
    }
  }
  return null;
}

export interface TokenSigningKey {
  kid: string;
  alg: string;
  key: KeyObject | Uint8Array;
}

export class SessionTokenizer {
  constructor(
    private readonly d: {
      /** The project's newest tokenizer signing key (made on first use). */
      signingKey: (projectId: string) => Promise<TokenSigningKey>;
      now?: () => number;
    },
  ) {}

  /** Signs `session` as a JWT by `template`, issued by `issuer`. */
  async tokenize(projectId: string, issuer: string, session: Session, template: TokenizerTemplate): Promise<string> {
    const identity = session.identity;
    const sub = template.subjectSource === 'external_id' ? identity?.external_id : identity?.id;
    if (!sub) throw badRequest("The session's identity does not have an external ID set, but it is required for the subject claim.");
    const claims: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(template.claims)) {
      const from = obj(spec).from;
      const value = typeof from === 'string' ? pointer(session, from) : spec;
      if (value !== undefined) claims[name] = value;
    }
    const now = Math.floor((this.d.now?.() ?? Date.now()) / 1000);
    const key = await this.d.signingKey(projectId);
    return new SignJWT({ ...claims, sid: session.id })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .setJti(randomUUID())
      .setIssuer(issuer)
      .setSubject(sub)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + Math.max(1, Math.round(template.ttlMs / 1000)))
      .sign(key.key);
  }
}

/** The value at an RFC 6901 pointer, or undefined where the session has none. */
function pointer(session: Session, path: string): unknown {
  if (path !== '' && !path.startsWith('/')) return undefined;
  try {
    return jsonPatch.getValueByPointer(session, path);
  } catch {
    return undefined;
  }
}
