import type { OAuth2Client } from './clients.js';
import { invalidRequest, invalidScope } from './errors.js';
import { audienceParam, param, splitSpaces } from './util.js';

/** The first requested scope the client's space-separated `scope` does not allow ("exact" strategy), or null. */
export function scopesAllowed(client: OAuth2Client, requested: string[]): string | null {
  const allowed = new Set(splitSpaces(client.scope));
  return requested.find((s) => !allowed.has(s)) ?? null;
}

/** The first requested audience the client was not registered for, or undefined. */
export const audienceNotAllowed = (client: OAuth2Client, requested: string[]): string | undefined => requested.find((a) => !client.audience.includes(a));

/**
 * The `scope` and `audience` a client requests at the token or device endpoint, each allowed by the
 * client (invalid_scope, invalid_request otherwise: the refused value is named, cut to 100 characters).
 */
export function requestedGrant(client: OAuth2Client, params: unknown): { scopes: string[]; audience: string[] } {
  const scopes = splitSpaces(param(params, 'scope'));
  const bad = scopesAllowed(client, scopes);
  if (bad !== null) throw invalidScope(`The OAuth 2.0 Client is not allowed to request scope "${bad.slice(0, 100)}".`);
  const audience = audienceParam(params);
  const badAud = audienceNotAllowed(client, audience);
  if (badAud) throw invalidRequest(`Requested audience "${badAud.slice(0, 100)}" has not been whitelisted by the OAuth 2.0 Client.`);
  return { scopes, audience };
}
