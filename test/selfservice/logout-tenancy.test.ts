import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectName } from '../helpers/context.js';
import { Client, createTestContext, GOOD_PASSWORD, node, randomEmail, registerNative, seedTenant, type Tenant, type TestContext } from './helpers.js';

describe(`logout and tenancy (${dialectName()})`, () => {
  let ctx: TestContext;
  let a: Tenant;
  let b: Tenant;
  beforeAll(async () => {
    ctx = await createTestContext();
    a = await seedTenant(ctx.registry, 'tenant-a');
    b = await seedTenant(ctx.registry, 'tenant-b');
  });
  afterAll(() => ctx.close());

  it('native logout revokes the session token', async () => {
    const c = new Client(ctx, a.projectSlug);
    const { session_token } = await registerNative(c, randomEmail('out'));
    const res = await c.req('DELETE', '/self-service/logout/api', { json: { session_token } });
    expect(res.statusCode).toBe(204);
    expect((await c.get('/sessions/whoami', { 'x-session-token': session_token })).statusCode).toBe(401);
    const again = await c.req('DELETE', '/self-service/logout/api', { json: { session_token } });
    expect(again.statusCode).toBe(403);
  });

  it('browser logout: logout URL for the cookie session, then 303 and the cookie cleared', async () => {
    const c = new Client(ctx, a.projectSlug);
    const email = randomEmail('bout');
    await registerNative(new Client(ctx, a.projectSlug), email);
    const flow = (await c.get('/self-service/login/browser')).json();
    expect((await c.post(`/self-service/login?flow=${flow.id}`, { csrf_token: node(flow, 'csrf_token').attributes.value, method: 'password', identifier: email, password: GOOD_PASSWORD })).statusCode).toBe(200);
    expect((await new Client(ctx, a.projectSlug).get('/self-service/logout/browser')).statusCode).toBe(401);
    const lf = await c.get('/self-service/logout/browser?return_to=/bye');
    expect(lf.statusCode).toBe(200);
    const { logout_token, logout_url } = lf.json();
    expect(logout_url).toContain(`/p/${a.projectSlug}/self-service/logout?token=`);
    // A forged token does nothing.
    expect((await c.get(`/self-service/logout?token=${logout_token.slice(0, -2)}xx`, { accept: 'text/html' })).statusCode).toBe(401);
    const out = await c.get(new URL(logout_url).pathname + new URL(logout_url).search, { accept: 'text/html' });
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe('/bye');
    expect(c.jar.has('ory_kratos_session')).toBe(false);
    expect((await c.get('/sessions/whoami')).statusCode).toBe(401);
  });

  it('a session token of project A is useless on project B', async () => {
    const ca = new Client(ctx, a.projectSlug);
    const cb = new Client(ctx, b.projectSlug);
    const { session_token } = await registerNative(ca, randomEmail('cross'));
    expect((await cb.get('/sessions/whoami', { 'x-session-token': session_token })).statusCode).toBe(401);
    expect((await cb.get('/self-service/settings/api', { 'x-session-token': session_token })).statusCode).toBe(401);
    expect((await cb.req('DELETE', '/self-service/logout/api', { json: { session_token } })).statusCode).toBe(403);
    expect((await ca.get('/sessions/whoami', { 'x-session-token': session_token })).statusCode).toBe(200);
  });

  it('a flow id of project A is 404 on project B, for every kind', async () => {
    const ca = new Client(ctx, a.projectSlug);
    const cb = new Client(ctx, b.projectSlug);
    for (const kind of ['registration', 'login', 'recovery', 'verification']) {
      const flow = (await ca.get(`/self-service/${kind}/api`)).json();
      const read = await cb.get(`/self-service/${kind}/flows?id=${flow.id}`);
      expect(read.statusCode, kind).toBe(404);
      expect(read.json().error.code).toBe(404);
      const submit = await cb.post(`/self-service/${kind}?flow=${flow.id}`, { method: 'password' });
      expect(submit.statusCode, kind).toBe(404);
      expect((await ca.get(`/self-service/${kind}/flows?id=${flow.id}`)).statusCode).toBe(200);
    }
    // Exactly the answer for an id that does not exist.
    const ghost = await cb.get(`/self-service/login/flows?id=${crypto.randomUUID()}`);
    expect(ghost.statusCode).toBe(404);
    expect(ghost.json().error.id).toBe('not_found');
    // A flow's kind matters too: a login flow id is not a registration flow.
    const login = (await ca.get('/self-service/login/api')).json();
    expect((await ca.get(`/self-service/registration/flows?id=${login.id}`)).statusCode).toBe(404);
  });

  it("recovery codes only reach the project's own identities", async () => {
    const email = randomEmail('shared');
    await registerNative(new Client(ctx, a.projectSlug), email);
    const cb = new Client(ctx, b.projectSlug);
    const flow = (await cb.get('/self-service/recovery/api')).json();
    expect((await cb.post(`/self-service/recovery?flow=${flow.id}`, { method: 'code', email })).statusCode).toBe(200);
    const res = await ctx.app.inject({ method: 'GET', url: `/p/${b.projectSlug}/admin/courier/messages`, headers: { authorization: `Bearer ${b.projectKey}` } });
    expect(res.json().filter((m: any) => m.recipient === email)).toEqual([]);
  });
});
