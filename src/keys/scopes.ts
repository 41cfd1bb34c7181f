import type { Scope } from '../platform/http/route-table.js';
import type { KeyKind } from './format.js';

/**
 * What a scoped key may be granted, by key kind. A scope is `{resource}:{read|write}`; `write`
 * implies `read`. Every management- and project-plane route names the scope it needs (src/routes.ts).
 */
export const SCOPE_RESOURCES: Record<KeyKind, readonly string[]> = {
  // `projects` includes their config; `api_keys` are the workspace's and its projects' Gatehouse keys.
  workspace: ['workspace', 'projects', 'members', 'organizations', 'api_keys'],
  // `relationships` are the tuples (check and expand count as read); `api_keys` the project's /v2alpha1 keys.
  project: ['identities', 'sessions', 'oauth2', 'relationships', 'courier', 'api_keys'],
};

export const MAX_SCOPES = 64;

/** Every scope name a key of `kind` can hold, for documentation and the console's form. */
export function scopeNames(kind: KeyKind): Scope[] {
  return SCOPE_RESOURCES[kind].flatMap((r) => [`${r}:read`, `${r}:write`] as Scope[]);
}

/**
 * Checks the scopes asked for a new key of `kind`: the sorted, de-duplicated list, or the problem
 * naming the first unknown scope.
 */
export function parseScopes(kind: KeyKind, scopes: readonly string[]): Scope[] | string {
  const known = new Set<string>(scopeNames(kind));
  for (const s of scopes) {
    if (!known.has(s)) return `unknown scope ${JSON.stringify(s.slice(0, 80))} for a ${kind} key; the scopes are ${[...known].join(', ')}`;
  }
  return [...new Set(scopes)].sort() as Scope[];
}

/** The scopes a grant satisfies: each `write` also grants its `read`. */
export function expandScopes(granted: readonly string[]): ReadonlySet<string> {
  const all = new Set<string>(granted);
  for (const s of granted) if (s.endsWith(':write')) all.add(`${s.slice(0, -':write'.length)}:read`);
  return all;
}
