import { parseGoDuration } from '../platform/duration.js';

/**
 * The part of a project's `services.oauth2.config` (Hydra's configuration) that the OAuth2 plane reads,
 * already parsed: durations in milliseconds with their defaults applied, URLs as strings or undefined.
 */
export interface OAuth2Config {
  ttl: {
    accessTokenMs: number;
    refreshTokenMs: number;
    idTokenMs: number;
    authCodeMs: number;
    /** How long a login, consent or logout request (and a device verification) stays usable. */
    loginConsentRequestMs: number;
    deviceUserCodeMs: number;
  };
  urls: {
    /** The issuer configured in `urls.self.issuer`, without trailing slashes (only an http(s) URL counts). */
    selfIssuer?: string;
    login?: string;
    consent?: string;
    logout?: string;
    error?: string;
    postLogoutRedirect?: string;
    deviceVerification?: string;
    deviceSuccess?: string;
  };
  /** `strategies.access_token`: the default for clients that do not set their own. */
  accessTokenStrategy: 'jwt' | 'opaque';
  pkce: {
    /** `oauth2.pkce.enforced_for_public_clients`: anything but `false` enforces it. */
    enforcedForPublicClients: boolean;
    /** `oauth2.pkce.enforced`: only `true` enforces it. */
    enforced: boolean;
  };
  jwtGrant: {
    /** `oauth2.grant.jwt.max_ttl`: how far in the future an assertion may expire. */
    maxTtlMs: number;
    iatOptional: boolean;
    jtiOptional: boolean;
  };
  /** `oauth2.device_authorization.token_polling_interval`, in whole seconds (at least 1). */
  devicePollingIntervalS: number;
}

/** The token lifespans of a kind (`ttl.{access_token,refresh_token,id_token}`). */
export type TokenKind = 'access_token' | 'refresh_token' | 'id_token';

export const tokenTtlMs = (config: OAuth2Config, kind: TokenKind): number =>
  kind === 'access_token' ? config.ttl.accessTokenMs : kind === 'refresh_token' ? config.ttl.refreshTokenMs : config.ttl.idTokenMs;

const HOUR = 3_600_000;

/** A duration from project config, falling back to `fallbackMs` when missing, malformed or not positive. */
export const configDuration = (s: unknown, fallbackMs: number): number => {
  const ms = parseGoDuration(s);
  return ms !== null && ms > 0 ? ms : fallbackMs;
};

type Loose = Record<string, unknown>;
const section = (v: unknown): Loose => (v && typeof v === 'object' ? (v as Loose) : {});
const text = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

const parsed = new WeakMap<object, OAuth2Config>();

/**
 * Reads the OAuth2 plane's config from a project's `services.oauth2.config`. Missing or malformed
 * values fall back to Hydra's defaults, so a bad config never turns a request into a 500. The result
 * is cached per config object (a resolved project's config is replaced, never mutated, on a write).
 */
export function readOAuth2Config(raw: unknown): OAuth2Config {
  const key = raw && typeof raw === 'object' ? raw : null;
  const hit = key ? parsed.get(key) : undefined;
  if (hit) return hit;
  const c = section(raw);
  const ttl = section(c.ttl);
  const urls = section(c.urls);
  const device = section(urls.device);
  const hydra = section(c.oauth2);
  const pkce = section(hydra.pkce);
  const jwt = section(section(hydra.grant).jwt);
  const issuer = section(urls.self).issuer;
  const strategy = section(c.strategies).access_token;
  const out: OAuth2Config = {
    ttl: {
      accessTokenMs: configDuration(ttl.access_token, HOUR),
      refreshTokenMs: configDuration(ttl.refresh_token, 720 * HOUR),
      idTokenMs: configDuration(ttl.id_token, HOUR),
      authCodeMs: configDuration(ttl.auth_code, 10 * 60_000),
      loginConsentRequestMs: configDuration(ttl.login_consent_request, 30 * 60_000),
      deviceUserCodeMs: configDuration(ttl.device_user_code, 10 * 60_000),
    },
    urls: {
      selfIssuer: typeof issuer === 'string' && /^https?:\/\//.test(issuer) ? issuer.replace(/\/+$/, '') : undefined,
      login: text(urls.login),
      consent: text(urls.consent),
      logout: text(urls.logout),
      error: text(urls.error),
      postLogoutRedirect: text(urls.post_logout_redirect),
      deviceVerification: text(device.verification),
      deviceSuccess: text(device.success),
    },
    accessTokenStrategy: strategy === 'jwt' ? 'jwt' : 'opaque',
    pkce: { enforcedForPublicClients: pkce.enforced_for_public_clients !== false, enforced: pkce.enforced === true },
    jwtGrant: { maxTtlMs: configDuration(jwt.max_ttl, 720 * HOUR), iatOptional: jwt.iat_optional === true, jtiOptional: jwt.jti_optional === true },
    devicePollingIntervalS: Math.max(1, Math.round(configDuration(section(hydra.device_authorization).token_polling_interval, 5_000) / 1000)),
  };
  if (key) parsed.set(key, out);
  return out;
}
