import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../platform/db/schema.js';
import type { ConsoleSessionResolver } from '../platform/auth/console-sessions.js';
import type { Principal } from '../platform/auth/principal.js';
import { ErrorId, OryError } from '../platform/errors/errors.js';
import { newId, nowIso } from '../platform/ids.js';

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
export class ConsoleSessions implements ConsoleSessionResolver {
  private readonly ttlMs: number;

  constructor(private readonly o: { db: Kysely<Database>; secret: string; ttlMs?: number }) {
    this.ttlMs = o.ttlMs ?? (Number(process.env.CONSOLE_SESSION_TTL_MS) || DEFAULT_TTL_MS);
  }

  private hmac(label: string, token: string): string {
    return createHmac('sha256', this.o.secret).update(`${label}:${token}`).digest('base64url');
  }

  /** The CSRF token that belongs to a session token. */
  csrfTokenFor(sessionToken: string): string {
    return this.hmac('console-csrf', sessionToken);
  }

  /** Starts a session for `userId` and sets its cookie on `reply`. Returns the CSRF token. */
  async start(userId: string, req: FastifyRequest, reply: FastifyReply): Promise<{ csrfToken: string; sessionId: string }> {
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    const row = { id: newId(), user_id: userId, token_hash: this.hmac('console-session', token), created_at: new Date(now).toISOString(), expires_at: new Date(now + this.ttlMs).toISOString() };
    await this.o.db.insertInto('console_sessions').values(row).execute();
    reply.setCookie(SESSION_COOKIE, token, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: req.protocol === 'https',
      maxAge: Math.floor(this.ttlMs / 1000),
    });
    return { csrfToken: this.csrfTokenFor(token), sessionId: row.id };
  }

  /** Ends the session the request carries (if any) and clears the cookie. */
  async end(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const token = req.cookies?.[SESSION_COOKIE];
    if (token) await this.o.db.deleteFrom('console_sessions').where('token_hash', '=', this.hmac('console-session', token)).execute();
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: req.protocol === 'https' });
  }

  /** Ends every session of `userId` except `keepSessionId` (after a password change). */
  async endOthers(userId: string, keepSessionId: string): Promise<void> {
    await this.o.db.deleteFrom('console_sessions').where('user_id', '=', userId).where('id', '!=', keepSessionId).execute();
  }

  /** The CSRF token of the session the request carries, or null. */
  csrfTokenOf(req: FastifyRequest): string | null {
    const token = req.cookies?.[SESSION_COOKIE];
    return token ? this.csrfTokenFor(token) : null;
  }

  /**
   * Resolves the session cookie to its user. No cookie, an unknown or expired session: null (the
   * route answers 401). A state-changing request without the matching `X-CSRF-Token`: 403.
   */
  async authenticate(req: FastifyRequest): Promise<ConsoleUserPrincipal | null> {
    const token = req.cookies?.[SESSION_COOKIE];
    if (!token || token.length > 256) return null;
    const row = await this.o.db
      .selectFrom('console_sessions')
      .select(['id', 'user_id'])
      .where('token_hash', '=', this.hmac('console-session', token))
      .where('expires_at', '>', nowIso())
      .executeTakeFirst();
    if (!row) return null;
    if (!SAFE_METHODS.has(req.method.toUpperCase())) {
      const sent = req.headers[CSRF_HEADER];
      const expected = Buffer.from(this.csrfTokenFor(token));
      const given = Buffer.from(typeof sent === 'string' ? sent : '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
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
