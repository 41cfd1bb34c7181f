import type { FastifyRequest } from 'fastify';
import type { KeyService, VerifyResult, VerifiedKey } from '../keys/key-service.js';
import { CSRF_HEADER, SESSION_COOKIE, type ConsoleSessions } from '../console/session-service.js';
import { unauthorized, type OryError } from '../platform/errors/errors.js';
import type { Outcome } from './mount.js';

// Refusals are built once: the hot rejection path allocates no Error and captures no stack.
/** A missing, malformed, unknown, expired or revoked key, or one of another tenant or plane: all alike. */
export const NO_KEY = unauthorized();
export const NO_MANAGEMENT_CREDENTIAL = unauthorized('The request could not be authorized: a workspace API key or a console session is required.');
export const NO_CONSOLE_SESSION = unauthorized('A console session is required.');

/**
 * Verifies the request's bearer key and hands the verified key to `accept`, which returns the
 * refusal or null. Prefix and checksum are checked with no I/O (a mistyped or forged key never
 * reaches the cache or the database); a cached key answers without a promise.
 */
export function withKey(keys: KeyService, token: string, accept: (key: VerifiedKey) => Outcome | Promise<Outcome>): Outcome | Promise<Outcome> {
  const judge = (result: VerifyResult): Outcome | Promise<Outcome> => (result.ok ? accept(result.key) : NO_KEY);
  const cached = keys.verifyCached(token);
  if (cached) return judge(cached);
  return keys.verify(token).then(judge);
}

/**
 * The console user of the request's session cookie as its principal, or `refusal`. Throws 403 for a
 * state-changing request without the session's CSRF token.
 */
export async function consoleUser(sessions: ConsoleSessions, req: FastifyRequest, refusal: OryError): Promise<Outcome> {
  const user = await sessions.resolve(req.cookies?.[SESSION_COOKIE], req.method, req.headers[CSRF_HEADER]);
  if (!user) return refusal;
  (req as FastifyRequest & { principal: unknown }).principal = user;
  return null;
}
