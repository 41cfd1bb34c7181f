import { Type } from '@sinclair/typebox';
import { badRequest } from '../errors/errors.js';

/** Largest page any list returns; a larger `page_size` is refused with 400, not silently clamped. */
export const MAX_PAGE_SIZE = 1000;

/** Query parameters of token-paginated lists (Ory's `page_size` / `page_token`). */
export const PageQuery = {
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE })),
  page_token: Type.Optional(Type.String({ maxLength: 512 })),
};

/** Page tokens are opaque to clients: the base64url of the last id of the previous page. */
export const encodePageToken = (lastId: string): string => Buffer.from(`k:${lastId}`, 'utf8').toString('base64url');

/** Decodes a page token, or throws 400 for one this server did not issue. */
export function decodePageToken(token: string | undefined): string | undefined {
  if (!token) return undefined;
  const raw = Buffer.from(token, 'base64url').toString('utf8');
  if (!raw.startsWith('k:') || raw.length < 3 || raw.length > 300) throw badRequest('The page_token is not valid.');
  return raw.slice(2);
}
