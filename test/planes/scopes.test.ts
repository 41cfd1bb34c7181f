import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '../../src/routes.js';
import { mountedUrl, type RouteSpec } from '../../src/platform/http/route-table.js';
import { SCOPE_RESOURCES, scopeNames } from '../../src/keys/scopes.js';
import { pathFor } from '../helpers/routes.js';
import { bearer, createTestContext, dialectName, seedTenant, type TestContext } from '../helpers/context.js';

// The scope half of the authorization matrix: every management- and project-plane route that takes
// a key is called with a key of each single scope. Only a key holding the route's scope (or the
// `write` of its resource) gets past the credential check; every other one gets Ory's 403 naming the
// scope the route needs, before the handler runs.

const keyed = (spec: RouteSpec) => spec.credential === 'management' || spec.credential === 'project';
const kindOf = (spec: RouteSpec) => (spec.credential === 'project' ? 'project' : 'workspace');

function grants(scope: string, needed: string): boolean {
  if (scope === needed) return true;
  const [resource, level] = scope.split(':');
  return level === 'write' && needed === `${resource}:read`;
}

describe(`scoped keys × every route (${dialectName()})`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('declares a known scope on every route that takes a key', () => {
    const problems: string[] = [];
    for (const spec of allRoutes(ctx.registry).filter(keyed)) {
      const known = scopeNames(kindOf(spec));
      if (!spec.scope || !known.includes(spec.scope)) problems.push(`${spec.method} ${spec.url}: scope ${spec.scope ?? '(none)'}`);
    }
    expect(problems).toEqual([]);
  });

  it('lets a key through only with the scope the route declares', async () => {
    const failures: string[] = [];
    for (const spec of allRoutes(ctx.registry).filter(keyed)) {
      // A fresh tenant per route: a destructive call (purge, delete) cannot affect the next route.
      const t = await seedTenant(ctx.registry, 'scoped');
      const kind = kindOf(spec);
      const owner = kind === 'project' ? { kind, workspaceId: t.workspaceId, projectId: t.projectId } as const : { kind, workspaceId: t.workspaceId } as const;
      // Keys that lack the scope first, so the one call that passes runs last.
      const scopes = scopeNames(kind).sort((x, y) => Number(grants(x, spec.scope!)) - Number(grants(y, spec.scope!)));
      for (const scope of scopes) {
        const key = await ctx.registry.keys.issue(owner, { name: scope, ownerId: t.userId, scopes: [scope] });
        const body = ['POST', 'PUT', 'PATCH'].includes(spec.method) ? {} : undefined;
        const res = await ctx.app.inject({ method: spec.method as 'GET', url: pathFor(spec, t), headers: bearer(key.value), payload: body });
        const label = `${spec.method} ${mountedUrl(spec)} (needs ${spec.scope}) with ${scope}: got ${res.statusCode}`;
        if (res.statusCode >= 500) failures.push(`${label} (server error)`);
        const refusedForScope = res.statusCode === 403 && res.json().error?.details?.required_scope === spec.scope;
        if (grants(scope, spec.scope!)) {
          if (refusedForScope || res.statusCode === 401) failures.push(`${label}, want the call to pass`);
        } else if (!refusedForScope || !res.json().error.message.includes(spec.scope)) {
          failures.push(`${label}, want 403 naming ${spec.scope}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 600_000);

  it('names every scope resource of the issue and nothing else', () => {
    expect(SCOPE_RESOURCES.workspace).toEqual(['workspace', 'projects', 'members', 'organizations', 'api_keys']);
    expect(SCOPE_RESOURCES.project).toEqual(['identities', 'sessions', 'oauth2', 'relationships', 'courier', 'api_keys']);
  });
});
