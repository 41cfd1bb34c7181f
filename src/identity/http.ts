import type { FastifyRequest } from 'fastify';
import { ErrorId, OryError, notFound } from '../platform/errors/errors.js';
import type { ResolvedProject } from '../tenancy/project-resolver.js';
import type { Session } from './models.js';
import type { SessionService } from './session-service.js';
import { SESSION_COOKIE } from './session-service.js';

const API_KEY_PREFIXES = ['ory_pat_', 'ory_apikey_', 'ory_wak_'];

/**
 * The session token in a frontend request's headers: `X-Session-Token`, or `Authorization: Bearer`
 * unless that holds an API key (an SDK configured with a key sends it everywhere). Null for none or
 * for a value no session token can be (over 1,024 characters).
 */
export function sessionTokenHeader(headers: { 'x-session-token'?: string | string[]; authorization?: string }): string | null {
  const header = headers['x-session-token'];
  if (typeof header === 'string' && header.trim()) return header.length <= 1024 ? header.trim() : null;
  const auth = headers.authorization;
  if (typeof auth !== 'string' || !/^bearer\s+/i.test(auth)) return null;
  const token = auth.replace(/^bearer\s+/i, '').trim();
  return token && token.length <= 1024 && !API_KEY_PREFIXES.some((p) => token.startsWith(p)) ? token : null;
}

/** The session token a frontend request carries: in its headers, or the `ory_kratos_session` cookie. */
export function sessionTokenOf(req: FastifyRequest): string | null {
  const cookie = (req.cookies as Record<string, string | undefined> | undefined)?.[SESSION_COOKIE]?.trim();
  return sessionTokenHeader(req.headers) ?? (cookie || null);
}

/** Kratos' answer when a request has no usable session. */
export const noActiveSession = () =>
  new OryError(401, 'request does not have a valid authentication session', 'No active session was found in this request.', ErrorId.sessionInactive);

/** The request's active session (with identity), or a 401 `session_inactive`. */
export async function requireSession(sessions: SessionService, project: ResolvedProject, req: FastifyRequest): Promise<Session> {
  const token = sessionTokenOf(req);
  const session = token ? await sessions.byToken(project, token) : null;
  if (!session) throw noActiveSession();
  return session;
}

export const identityNotFound = () => notFound('Unable to locate the resource');
