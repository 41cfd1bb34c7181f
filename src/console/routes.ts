import { Type } from '@sinclair/typebox';
import type { Registry } from '../registry.js';
import { defineRoute, type RouteSpec } from '../platform/http/route-table.js';
import { Email } from '../platform/http/schemas.js';
import { ErrorId, OryError } from '../platform/errors/errors.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { UsersTable } from '../tenancy/tables.js';
import { ConsoleAccounts } from './account-service.js';
import { SESSION_COOKIE } from './session-service.js';

// The password is validated by the policy (with a message a person understands), not by the schema.
const Password = Type.String({ maxLength: 4096 });
const SignInBody = Type.Object({ email: Email, password: Password }, { additionalProperties: false });
const SignUpBody = Type.Object({ email: Email, password: Password, name: Type.Optional(Type.String({ maxLength: 256 })) }, { additionalProperties: false });
// Invitation tokens are secrets: they travel in bodies, never in URLs (which logs keep).
const InviteToken = Type.Object({ token: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false });

/**
 * Sign-up and sign-in set a session cookie, so a cross-site page must not be able to post them (login
 * CSRF): HTML forms cannot send JSON, and browsers mark cross-site requests with Sec-Fetch-Site.
 */
function requireSameSiteJson(req: FastifyRequest): void {
  const type = String(req.headers['content-type'] ?? '');
  if (!/^application\/json\b/i.test(type)) throw new OryError(415, 'Unsupported media type', 'Send this request as application/json.', ErrorId.unsupportedMediaType);
  if (req.headers['sec-fetch-site'] === 'cross-site') throw new OryError(403, 'The requested action was forbidden', 'Cross-site requests may not sign in.', ErrorId.securityCsrfViolation);
}

const userView = (u: UsersTable) => ({ id: u.id, email: u.email, name: u.name });

const sessionCookieOf = (req: FastifyRequest): string | undefined => req.cookies?.[SESSION_COOKIE];
const cookieOptions = (req: FastifyRequest) => ({ path: '/', httpOnly: true, sameSite: 'lax' as const, secure: req.protocol === 'https' });

/**
 * The console's own server routes under `/console/api`: sign-up, sign-in, sign-out, the current
 * session (with its CSRF token, or null when signed out), invites for the signed-in user, and password changes. Everything
 * else the console does goes through the Management API with the same session cookie.
 */
export function consoleRoutes(r: Registry): RouteSpec[] {
  const sessions = r.consoleSessions;
  const accounts = new ConsoleAccounts({ db: r.db, users: r.tenancy.users, secret: r.config.secret });

  /** Starts a session for `user`, sets its cookie and answers what sign-up and sign-in answer. */
  async function signedIn(req: FastifyRequest, reply: FastifyReply, user: UsersTable) {
    const { token, csrfToken } = await sessions.start(user.id);
    reply.setCookie(SESSION_COOKIE, token, { ...cookieOptions(req), maxAge: Math.floor(sessions.ttlMs / 1000) });
    return { user: userView(user), csrf_token: csrfToken };
  }

  return [
    defineRoute({
      method: 'POST', url: '/console/api/sign-up', plane: 'console', credential: 'none',
      schema: { body: SignUpBody },
      handler: async (req, reply) => {
        requireSameSiteJson(req);
        return reply.status(201).send(await signedIn(req, reply, await accounts.signUp(req.body, req.ip)));
      },
    }),
    defineRoute({
      method: 'POST', url: '/console/api/sign-in', plane: 'console', credential: 'none',
      schema: { body: SignInBody },
      handler: async (req, reply) => {
        requireSameSiteJson(req);
        const body = await signedIn(req, reply, await accounts.signIn(req.body, req.ip));
        if (Math.random() < 0.05) await sessions.sweepExpired();
        return body;
      },
    }),
    defineRoute({
      method: 'POST', url: '/console/api/sign-out', plane: 'console', credential: 'console',
      handler: async (req, reply) => {
        await sessions.end(sessionCookieOf(req));
        reply.clearCookie(SESSION_COOKIE, cookieOptions(req));
        return reply.status(204).send();
      },
    }),
    // The console asks this on every page load, signed in or not. Being signed out is an answer, not
    // an error: `{ session: null }` with 200, so a browser logs no failed request. The session is
    // read by the handler (credential `none`); every other console route still answers 401.
    defineRoute({
      method: 'GET', url: '/console/api/session', plane: 'console', credential: 'none',
      handler: async (req, reply) => {
        reply.header('cache-control', 'no-store');
        const principal = await sessions.resolve(sessionCookieOf(req), req.method, undefined);
        const user = principal ? await r.tenancy.users.byId(principal.userId) : undefined;
        if (!user) return { session: null };
        return { session: { user: userView(user), csrf_token: sessions.csrfTokenFor(sessionCookieOf(req)!) } };
      },
    }),
    defineRoute({
      method: 'POST', url: '/console/api/password', plane: 'console', credential: 'console',
      schema: { body: Type.Object({ current_password: Password, new_password: Password }, { additionalProperties: false }) },
      handler: async (req, reply) => {
        const principal = req.principal as { userId: string; sessionId: string };
        await accounts.changePassword(principal.userId, req.body.current_password, req.body.new_password);
        await sessions.endOthers(principal.userId, principal.sessionId);
        return reply.status(204).send();
      },
    }),
    defineRoute({
      method: 'POST', url: '/console/api/invites/lookup', plane: 'console', credential: 'console',
      schema: { body: InviteToken },
      handler: async (req, reply) => {
        reply.header('cache-control', 'no-store');
        const invite = await r.tenancy.members.inviteByToken(req.body.token);
        return { workspace_id: invite.workspace_id, workspace_name: invite.workspace_name, email: invite.email, role: invite.role, expires_at: invite.expires_at };
      },
    }),
    defineRoute({
      method: 'POST', url: '/console/api/invites/accept', plane: 'console', credential: 'console',
      schema: { body: InviteToken },
      handler: async (req) => {
        const principal = req.principal as { userId: string };
        const accepted = await r.tenancy.members.accept(req.body.token, principal.userId);
        await r.audit.record({ workspaceId: accepted.workspace_id, event: 'invite.accepted', actor: { kind: 'user', id: principal.userId }, clientAddress: req.ip, target: { type: 'member', id: principal.userId }, details: { role: accepted.role } });
        return accepted;
      },
    }),
  ];
}
