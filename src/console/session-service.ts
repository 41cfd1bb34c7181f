import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { Principal } from '../platform/auth/principal.js';
import { ErrorId, OryError } from '../platform/errors/errors.js';
import { newId, nowIso } from '../platform/ids.js';
import { randomToken, safeEqual, secretHash } from '../platform/crypto.js';

export const SESSION_COOKIE = 'gatehouse_console_session';
export const CSRF_HEADER = 'x-csrf-token';
const DEFAULT_TTL_MS = 14 * 24 * 3600 * 1000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export type ConsoleUserPrincipal = Extract<Principal, { kind: 'console-user' }>;

/**
 * Console sessions: an opaque random token in an HttpOnly, SameSite=Lax cookie; the store keeps
 * only its HMAC. The CSRF token is derived from the session token (HMAC with another label), so it
 * needs no storage, survives reloads, and is useless without the cookie that only this origin reads.
 * Every state-changing request authenticated by the cookie must echo it in `X-CSRF-Token`.
 */
export class ConsoleSessions {
  readonly ttlMs: number;

  constructor(private readonly o: { db: Kysely<Database>; secret: string; ttlMs?: number }) {
    this.ttlMs = o.ttlMs ?? (Number(process.env.CONSOLE_SESSION_TTL_MS) || DEFAULT_TTL_MS);
  }

  /** The stored forms a session token may have: the current one first, then the legacy one. */
  private tokenHashes(token: string): string[] {
    return [secretHash(this.o.secret, 'console-session', token), legacyConsoleHash(this.o.secret, 'console-session', token)];
  }

  /** The CSRF token that belongs to a session token. */
  csrfTokenFor(sessionToken: string): string {
    return secretHash(this.o.secret, 'console-csrf', sessionToken);
  }

  /**
   * Starts a session for `userId`. Returns the session token (for the cookie, and nowhere else), its
   * CSRF token and the session's id.
   */
  async start(userId: string): Promise<{ token: string; csrfToken: string; sessionId: string }> {
    const token = randomToken();
    const now = Date.now();
    const row = { id: newId(), user_id: userId, token_hash: this.tokenHashes(token)[0], created_at: new Date(now).toISOString(), expires_at: new Date(now + this.ttlMs).toISOString() };
    await this.o.db.insertInto('console_sessions').values(row).execute();
    return { token, csrfToken: this.csrfTokenFor(token), sessionId: row.id };
  }

  /** Ends the session of `token` (nothing when there is none). */
  async end(token: string | undefined): Promise<void> {
    if (token) await this.o.db.deleteFrom('console_sessions').where('token_hash', 'in', this.tokenHashes(token)).execute();
  }

  /** Ends every session of `userId` except `keepSessionId` (after a password change). */
  async endOthers(userId: string, keepSessionId: string): Promise<void> {
    await this.o.db.deleteFrom('console_sessions').where('user_id', '=', userId).where('id', '!=', keepSessionId).execute();
  }

  /**
   * Resolves a session token to its user. No token, an unknown or expired session: null (the route
   * answers 401). A state-changing `method` whose `csrfHeader` is not the session's CSRF token: 403.
   */
  async resolve(token: string | undefined, method: string, csrfHeader: unknown): Promise<ConsoleUserPrincipal | null> {
    if (!token || token.length > 256) return null;
    const row = await this.o.db
      .selectFrom('console_sessions')
      .select(['id', 'user_id'])
      .where('token_hash', 'in', this.tokenHashes(token))
      .where('expires_at', '>', nowIso())
      .executeTakeFirst();
    if (!row) return null;
    if (!SAFE_METHODS.has(method.toUpperCase())) {
      const sent = typeof csrfHeader === 'string' ? csrfHeader : '';
      // A page loaded before the CSRF token changed form still holds the legacy one.
      if (!safeEqual(sent, this.csrfTokenFor(token)) && !safeEqual(sent, legacyConsoleHash(this.o.secret, 'console-csrf', token))) {
        throw new OryError(403, 'The request was rejected to protect you from Cross-Site-Request-Forgery (CSRF)', 'A valid X-CSRF-Token header is required for this request; reload the console and try again.', ErrorId.securityCsrfViolation);
      }
    }
    return { kind: 'console-user', userId: row.user_id, sessionId: row.id };
  }

  /** Deletes expired sessions; cheap, called now and then from sign-in. */
  async sweepExpired(): Promise<void> {
    await this.o.db.deleteFrom('console_sessions').where('expires_at', '<=', nowIso()).execute();
  }
}

/**
 * Session and CSRF tokens as they were derived before every server-secret HMAC went through
 * `secretHash`: HMAC of `{label}:{token}`, base64url. Sessions live two weeks and open console pages
 * hold their CSRF token, so both keep verifying in this form; new sessions are stored in the new one.
 */
function legacyConsoleHash(secret: string, label: 'console-session' | 'console-csrf', token: string): string {
  return createHmac('sha256', secret).update(`${label}:${token}`).digest('base64url');
}
