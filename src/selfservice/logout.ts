import { OryError } from '../platform/errors/errors.js';
import { asBody, field } from './body.js';
import type { Outcome } from './context.js';
import { noActiveSession } from './errors.js';
import type { FlowContext } from './flow-context.js';
import { clearSessionCookie, sessionByToken, sessionCookieToken } from './flow-sessions.js';
import { checkReturnTo } from './return-to.js';

// Logout (Kratos's): a browser asks for a logout URL carrying a stateless token for its session and
// follows it; a native app revokes its session token directly.

const tokenMismatch = () =>
  new OryError(401, 'The request could not be authorized', 'Unable to log out because the logout token in the URL query does not match the session cookie.', 'unauthorized');

/** `GET /self-service/logout/browser`: a logout URL for the browser's session (401 without one). */
export async function createLogoutUrl(ctx: FlowContext, returnTo: string | undefined): Promise<Outcome> {
  const { ri } = ctx;
  const rt = checkReturnTo(ri, ctx.cfg, returnTo);
  const token = sessionCookieToken(ctx);
  const session = token ? await sessionByToken(ctx, token) : null;
  if (!session) throw noActiveSession();
  const logoutToken = ctx.ss.secrets.logoutToken(ctx.projectId, session.id);
  const url = `${ri.baseUrl}/self-service/logout?token=${encodeURIComponent(logoutToken)}${rt ? `&return_to=${encodeURIComponent(rt)}` : ''}`;
  return { status: 200, body: { logout_token: logoutToken, logout_url: url } };
}

/**
 * `GET /self-service/logout?token=`: ends the session the token names and clears the cookie. A token
 * of another project, or for another session than the browser's cookie, is refused (401).
 */
export async function logout(ctx: FlowContext, token: string | undefined, returnTo: string | undefined): Promise<Outcome> {
  const { ri, cfg } = ctx;
  const rt = checkReturnTo(ri, cfg, returnTo);
  if (!token) throw new OryError(400, 'The request was malformed or contained invalid parameters', 'Please include a token in the URL query.', 'bad_request');
  const sessionId = ctx.ss.secrets.openLogoutToken(ctx.projectId, token);
  if (!sessionId) throw tokenMismatch();
  const cookieToken = sessionCookieToken(ctx);
  const cookieSession = cookieToken ? await sessionByToken(ctx, cookieToken) : null;
  if (cookieSession && cookieSession.id !== sessionId) throw tokenMismatch();
  await ctx.ss.sessions.revoke(ctx.projectId, sessionId);
  const cookies = [clearSessionCookie(ctx)];
  if (ri.wantsJson) return { status: 204, cookies };
  return { status: 303, redirect: rt ?? cfg.afterReturnUrl.logout ?? cfg.defaultReturnUrl, cookies };
}

/** `DELETE /self-service/logout/api` with `{session_token}`: 204, or 403 for a token that is not an active session. */
export async function nativeLogout(ctx: FlowContext, rawBody: unknown): Promise<Outcome> {
  const token = field(asBody(rawBody), 'session_token', 1024);
  if (!token) throw new OryError(400, 'The request was malformed or contained invalid parameters', 'The session_token is required.', 'bad_request');
  const session = await sessionByToken(ctx, token);
  if (!session) throw new OryError(403, 'The requested action was forbidden', 'Unable to revoke session because it does not exist or does not belong to you.', 'forbidden');
  await ctx.ss.sessions.revoke(ctx.projectId, session.id);
  return { status: 204 };
}
