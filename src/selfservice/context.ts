import type { OryError } from '../platform/errors/errors.js';
import type { ResolvedProject } from '../tenancy/project-resolver.js';

/** What a flow handler needs to know about the HTTP request, extracted once by the routes. */
export interface RequestInfo {
  project: ResolvedProject;
  /** Public base URL of the project's APIs as the client addressed them (`http://host/p/slug` or `https://slug.projects...`). */
  baseUrl: string;
  /** The full URL of this request (recorded as a flow's `request_url`). */
  requestUrl: string;
  /** True when the client wants JSON back (Accept or Content-Type application/json). */
  wantsJson: boolean;
  /** True when the body was a JSON document (not an HTML form post). */
  jsonBody: boolean;
  cookies: Record<string, string | undefined>;
  /** A session token from `X-Session-Token` (or a non-API-key bearer token). */
  sessionToken: string | null;
  /** An anti-CSRF token sent as `X-CSRF-Token` (AJAX clients) instead of the `csrf_token` field. */
  csrfHeader?: string;
  ip: string;
  userAgent?: string;
  secure: boolean;
  /** Path the project's cookies are scoped to (`/p/slug` on the local alias, `/` on a project host). */
  cookiePath: string;
}

export interface CookieSpec {
  name: string;
  value: string;
  /** Seconds; undefined makes a session cookie; 0 deletes it. */
  maxAge?: number;
  sameSite: 'Lax' | 'Strict' | 'None';
}

/** How the route answers: a status with a JSON body, or a redirect; plus cookies to set. */
export interface Outcome {
  status: number;
  /** Answer with this error (Ory's shape) instead of a body, still setting `cookies`. */
  error?: OryError;
  body?: unknown;
  redirect?: string;
  cookies?: CookieSpec[];
}
