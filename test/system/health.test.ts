import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestContext, dialectName, seedTenant, type TestContext } from '../helpers/context.js';

describe(`health and metrics (${dialectName()})`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('reports alive and ready', async () => {
    expect((await ctx.app.inject({ method: 'GET', url: '/health/alive' })).json()).toEqual({ status: 'ok' });
    expect((await ctx.app.inject({ method: 'GET', url: '/health/ready' })).json()).toEqual({ status: 'ok' });
  });

  it('answers health on project hosts too', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/health/alive', headers: { host: 'whatever.projects.gatehouse.test' } });
    expect(res.statusCode).toBe(200);
    // ...but not the metrics, which are for operators.
    expect((await ctx.app.inject({ method: 'GET', url: '/metrics', headers: { host: 'whatever.projects.gatehouse.test' } })).statusCode).toBe(404);
  });

  it('exposes Prometheus metrics by route template, never by raw URL', async () => {
    const t = await seedTenant(ctx.registry);
    await ctx.app.inject({ method: 'GET', url: `/projects/${t.projectId}`, headers: bearer(t.workspaceKey) });
    const res = await ctx.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('gatehouse_http_request_duration_seconds_bucket');
    expect(res.body).toContain('route="/projects/:project_id"');
    expect(res.body).not.toContain(t.projectId);
    expect(res.body).toContain('gatehouse_process_cpu_seconds_total');
  });

  it('is not ready when the store is gone', async () => {
    const other = await createTestContext();
    await other.registry.store.close();
    const res = await other.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(503);
    await other.app.close();
  });
});
