import type { ResolvedProject } from '../tenancy/project-resolver.js';
import { parseDurationMs } from '../identity/duration.js';
import { readIdentityConfig } from '../identity/identity-config.js';

/**
 * The parts of a project's identity config (Kratos-style `services.identity.config`) the self-service
 * flows read, with Kratos's defaults. Read per request from the resolved project, so a config change
 * takes effect on the next request. Malformed values fall back to the default, never throw.
 */
export interface FlowConfig {
  passwordEnabled: boolean;
  codeEnabled: boolean;
  minPasswordLength: number;
  registrationEnabled: boolean;
  recoveryEnabled: boolean;
  verificationEnabled: boolean;
  lifespanMs: Record<'login' | 'registration' | 'settings' | 'recovery' | 'verification', number>;
  privilegedSessionMaxAgeMs: number;
  sessionLifespanMs: number;
  cookiePersistent: boolean;
  cookieSameSite: 'Lax' | 'Strict' | 'None';
  defaultReturnUrl: string;
  allowedReturnUrls: string[];
  uiUrl: Record<'login' | 'registration' | 'settings' | 'recovery' | 'verification' | 'error', string | null>;
  afterReturnUrl: Record<'login' | 'registration' | 'settings' | 'recovery' | 'verification' | 'logout', string | null>;
  /**
   * Brute-force protection (`security.brute_force` of the identity config): failed password logins per
   * identifier and per client address, and codes sent per recipient, within a sliding `window`.
   */
  bruteForce: { windowMs: number; maxPerIdentifier: number; maxPerAddress: number; maxCodesPerRecipient: number };
  /** Wrong codes accepted per code before it is burnt. */
  maxCodeAttempts: number;
  /** Second factors switched on (`selfservice.methods.{totp,lookup_secret}.enabled`). */
  totpEnabled: boolean;
  lookupEnabled: boolean;
  /** `selfservice.methods.totp.config.issuer`: the name authenticator apps show (default: the project's name). */
  totpIssuer: string;
  /** Security keys as a second factor (`selfservice.methods.webauthn`, with `passwordless` off). */
  webauthnEnabled: boolean;
  /** Passkeys as a first factor (`selfservice.methods.passkey`). */
  passkeyEnabled: boolean;
  /** The relying parties as configured (`methods.{webauthn,passkey}.config.rp`); unset parts default per request. */
  rp: Record<'webauthn' | 'passkey', ConfiguredRp>;
}

/** `config.rp` of a WebAuthn method: `id`, `display_name`, `origins` (or Kratos's older single `origin`). */
export interface ConfiguredRp {
  id: string | null;
  displayName: string | null;
  origins: string[] | null;
}

type ConfigObject = Record<string, unknown>;
const obj = (v: unknown): ConfigObject => (v && typeof v === 'object' && !Array.isArray(v) ? (v as ConfigObject) : {});
const bool = (v: unknown, d: boolean) => (typeof v === 'boolean' ? v : d);
const int = (v: unknown, d: number, min = 0, max = 1_000_000) => (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : d);
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 && v.length <= 2048 ? v : null);
/** A configured redirect target: unusable ones (control characters cannot go into a Location header) count as unset. */
const url = (v: unknown): string | null => {
  const s = str(v);
  return s && !/[\u0000-\u001f\u007f]/.test(s) ? s : null;
};
const SAME_SITE = ['Lax', 'Strict', 'None'] as const;
const sameSite = (v: unknown): FlowConfig['cookieSameSite'] => SAME_SITE.find((s) => s === v) ?? 'Lax';

function relyingParty(v: unknown): ConfiguredRp {
  const rp = obj(v);
  const origins = Array.isArray(rp.origins) ? rp.origins.filter((o: unknown): o is string => typeof o === 'string' && o.length > 0) : typeof rp.origin === 'string' && rp.origin ? [rp.origin] : [];
  return { id: str(rp.id), displayName: str(rp.display_name)?.slice(0, 128) ?? null, origins: origins.length ? origins : null };
}

/** The one reader of the flows' config: `project.services.identity.config` as a `FlowConfig`. */
export function flowConfig(project: ResolvedProject): FlowConfig {
  const c = obj(project.services.identity.config);
  const ss = obj(c.selfservice);
  const methods = obj(ss.methods);
  const password = obj(methods.password);
  const code = obj(methods.code);
  const flows = obj(ss.flows);
  const f = (k: string) => obj(flows[k]);
  const session = obj(c.session);
  const cookie = obj(session.cookie);
  const bf = obj(obj(c.security).brute_force);
  const identity = readIdentityConfig(c);
  const lifespan = (k: string) => parseDurationMs(f(k).lifespan, 3_600_000);
  const after = (k: string) => url(obj(f(k).after).default_browser_return_url);
  return {
    passwordEnabled: bool(password.enabled, true),
    codeEnabled: bool(code.enabled, true),
    minPasswordLength: int(obj(password.config).min_password_length, 8, 1, 1024),
    registrationEnabled: bool(f('registration').enabled, true),
    recoveryEnabled: bool(f('recovery').enabled, true),
    verificationEnabled: bool(f('verification').enabled, true),
    lifespanMs: {
      login: lifespan('login'),
      registration: lifespan('registration'),
      settings: lifespan('settings'),
      recovery: lifespan('recovery'),
      verification: lifespan('verification'),
    },
    privilegedSessionMaxAgeMs: parseDurationMs(f('settings').privileged_session_max_age, 15 * 60_000),
    sessionLifespanMs: parseDurationMs(session.lifespan, 72 * 3_600_000),
    cookiePersistent: bool(cookie.persistent, true),
    cookieSameSite: sameSite(cookie.same_site),
    defaultReturnUrl: url(ss.default_browser_return_url) ?? '/',
    allowedReturnUrls: Array.isArray(ss.allowed_return_urls) ? ss.allowed_return_urls.filter((u: unknown): u is string => typeof u === 'string') : [],
    uiUrl: {
      login: url(f('login').ui_url),
      registration: url(f('registration').ui_url),
      settings: url(f('settings').ui_url),
      recovery: url(f('recovery').ui_url),
      verification: url(f('verification').ui_url),
      error: url(f('error').ui_url),
    },
    afterReturnUrl: {
      login: after('login'),
      registration: after('registration'),
      settings: after('settings'),
      recovery: after('recovery'),
      verification: after('verification'),
      logout: after('logout'),
    },
    bruteForce: {
      windowMs: parseDurationMs(bf.window, 5 * 60_000) || 5 * 60_000,
      maxPerIdentifier: int(bf.max_failures_per_identifier, 10, 1),
      maxPerAddress: int(bf.max_failures_per_address, 100, 1),
      maxCodesPerRecipient: int(bf.max_codes_per_recipient, 10, 1),
    },
    maxCodeAttempts: int(obj(code.config).max_attempts, 5, 1, 100),
    totpEnabled: identity.secondFactors.totp,
    lookupEnabled: identity.secondFactors.lookup_secret,
    totpIssuer: str(obj(obj(methods.totp).config).issuer)?.slice(0, 128) ?? project.name,
    webauthnEnabled: identity.secondFactors.webauthn,
    passkeyEnabled: identity.passkey,
    rp: { webauthn: relyingParty(obj(obj(methods.webauthn).config).rp), passkey: relyingParty(obj(obj(methods.passkey).config).rp) },
  };
}
