import { randomUUID } from 'node:crypto';
import { mountedUrl, type RouteSpec } from '../../src/platform/http/route-table.js';
import { bearer, type Tenant } from './context.js';

/**
 * A route's path for tenant `t`: tenant params with `t`'s ids, every other param with `other`
 * (a fresh random UUID unless given).
 */
export function pathFor(spec: RouteSpec, t: Tenant, other?: string): string {
  // `:key_id(^[^:/]+)::rotate`: a param with a regex, then an escaped literal colon.
  const template = mountedUrl(spec).replace(/\([^)]*\)/g, '').replace(/::/g, '\u0000');
  return template.replace(/:([A-Za-z_]+)/g, (_m, name: string) => {
    if (name === 'slug') return t.projectSlug;
    if (name === 'workspace') return t.workspaceId;
    if (name === 'project' || name === 'project_id') return t.projectId;
    return other ?? randomUUID();
  }).replace(/\u0000/g, ':');
}

/** The credential of tenant `t` that a route accepts (none for routes that need none). */
export function credentialFor(spec: RouteSpec, t: Tenant): Record<string, string> {
  if (spec.credential === 'project') return bearer(t.projectKey);
  if (spec.credential === 'management') return bearer(t.workspaceKey);
  return {};
}
