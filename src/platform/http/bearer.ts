import type { FastifyRequest } from 'fastify';

/** The token of an `Authorization: Bearer <token>` header value, or null. */
export function rawBearerToken(h: string | undefined): string | null {
  if (typeof h !== 'string' || h.length < 8 || h.length > 1024) return null;
  const space = h.indexOf(' ');
  if (space !== 6 || h.slice(0, 6).toLowerCase() !== 'bearer') return null;
  const token = h.slice(7).trim();
  return token.length > 0 ? token : null;
}

/** The token of the request's `Authorization: Bearer <token>` header, or null. */
export const bearerToken = (req: FastifyRequest): string | null => rawBearerToken(req.headers.authorization);
