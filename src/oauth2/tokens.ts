import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { Database } from '../database.js';
import type { OAuth2TokensTable } from './tables.js';
import { newId } from '../platform/ids.js';
import { ACCESS_TOKEN_SET, ID_TOKEN_SET, type JwkService } from './jwks.js';
import type { OAuth2Client } from './clients.js';
import { epoch, parseDuration } from './util.js';
import { randomToken, secretHash } from '../platform/crypto.js';
import { GuardRefused, type ClientFailureLimit } from './client-auth.js';
import { scoped } from '../platform/db/scoped.js';
import { TokenStore, type Scope, type TokenRow } from './token-store.js';
import { tokenTtlMs, type OAuth2Config, type TokenKind } from './config.js';

/** What a grant carries into every token of its chain. */
export interface TokenSession {
  /** Extra claims for the access token (`ext` on introspection, in JWT access tokens). */
  access_token: Record<string, unknown>;
  /** Extra claims for the ID token and /userinfo. */
  id_token: Record<string, unknown>;
  auth_time?: number;
  acr?: string;
  amr?: string[];
  nonce?: string;
  sid?: string;
}

export type GrantType = 'client_credentials' | 'authorization_code' | 'refresh_token' | 'urn:ietf:params:oauth:grant-type:jwt-bearer' | 'urn:ietf:params:oauth:grant-type:device_code';

export interface IssueInput {
  projectId: string;
  oauth2Config: OAuth2Config;
  issuer: string;
  client: OAuth2Client;
  grantType: GrantType;
  subject: string;
  scopes: string[];
  audience: string[];
  session: TokenSession;
  requestId: string;
  withRefresh: boolean;
  withIdToken: boolean;
  /**
   * Write the access token only if the client still exists and its failure count (in `bucket`) is
   * under the limit, read by the insert itself (client_credentials: one statement per issuance).
   * When either does not hold, nothing is written and `GuardRefused` is thrown.
   */
  guard?: { bucket: string };
}

export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
}

export interface Introspection {
  active: boolean;
  scope?: string;
  client_id?: string;
  sub?: string;
  exp?: number;
  iat?: number;
  nbf?: number;
  aud?: string[];
  iss?: string;
  token_type?: string;
  token_use?: string;
  ext?: Record<string, unknown>;
}

/**
 * How often (per project, per node) an issuance also purges its project's long-expired rows. By time,
 * not by a share of issuances: the purge scans the project's rows, so its cost must not grow with load.
 */
const JANITOR_INTERVAL_MS = 10 * 60_000;

const RESERVED_ID_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'nonce', 'at_hash', 'c_hash', 'auth_time', 'rat', 'acr', 'amr', 'sid', 'azp']);

/** Lifespan of a token kind for a grant: the client's override, else the project's ttl config. */
export function lifespanMs(client: OAuth2Client, config: OAuth2Config, grant: GrantType, kind: TokenKind): number {
  const prefix = grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer' ? 'jwt_bearer' : grant === 'urn:ietf:params:oauth:grant-type:device_code' ? 'device_authorization' : grant;
  const override = parseDuration(client[`${prefix}_grant_${kind}_lifespan`]);
  if (override !== null && override > 0) return override;
  return tokenTtlMs(config, kind);
}

type Deps = { db: Kysely<Database>; secret: string; jwks: JwkService; failures: ClientFailureLimit };

/**
 * Issues, introspects and revokes tokens. Every token (opaque or JWT) is recorded by its HMAC with
 * its project (`TokenStore`), so introspection and revocation are one indexed lookup scoped to the
 * project, and a token of one project is unknown in every other.
 */
export class TokenService {
  private readonly store: TokenStore;
  /** Projects whose expired rows this node purged within the janitor interval. */
  private readonly janitorRuns = new LRUCache<string, true>({ max: 10_000, ttl: JANITOR_INTERVAL_MS });

  constructor(private readonly d: Deps) {
    this.store = new TokenStore(d.db, d.failures);
  }

  private scope(projectId: string): Scope {
    return scoped(this.d.db, projectId);
  }

  /** The stored lookup value of a token. */
  hash(token: string): string {
    return secretHash(this.d.secret, 'oauth2-token', token);
  }

  async issue(i: IssueInput): Promise<TokenResponse> {
    const now = new Date();
    const strategy = i.client.access_token_strategy || i.oauth2Config.accessTokenStrategy;
    const accessMs = lifespanMs(i.client, i.oauth2Config, i.grantType, 'access_token');
    const accessExp = new Date(now.getTime() + accessMs);
    let accessToken: string;
    if (strategy === 'jwt') {
      const key = await this.d.jwks.signingKey(i.projectId, ACCESS_TOKEN_SET);
      const claims: Record<string, unknown> = { client_id: i.client.client_id, scp: i.scopes };
      if (Object.keys(i.session.access_token).length) claims.ext = i.session.access_token;
      accessToken = await new SignJWT(claims)
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
        .setIssuer(i.issuer).setSubject(i.subject).setAudience(i.audience)
        .setIssuedAt(epoch(now)).setNotBefore(epoch(now)).setExpirationTime(epoch(accessExp)).setJti(newId())
        .sign(key.key);
    } else {
      accessToken = randomToken('ory_at_');
    }
    const base = {
      request_id: i.requestId, client_id: i.client.client_id, subject: i.subject,
      scope: i.scopes.join(' '), audience: JSON.stringify(i.audience), session: JSON.stringify(i.session),
      issuer: i.issuer, grant_type: i.grantType, created_at: now.toISOString(), revoked_at: null, used_at: null,
    };
    const rows: TokenRow[] = [{ ...base, id: newId(), hash: this.hash(accessToken), kind: 'access_token', expires_at: accessExp.toISOString() }];
    const out: TokenResponse = { access_token: accessToken, expires_in: Math.floor(accessMs / 1000), scope: i.scopes.join(' '), token_type: 'bearer' };
    if (i.withRefresh) {
      const refresh = randomToken('ory_rt_');
      const refreshMs = lifespanMs(i.client, i.oauth2Config, i.grantType, 'refresh_token');
      rows.push({ ...base, id: newId(), hash: this.hash(refresh), kind: 'refresh_token', expires_at: new Date(now.getTime() + refreshMs).toISOString() });
      out.refresh_token = refresh;
    }
    if (i.withIdToken) out.id_token = await this.idToken(i, accessToken, now);
    const p = this.scope(i.projectId);
    if (i.guard && rows.length === 1) {
      if (!(await this.store.insertGuarded(p, rows[0], i.guard.bucket))) throw new GuardRefused();
    } else {
      await this.store.insert(p, rows);
    }
    // Opportunistic janitor (Hydra has a separate one): bounded work, amortized over issuances.
    if (!this.janitorRuns.has(i.projectId)) {
      this.janitorRuns.set(i.projectId, true);
      void this.purgeExpired(i.projectId).catch(() => {});
    }
    return out;
  }

  /**
   * Deletes this project's tokens, flows and sessions that expired (or were revoked) more than a day ago (a used refresh token or
   * code is kept until then so a replay is still recognised and revokes its chain).
   */
  async purgeExpired(projectId: string): Promise<void> {
    await this.store.purgeExpired(this.scope(projectId), new Date(Date.now() - 24 * 3_600_000).toISOString());
  }

  private async idToken(i: IssueInput, accessToken: string, now: Date): Promise<string> {
    const key = await this.d.jwks.signingKey(i.projectId, ID_TOKEN_SET);
    const ms = lifespanMs(i.client, i.oauth2Config, i.grantType, 'id_token');
    const claims: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(i.session.id_token)) if (!RESERVED_ID_CLAIMS.has(k)) claims[k] = v;
    const digest = createHash(key.alg.endsWith('384') ? 'sha384' : key.alg.endsWith('512') ? 'sha512' : 'sha256').update(accessToken).digest();
    claims.at_hash = digest.subarray(0, digest.length / 2).toString('base64url');
    claims.rat = epoch(now);
    claims.auth_time = i.session.auth_time ?? epoch(now);
    if (i.session.nonce && i.grantType === 'authorization_code') claims.nonce = i.session.nonce;
    if (i.session.acr) claims.acr = i.session.acr;
    if (i.session.amr?.length) claims.amr = i.session.amr;
    if (i.session.sid) claims.sid = i.session.sid;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .setIssuer(i.issuer).setSubject(i.subject).setAudience([i.client.client_id])
      .setIssuedAt(epoch(now)).setExpirationTime(epoch(new Date(now.getTime() + ms))).setJti(newId())
      .sign(key.key);
  }

  /** The live row behind a token of this project, or null (unknown, expired, revoked, used refresh token). */
  async active(projectId: string, token: string): Promise<OAuth2TokensTable | null> {
    if (token.length === 0 || token.length > 8192) return null;
    const row = await this.store.byHash(this.scope(projectId), this.hash(token));
    if (!row || row.revoked_at || row.used_at || Date.parse(row.expires_at) <= Date.now()) return null;
    return row;
  }

  /** RFC 7662 introspection. `requiredScopes`: each must have been granted, or the token is inactive. */
  async introspect(projectId: string, token: string, requiredScopes: string[]): Promise<Introspection> {
    const row = await this.active(projectId, token);
    if (!row) return { active: false };
    const granted = new Set(row.scope.split(' ').filter(Boolean));
    if (requiredScopes.some((s) => !granted.has(s))) return { active: false };
    const session = JSON.parse(row.session) as TokenSession;
    const out: Introspection = {
      active: true,
      scope: row.scope,
      client_id: row.client_id,
      sub: row.subject,
      exp: epoch(row.expires_at),
      iat: epoch(row.created_at),
      nbf: epoch(row.created_at),
      aud: JSON.parse(row.audience) as string[],
      iss: row.issuer,
      token_use: row.kind,
    };
    // As Hydra: a token type only for access tokens.
    if (row.kind === 'access_token') out.token_type = 'Bearer';
    if (session.access_token && Object.keys(session.access_token).length) out.ext = session.access_token;
    return out;
  }

  /** RFC 7009: revokes the token's whole grant chain if it belongs to `clientId`; unknown tokens are ignored. */
  async revoke(projectId: string, clientId: string, token: string): Promise<void> {
    if (token.length === 0 || token.length > 8192) return;
    const row = await this.store.grantOf(this.scope(projectId), this.hash(token));
    if (!row || row.client_id !== clientId) return;
    await this.revokeChain(projectId, row.request_id);
  }

  /** Revokes the live tokens of a grant chain (only its access tokens with `kind`). */
  revokeChain(projectId: string, requestId: string, kind?: 'access_token'): Promise<void> {
    return this.store.revokeChain(this.scope(projectId), requestId, kind);
  }

  /** Finds a refresh token of this project for the refresh grant (including used ones, to detect reuse). */
  async refreshRow(projectId: string, token: string): Promise<OAuth2TokensTable | undefined> {
    if (token.length === 0 || token.length > 8192) return undefined;
    return this.store.refreshByHash(this.scope(projectId), this.hash(token));
  }

  /** Marks a refresh token used; false if another request used it first. */
  markUsed(projectId: string, id: string): Promise<boolean> {
    return this.store.markUsed(this.scope(projectId), id);
  }

  /** Deletes every token issued to a client (Hydra's DELETE /admin/oauth2/tokens). */
  deleteForClient(projectId: string, clientId: string): Promise<void> {
    return this.store.deleteForClient(this.scope(projectId), clientId);
  }
}
