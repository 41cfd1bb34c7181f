import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectName } from '../helpers/context.js';
import { Client, codeOf, createTestContext, GOOD_PASSWORD, lastMessage, node, randomEmail, registerNative, seedTenant, type Tenant, type TestContext } from './helpers.js';

// Flows, CSRF tokens and logout tokens made before the flow secrets moved to secretHash carry the
// old hex HMAC form: they keep working until they expire.

describe(`flow secrets made in the legacy form (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  const legacy = (label: string, ...parts: string[]) => createHmac('sha256', ctx.registry.config.secret).update(`${label}\u0000${parts.join('\u0000')}`).digest('hex');
  const legacyToken = (label: string, ...parts: string[]) => Buffer.from(legacy(label, ...parts), 'hex').toString('base64url');
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry, 'legacy-secrets');
  });
  afterAll(() => ctx.close());

  it('accepts a browser flow bound, and a CSRF token and a logout token made, the old way', async () => {
    const c = new Client(ctx, t.projectSlug);
    const flow = (await c.get('/self-service/registration/browser')).json();
    const [cookieName, cookie] = [...c.jar].find(([k]) => k.startsWith('csrf_token_'))!;
    expect(cookieName).toBeTruthy();
    await ctx.registry.db.updateTable('selfservice_flows').set({ csrf_binding: legacy('csrf-binding', t.projectId, cookie) }).where('id', '=', flow.id).execute();
    expect((await c.get(`/self-service/registration/flows?id=${flow.id}`)).statusCode).toBe(200);
    const email = randomEmail('legacy');
    const res = await c.post(`/self-service/registration?flow=${flow.id}`, { csrf_token: legacyToken('csrf-token', t.projectId, flow.id, cookie), method: 'password', traits: { email }, password: GOOD_PASSWORD });
    expect(res.statusCode, res.body).toBe(200);
    const sessionId = res.json().session.id;
    const token = `${Buffer.from(sessionId).toString('base64url')}.${legacyToken('logout', t.projectId, sessionId)}`;
    expect((await c.get(`/self-service/logout?token=${encodeURIComponent(token)}`)).statusCode).toBe(204);
    expect((await c.get('/sessions/whoami')).statusCode).toBe(401);
  });

  it('accepts a code whose hash was stored the old way, once', async () => {
    const c = new Client(ctx, t.projectSlug);
    const email = randomEmail('legacy-code');
    await registerNative(c, email);
    const flow = (await c.get('/self-service/recovery/api')).json();
    expect((await c.post(`/self-service/recovery?flow=${flow.id}`, { method: 'code', email })).statusCode).toBe(200);
    const code = codeOf((await lastMessage(ctx, t, email))?.body)!;
    await ctx.registry.db.updateTable('selfservice_flows').set({ code_hash: legacy('flow-code', t.projectId, flow.id, code) }).where('id', '=', flow.id).execute();
    const res = await c.post(`/self-service/recovery?flow=${flow.id}`, { method: 'code', code });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().state).toBe('passed_challenge');
    expect(node(res.json(), 'email')).toBeTruthy();
    expect((await c.post(`/self-service/recovery?flow=${flow.id}`, { method: 'code', code })).statusCode).toBe(400);
  });
});
