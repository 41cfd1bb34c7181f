import type { ResolvedProject } from '../tenancy/project-resolver.js';
import type { OAuth2Config } from './config.js';

/** What a browser endpoint of the OAuth2 plane needs of the request, extracted by the route. */
export interface BrowserRequest {
  project: ResolvedProject;
  config: OAuth2Config;
  issuer: string;
  /** The parsed query (a repeated parameter is an array). */
  query: Record<string, unknown>;
  /** The query string as sent, without `?`. */
  rawQuery: string;
  cookies: Record<string, string | undefined>;
}

/** A cookie the answer sets (httpOnly, SameSite=Lax, path `/`, secure on an https issuer) or clears. */
export type CookieChange = { name: string; value: string; maxAge?: number } | { name: string; clear: true };

/** A browser endpoint's answer: a 302 to `location`, with cookie changes. */
export interface BrowserRedirect {
  location: string;
  cookies: CookieChange[];
}

export const redirect = (location: string, cookies: CookieChange[] = []): BrowserRedirect => ({ location, cookies });
