import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestContext, seedTenant, type TestContext, type Tenant } from '../helpers/context.js';

describe('management smoke', () => {
  let ctx: TestContext;
  let t: Tenant;
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry);
  });
  afterAll(() => ctx.close());

  it('gets a project with the workspace key', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: `/projects/${t.projectId}`, headers: bearer(t.workspaceKey) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: t.projectId, slug: t.projectSlug, state: 'running' });
  });

  it('refuses without a key in Ory shape', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: `/projects/${t.projectId}` });
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toMatchObject({ code: 401, status: 'Unauthorized' });
    expect(res.json().error.request).toBe(res.headers['x-request-id']);
  });
});
