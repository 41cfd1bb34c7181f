import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '../../src/routes.js';
import { mountedUrl, type RouteSpec } from '../../src/platform/http/route-table.js';
import { pathFor } from '../helpers/routes.js';
import { bearer, createTestContext, dialectName, seedTenant, type Tenant, type TestContext } from '../helpers/context.js';
import { signUp, type ConsoleUser } from './helpers.js';

// How the console reaches a project's data: the project plane's admin routes accept the console
// session of a member of the project's workspace, with the role the route's scope needs. Generated
// from the route table, so a new project route is covered the day it is added.

type Who = 'owner' | 'developer' | 'viewer' | 'outsider';

describe(`console sessions × project admin routes (${dialectName()})`, () => {
  let ctx: TestContext;
  let tenant: Tenant;
  let people: Record<Who, ConsoleUser>;
  let routes: RouteSpec[];

  beforeAll(async () => {
    ctx = await createTestContext();
    tenant = await seedTenant(ctx.registry, 'console-project');
    const [owner, developer, viewer, outsider] = await Promise.all(['owner', 'developer', 'viewer', 'outsider'].map((l) => signUp(ctx.app, `pp-${l}`)));
    people = { owner, developer, viewer, outsider };
    const now = new Date().toISOString();
    for (const who of ['owner', 'developer', 'viewer'] as const) {
      await ctx.registry.db.insertInto('workspace_members').values({ workspace_id: tenant.workspaceId, user_id: people[who].userId, role: who, created_at: now }).execute();
    }
    // The outsider owns a workspace of their own: membership elsewhere opens nothing here.
    await ctx.registry.tenancy.workspaces.createOwnedBy(outsider.userId, 'Elsewhere');
    routes = allRoutes(ctx.registry).filter((r) => r.plane === 'project' && r.credential === 'project');
  });
  afterAll(() => ctx.close());

  it('lets members through with the role the route needs, and nobody else', async () => {
    expect(routes.length).toBeGreaterThan(50);
    const failures: string[] = [];
    for (const spec of routes) {
      const writes = !spec.scope?.endsWith(':read');
      const body = ['POST', 'PUT', 'PATCH'].includes(spec.method) ? {} : undefined;
      for (const who of ['owner', 'developer', 'viewer', 'outsider'] as Who[]) {
        const res = await ctx.app.inject({ method: spec.method as 'GET', url: pathFor(spec, tenant), headers: people[who].headers, ...(body ? { payload: body } : {}) });
        const label = `${spec.method} ${mountedUrl(spec)} as ${who}: got ${res.statusCode}`;
        if (res.statusCode >= 500) failures.push(`${label} (server error)`);
        else if (who === 'outsider') {
          if (res.statusCode !== 401) failures.push(`${label}, want 401 as for an unknown key`);
        } else if (who === 'viewer' && writes) {
          if (res.statusCode !== 403 || !res.json().error?.reason?.includes('developer role')) failures.push(`${label}, want 403 for the role`);
        } else if ([401, 403].includes(res.statusCode)) failures.push(`${label}, want the call to pass authentication`);
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it('shows a member the project data a project key sees, through the same API', async () => {
    const created = await ctx.app.inject({ method: 'POST', url: `/p/${tenant.projectSlug}/admin/identities`, headers: bearer(tenant.projectKey), payload: { schema_id: 'preset://email', traits: { email: `seen-${Date.now()}@example.com` } } });
    expect(created.statusCode).toBe(201);
    const viaSession = await ctx.app.inject({ method: 'GET', url: `/p/${tenant.projectSlug}/admin/identities/${created.json().id}`, headers: { cookie: people.viewer.cookie } });
    expect(viaSession.statusCode).toBe(200);
    expect(viaSession.json().traits).toEqual(created.json().traits);
  });

  it('refuses a change without the CSRF token, and makes none', async () => {
    const url = `/p/${tenant.projectSlug}/admin/identities`;
    const before = (await ctx.app.inject({ method: 'GET', url, headers: bearer(tenant.projectKey) })).json().length;
    for (const csrf of [undefined, 'forged', people.developer.csrf]) {
      const headers: Record<string, string> = { cookie: people.owner.cookie, ...(csrf ? { 'x-csrf-token': csrf } : {}) };
      const res = await ctx.app.inject({ method: 'POST', url, headers, payload: { schema_id: 'preset://email', traits: { email: `csrf-${Date.now()}@example.com` } } });
      expect(res.statusCode, `CSRF ${csrf ?? 'missing'}`).toBe(403);
      expect(res.json().error.id).toBe('security_csrf_violation');
    }
    expect((await ctx.app.inject({ method: 'GET', url, headers: bearer(tenant.projectKey) })).json().length).toBe(before);
  });

  it('gives a member of another project’s workspace the answer for an unknown key', async () => {
    const other = await seedTenant(ctx.registry, 'console-elsewhere');
    const res = await ctx.app.inject({ method: 'GET', url: `/p/${other.projectSlug}/admin/identities`, headers: { cookie: people.owner.cookie } });
    const unknown = await ctx.app.inject({ method: 'GET', url: `/p/${other.projectSlug}/admin/identities`, headers: { cookie: 'gatehouse_console_session=nope' } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.reason).toBe(unknown.json().error.reason);
  });
});
