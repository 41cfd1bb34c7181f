import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestContext, dialectName, seedTenant, type Tenant, type TestContext } from '../helpers/context.js';

// Project plane routing (DESIGN.md §2): `{slug}.projects.{BASE_DOMAIN}` by Host header and the
// `/p/{slug}` alias reach the same project; project keys work for their own project only.

describe(`project plane routing (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  let other: Tenant;
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry);
    other = await seedTenant(ctx.registry, 'other');
  });
  afterAll(() => ctx.close());

  const byAlias = (slug: string, path: string, key?: string) => ctx.app.inject({ method: 'GET', url: `/p/${slug}${path}`, headers: key ? bearer(key) : {} });
  const byHost = (slug: string, path: string, key?: string) =>
    ctx.app.inject({ method: 'GET', url: path, headers: { host: `${slug}.projects.gatehouse.test`, ...(key ? bearer(key) : {}) } });

  it('reaches the same project by Host header and by /p/{slug}', async () => {
    const a = await byAlias(t.projectSlug, '/admin/identities', t.projectKey);
    const b = await byHost(t.projectSlug, '/admin/identities', t.projectKey);
    expect(a.statusCode).toBe(200);
    expect(b.statusCode).toBe(200);
    expect(b.json()).toEqual(a.json());
    const upper = await ctx.app.inject({ method: 'GET', url: '/admin/identities', headers: { host: `${t.projectSlug.toUpperCase()}.PROJECTS.GATEHOUSE.TEST:4000`, ...bearer(t.projectKey) } });
    expect(upper.statusCode).toBe(200);
  });

  it('answers 404 for an unknown slug on both forms, whatever the credential', async () => {
    for (const res of [await byAlias('nope-12345678', '/admin/identities', t.projectKey), await byHost('nope-12345678', '/admin/identities', t.projectKey), await byHost('nope-12345678', '/sessions/whoami')]) {
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe(404);
    }
  });

  it('accepts a project key only on its own project; never a workspace key', async () => {
    expect((await byHost(t.projectSlug, '/admin/identities', other.projectKey)).statusCode).toBe(401);
    expect((await byAlias(t.projectSlug, '/admin/identities', t.workspaceKey)).statusCode).toBe(401);
    expect((await byAlias(t.projectSlug, '/admin/identities')).statusCode).toBe(401);
    expect((await byAlias(other.projectSlug, '/admin/identities', other.projectKey)).statusCode).toBe(200);
  });

  it('does not serve the Management API on a project host, nor project keys on the Management API', async () => {
    expect((await byHost(t.projectSlug, `/projects/${t.projectId}`, t.workspaceKey)).statusCode).toBe(404);
    expect((await ctx.app.inject({ method: 'GET', url: `/projects/${t.projectId}`, headers: bearer(t.projectKey) })).statusCode).toBe(401);
    expect((await ctx.app.inject({ method: 'GET', url: '/workspaces', headers: bearer(t.projectKey) })).statusCode).toBe(401);
  });

  it('applies a config change on the next project-plane request', async () => {
    const schema = { $id: 'https://example.com/customer.json', type: 'object', properties: { traits: { type: 'object', properties: { username: { type: 'string' } } } } };
    const patch = await ctx.app.inject({
      method: 'PATCH',
      url: `/projects/${t.projectId}`,
      headers: bearer(t.workspaceKey),
      payload: [{ op: 'add', path: '/services/identity/config/identity/schemas/-', value: { id: 'customer', url: `base64://${Buffer.from(JSON.stringify(schema)).toString('base64')}` } }],
    });
    expect(patch.statusCode).toBe(200);
    const schemas = await byHost(t.projectSlug, '/schemas');
    expect(schemas.statusCode).toBe(200);
    expect(schemas.json().map((s: { id: string }) => s.id)).toContain('customer');
  });

  it('stops answering at once when the project is purged', async () => {
    const p = (await ctx.app.inject({ method: 'POST', url: '/projects', headers: bearer(t.workspaceKey), payload: { name: 'Short lived', environment: 'dev' } })).json();
    const key = (await ctx.app.inject({ method: 'POST', url: `/projects/${p.id}/tokens`, headers: bearer(t.workspaceKey), payload: { name: 'k' } })).json();
    expect((await byHost(p.slug, '/admin/identities', key.value)).statusCode).toBe(200);
    expect((await ctx.app.inject({ method: 'DELETE', url: `/projects/${p.id}`, headers: bearer(t.workspaceKey) })).statusCode).toBe(204);
    expect((await byHost(p.slug, '/admin/identities', key.value)).statusCode).toBe(404);
    expect((await byAlias(p.slug, '/schemas')).statusCode).toBe(404);
  });
});
