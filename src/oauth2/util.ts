import type { ProjectAddress } from '../platform/http/project-address.js';
import { parseGoDuration } from '../platform/duration.js';

/** Parses a Go duration ("1h", "30m", "1h30m", "3600s") to milliseconds, or null when malformed. */
export const parseDuration = parseGoDuration;

/** Reads one form/query parameter; a parameter given twice is refused (RFC 6749 §3.1). */
export function param(source: unknown, name: string): string | undefined {
  if (!source || typeof source !== 'object') return undefined;
  const v = (source as Record<string, unknown>)[name];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) throw new DuplicateParam(name);
  if (typeof v !== 'string') return typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
  return v;
}

export class DuplicateParam extends Error {
  constructor(readonly param: string) {
    super(`The parameter "${param}" was given more than once.`);
  }
}

/** Space-separated list (scope) to a de-duplicated array. */
export const splitSpaces = (s: string | undefined): string[] => [...new Set((s ?? '').split(/[ ]+/).filter(Boolean))];

/** `audience` may be given repeatedly or space-separated (Hydra accepts both). */
export function audienceParam(source: unknown): string[] {
  if (!source || typeof source !== 'object') return [];
  const v = (source as Record<string, unknown>).audience;
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return [...new Set(list.filter((x): x is string => typeof x === 'string').flatMap((x) => x.split(/[ ]+/)).filter(Boolean))];
}

/**
 * The issuer of a project: `urls.self.issuer` when configured; on the project's own host its
 * canonical `https://{slug}.projects.{BASE_DOMAIN}` (an issuer names the server, not the way one
 * request reached it); on the `/p/{slug}` alias the base URL the request reached.
 */
export function issuerFor(configured: string | undefined, address: ProjectAddress, slug: string, baseDomain: string): string {
  if (configured) return configured;
  return address.onAlias ? address.base : `https://${slug}.projects.${baseDomain}`;
}

/** The query string of a request URL (without `?`), as sent. */
export const rawQuery = (url: string): string => (url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');

export const epoch = (iso: string | Date): number => Math.floor((typeof iso === 'string' ? Date.parse(iso) : iso.getTime()) / 1000);

/** `base` with query parameters set. A relative `base` resolves against `relativeTo`. Throws on a URL that cannot be parsed. */
export function withParams(base: string, params: Record<string, string | undefined>, relativeTo?: string): string {
  const u = new URL(base, relativeTo);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  return u.toString();
}

/**
 * A UI page configured in `urls.{login,consent,logout}`: paths are pages under the issuer,
 * and a value that is not a usable http(s) URL falls back to the issuer's own `/ui/{page}`, so a bad
 * config can never turn the flow into a 500.
 */
export function uiUrl(configured: unknown, issuer: string, page: 'login' | 'consent' | 'logout', params: Record<string, string | undefined>): string {
  return configuredUrl(configured, issuer, params) ?? withParams(`${issuer}/ui/${page}`, params);
}

/** A page configured in `urls.*` with `params` added, or null when none (or no usable http(s) URL) is set. */
export function configuredUrl(configured: unknown, issuer: string, params: Record<string, string | undefined>): string | null {
  if (typeof configured !== 'string' || !configured || /[\u0000-\u001f\u007f]/.test(configured)) return null;
  try {
    // A path is a page of the project itself: under its base (the issuer), on either address form.
    const url = withParams(configured.startsWith('/') && !configured.startsWith('//') ? `${issuer}${configured}` : configured, params, `${issuer}/`);
    return /^https?:/.test(url) ? url : null;
  } catch {
    return null;
  }
}
