import { SESSION_COOKIE } from '../identity/session-service.js';
import type { CookieSpec, Outcome } from './context.js';
import { noActiveSession, sessionAlreadyAvailable } from './errors.js';
import type { FlowContext } from './flow-context.js';
import type { Flow, FlowType } from './flow-store.js';
import { publicIdentity, publicSession } from './flow-wire.js';
import type { WireIdentity, WireSession } from './ports.js';

// The end user's session as the flows see it: found by token or cookie, issued when a flow signs
// someone in, and carried in the session cookie.

/** The active session a token names in the project, or null (unknown, revoked, expired, malformed). */
export async function sessionByToken(ctx: FlowContext, token: string): Promise<WireSession | null> {
  if (typeof token !== 'string' || token.length === 0 || token.length > 1024) return null;
  const found = await ctx.ss.sessions.byToken(ctx.ri.project, token);
  const session = found && 'session' in found && found.session && typeof found.session === 'object' && 'id' in (found.session as object) ? (found.session as WireSession) : (found as WireSession | null);
  if (!session || session.active === false || Date.parse(session.expires_at) <= ctx.now()) return null;
  return session;
}

/** The caller's active session: `X-Session-Token` (native) or the session cookie (browser). */
export async function activeSession(ctx: FlowContext): Promise<{ session: WireSession; token: string } | null> {
  for (const token of [ctx.ri.sessionToken, sessionCookieToken(ctx)]) {
    if (!token) continue;
    const session = await sessionByToken(ctx, token);
    if (session) return { session, token };
  }
  return null;
}

/** The session token in the browser's session cookie, if any. */
export function sessionCookieToken(ctx: FlowContext): string | undefined {
  return ctx.ri.cookies[SESSION_COOKIE];
}

/** The identity of a session, read afresh; `noActiveSession` when it is gone. */
export async function identityOf(ctx: FlowContext, session: WireSession): Promise<WireIdentity> {
  const id = session.identity?.id ?? (session as { identity_id?: string }).identity_id;
  const identity = id ? await ctx.ss.identities.get(ctx.projectId, id) : null;
  if (!identity) throw noActiveSession();
  return identity;
}

/** A new aal1 session of the identity, authenticated by `method` from the caller's device. */
export async function issueSession(ctx: FlowContext, identityId: string, method: string): Promise<{ session: WireSession; token: string }> {
  const { ri } = ctx;
  return ctx.ss.sessions.issue(ri.project, identityId, {
    methods: [{ method, aal: 'aal1', completed_at: ctx.iso() }],
    devices: [{ ip_address: ri.ip, ...(ri.userAgent ? { user_agent: ri.userAgent.slice(0, 512) } : {}) }],
  });
}

/** The session cookie for `token`: persistent until the session expires unless the project says otherwise. */
export function sessionCookie(ctx: FlowContext, session: WireSession, token: string): CookieSpec {
  const { cfg } = ctx;
  const maxAge = cfg.cookiePersistent ? Math.max(1, Math.floor((Date.parse(session.expires_at) - ctx.now()) / 1000)) : undefined;
  return { name: SESSION_COOKIE, value: token, maxAge, sameSite: cfg.cookieSameSite };
}

export function clearSessionCookie(ctx: FlowContext): CookieSpec {
  return { name: SESSION_COOKIE, value: '', maxAge: 0, sameSite: ctx.cfg.cookieSameSite };
}

/** Login or registration completed: a token for API flows, a cookie for browser flows. */
export function loggedIn(ctx: FlowContext, flow: Flow, kind: 'login' | 'registration', session: WireSession, token: string, o: { identity?: WireIdentity; continueWith?: unknown[]; next?: string }): Outcome {
  const { ri, cfg } = ctx;
  ctx.ss.usage.count(ri.project.workspaceId, ri.project.id, kind === 'login' ? 'logins' : 'signups');
  const continueWith = [...(o.continueWith ?? [])];
  const body: Record<string, unknown> = { session: publicSession(session) };
  if (flow.type === 'api') {
    continueWith.unshift({ action: 'set_ory_session_token', ory_session_token: token });
    Object.assign(body, { session_token: token, continue_with: continueWith }, o.identity ? { identity: publicIdentity(o.identity) } : {});
    return { status: 200, body };
  }
  const cookies = [sessionCookie(ctx, session, token)];
  // `next`: a step the browser must take first (raising the session to aal2), which returns it here after.
  const target = o.next ?? flow.returnTo ?? cfg.afterReturnUrl[kind] ?? cfg.defaultReturnUrl;
  if (ri.wantsJson) {
    continueWith.push({ action: 'redirect_browser_to', redirect_browser_to: absolute(ri.baseUrl, target) });
    Object.assign(body, { continue_with: continueWith }, o.identity ? { identity: publicIdentity(o.identity) } : {});
    return { status: 200, body, cookies };
  }
  return { status: 303, redirect: target, cookies };
}

/** A flow that needs no session was asked for with one: the browser goes on, an API client gets 400. */
export function alreadyLoggedIn(ctx: FlowContext, type: FlowType, returnTo: string | null): Outcome {
  if (type === 'browser' && !ctx.ri.wantsJson) return { status: 303, redirect: returnTo ?? ctx.cfg.defaultReturnUrl };
  throw sessionAlreadyAvailable();
}

function absolute(baseUrl: string, target: string): string {
  try {
    return new URL(target, baseUrl).toString();
  } catch {
    return target;
  }
}
