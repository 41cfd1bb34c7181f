import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorId, OryError, notFound } from '../platform/errors/errors.js';
import { decodePageToken, encodePageToken } from '../platform/http/pagination.js';
import type { ResolvedProject } from '../tenancy/project-resolver.js';
import type { Session } from './models.js';
import type { SessionService } from './session-service.js';
import { SESSION_COOKIE } from './session-service.js';

/** Default page size of Ory's keyset-paginated lists. */
export const DEFAULT_PAGE_SIZE = 250;

/** The session token a frontend request carries: `X-Session-Token`, `Authorization: Bearer`, or the `ory_kratos_session` cookie. */
export function sessionTokenOf(req: FastifyRequest): string | null {
  const header = req.headers['x-session-token'];
  if (typeof header === 'string' && header.trim()) return header.trim();
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) {
    const t = auth.replace(/^bearer\s+/i, '').trim();
    if (t) return t;
  }
  const cookie = (req.cookies as Record<string, string | undefined> | undefined)?.[SESSION_COOKIE];
  return cookie && cookie.trim() ? cookie.trim() : null;
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

/**
 * Resolves `page_size` (or the legacy `per_page`) and `page_token` of a keyset-paginated list. The
 * legacy `page` (without a token) becomes an offset of `page * size`, so clients that still count
 * pages move forward instead of seeing the first page again; the Link header offers keyset tokens.
 */
export function pageParams(q: { page_size?: number; per_page?: number; page_token?: string; page?: number }): { size: number; after?: string; offset?: number } {
  const size = q.page_size ?? q.per_page ?? DEFAULT_PAGE_SIZE;
  const after = decodePageToken(q.page_token || undefined);
  const offset = !after && q.page && q.page > 0 ? Math.min(q.page, 1_000_000) * size : undefined;
  return { size, after, offset };
}

/**
 * Sets Ory's keyset pagination `Link` headers: a `first` link, and a `next` link when there is a
 * next page. Links are relative to the path the client called and keep its other query parameters
 * (Go's `url.Values.Encode` order: keys sorted).
 */
export function setLinkHeader(req: FastifyRequest, reply: FastifyReply, size: number, nextAfter: string | undefined): void {
  const original = (req as FastifyRequest & { originalUrl?: string }).originalUrl ?? req.url;
  const url = new URL(original, 'http://x');
  const link = (token: string, rel: string) => {
    const params = new URLSearchParams();
    const keep = [...url.searchParams.entries()].filter(([k]) => k !== 'page_size' && k !== 'page_token' && k !== 'per_page' && k !== 'page');
    keep.push(['page_size', String(size)], ['page_token', token]);
    keep.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [k, v] of keep) params.append(k, v);
    return `<${url.pathname}?${params.toString()}>; rel="${rel}"`;
  };
  const links = [link('', 'first')];
  if (nextAfter) links.push(link(encodePageToken(nextAfter), 'next'));
  // One Link header line per relation, as Kratos writes them (HTTP clients join them with ", ").
  reply.header('link', links);
}

export const identityNotFound = () => notFound('Unable to locate the resource');
