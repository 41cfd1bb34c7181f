import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest } from '../errors/errors.js';

/** Largest page any list returns; a larger `page_size` is refused with 400, not silently clamped. */
export const MAX_PAGE_SIZE = 1000;

/** The legacy `page` (Kratos) becomes an offset of `page * size`: bounded, so the offset stays a small integer. */
export const MAX_PAGE = 1_000_000;

/** Query parameters of token-paginated lists (Ory's `page_size` / `page_token`). */
export const PageQuery = {
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE })),
  page_token: Type.Optional(Type.String({ maxLength: 512 })),
};

/** Every pagination parameter any list accepts: the keyset pair and Kratos's legacy `per_page` and `page`. */
const PAGINATION = {
  ...PageQuery,
  per_page: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE })),
  page: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_PAGE })),
};
const PAGINATION_NAMES = Object.keys(PAGINATION);

/**
 * The one place pagination parameters are validated. A list route (its query schema names any of
 * them) gets all four declared here, as integers in range or a bounded token: a handler never sees
 * an unvalidated `per_page` or `page`. Only a route's own `page_size` stays (Hydra's lists allow at
 * most 500).
 */
export function withPagination<S extends TSchema | undefined>(querystring: S): S {
  const properties = (querystring as { properties?: Record<string, TSchema> } | undefined)?.properties;
  if (!properties || !PAGINATION_NAMES.some((name) => name in properties)) return querystring;
  return { ...querystring, properties: { ...properties, ...PAGINATION, ...(properties.page_size ? { page_size: properties.page_size } : {}) } } as S;
}

/** Default page size of Ory's keyset-paginated lists. */
export const DEFAULT_PAGE_SIZE = 250;

/** Page tokens are opaque to clients: the base64url of the last id of the previous page. */
export const encodePageToken = (lastId: string): string => Buffer.from(`k:${lastId}`, 'utf8').toString('base64url');

/** Decodes a page token, or throws 400 for one this server did not issue. */
export function decodePageToken(token: string | undefined): string | undefined {
  if (!token) return undefined;
  const raw = Buffer.from(token, 'base64url').toString('utf8');
  if (!raw.startsWith('k:') || raw.length < 3 || raw.length > 300) throw badRequest('The page_token is not valid.');
  return raw.slice(2);
}

const PAGINATION_PARAMS = new Set(['page_size', 'page_token', 'per_page', 'page']);

/**
 * Sets Ory's keyset pagination `Link` header: a `first` link, and a `next` link when there is a
 * next page (`next` is the page token to send). Links are relative to the path the client called
 * (before the project host was rewritten onto `/p/{slug}`) and keep its other query parameters,
 * sorted by key as Go's `url.Values.Encode` writes them.
 */
export function setLinkHeader(req: FastifyRequest, reply: FastifyReply, size: number, next: string | undefined): void {
  const url = new URL(req.originalUrl, 'http://x');
  const link = (token: string, rel: string) => {
    const params = [...url.searchParams.entries()].filter(([k]) => !PAGINATION_PARAMS.has(k));
    params.push(['page_size', String(size)], ['page_token', token]);
    params.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return `<${url.pathname}?${new URLSearchParams(params).toString()}>; rel="${rel}"`;
  };
  reply.header('link', [link('', 'first'), ...(next ? [link(next, 'next')] : [])].join(','));
}

/**
 * Resolves `page_size` (or the legacy `per_page`) and `page_token` of a keyset-paginated list. The
 * legacy `page` (without a token) becomes an offset of `page * size`, so clients that still count
 * pages move forward instead of seeing the first page again; the Link header offers keyset tokens.
 */
export function pageParams(q: { page_size?: number; per_page?: number; page_token?: string; page?: number }, defaultSize = DEFAULT_PAGE_SIZE): { size: number; after?: string; offset?: number } {
  const size = q.page_size ?? q.per_page ?? defaultSize;
  const after = decodePageToken(q.page_token || undefined);
  const offset = !after && q.page && q.page > 0 ? q.page * size : undefined;
  return { size, after, offset };
}

/** The `Link` header of a page of rows keyed by id: `next` starts after the last row when there are more. */
export function setPageLinks(req: FastifyRequest, reply: FastifyReply, size: number, rows: readonly { id: string }[], hasMore: boolean): void {
  setLinkHeader(req, reply, size, hasMore && rows.length > 0 ? encodePageToken(rows[rows.length - 1].id) : undefined);
}
