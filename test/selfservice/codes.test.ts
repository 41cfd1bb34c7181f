import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectName } from '../helpers/context.js';
import { Client, codeOf, createTestContext, GOOD_PASSWORD, lastMessage, loginNative, messageIds, node, randomEmail, registerNative, seedTenant, type Tenant, type TestContext } from './helpers.js';

describe(`recovery and verification by code (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  let c: Client;
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry, 'codes');
    c = new Client(ctx, t.projectSlug);
  });
  afterAll(() => {
    ctx.registry.selfservice.now = () => Date.now();
    return ctx.close();
  });

  async function sendRecovery(email: string) {
    const flow = (await c.get('/self-service/recovery/api')).json();
    expect(flow.ui.nodes.map((n: any) => n.attributes.name)).toEqual(['csrf_token', 'email', 'method']);
    const sent = await c.post(`/self-service/recovery?flow=${flow.id}`, { method: 'code', email });
    expect(sent.statusCode, sent.body).toBe(200);
    return sent.json();
  }

  it('recovers an account: code from the outbox, logged in, settings flow next, other sessions ended', async () => {
    const email = randomEmail('rec');
    const reg = await registerNative(c, email);
    const flow = await sendRecovery(email);
    expect(flow.state).toBe('sent_email');
    expect(flow.ui.action).toMatch(new RegExp(`/self-service/recovery\\?flow=${flow.id}$`));
    expect(messageIds(flow)).toEqual([1060003]);
    expect(node(flow, 'code')).toMatchObject({ group: 'code', attributes: { type: 'text', required: true, autocomplete: 'one-time-code' } });
    const msg = await lastMessage(ctx, t, email);
    expect(msg?.template_type).toBe('recovery_code_valid');
    const code = codeOf(msg?.body);
    expect(code).toMatch(/^\d{6}$/);
    // The code is stored hashed: it is nowhere in the flow row.
    const row = await ctx.registry.db.selectFrom('selfservice_flows').selectAll().where('id', '=', flow.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(code!);

    const res = await c.post(`/self-service/recovery?flow=${flow.id}`, { method: 'code', code });
    expect(res.statusCode, res.body).toBe(200);
    const done = res.json();
    expect(done.state).toBe('passed_challenge');
    expect(done.ui.action).toContain(`?flow=${flow.id}`);
    const setToken = done.continue_with.find((x: any) => x.action === 'set_ory_session_token');
    const settings = done.continue_with.find((x: any) => x.action === 'show_settings_ui');
    expect(setToken.ory_session_token).toMatch(/^ory_st_/);
    // The token is shown once: reading the flow again does not reveal it.
    expect(JSON.stringify((await c.get(`/self-service/recovery/flows?id=${flow.id}`)).json())).not.toContain(setToken.ory_session_token);
    const sf = await c.get(`/self-service/settings/flows?id=${settings.flow.id}`, { 'x-session-token': setToken.ory_session_token });
    expect(sf.statusCode).toBe(200);
    expect(messageIds(sf.json())).toEqual([1060001]);
    // The old session (from registration) was revoked.
    expect((await c.get('/sessions/whoami', { 'x-session-token': reg.session_token })).statusCode).toBe(401);
    // Set a new password within the privileged window.
    const pw = await c.post(`/self-service/settings?flow=${settings.flow.id}`, { method: 'password', password: 'recovered passphrase 123' }, { 'x-session-token': setToken.ory_session_token });
    expect(pw.statusCode, pw.body).toBe(200);
    expect((await loginNative(c, email, 'recovered passphrase 123')).statusCode).toBe(200);
    // The code is single-use.
    const again = await c.post(`/self-service/recovery?flow=${flow.id}`, { method: 'code', code });
    expect(again.statusCode).toBe(400);
  });

  it('answers the same for unknown addresses and sends nothing', async () => {
    const ghost = randomEmail('ghost');
    const flow = await sendRecovery(ghost);
    expect(flow.state).toBe('sent_email');
    expect(messageIds(flow)).toEqual([1060003]);
    expect(await lastMessage(ctx, t, ghost)).toBeUndefined();
    const res = await c.post(`/self-service/recovery?flow=${flow.id}`, { method: 'code', code: '123456' });
    expect(res.statusCode).toBe(400);
    expect(messageIds(res.json(), 'code')).toEqual([4060006]);
  });

  it('sends no recovery code to a deactivated identity', async () => {
    const email = randomEmail('inactive');
    const reg = await registerNative(c, email);
    const res = await ctx.app.inject({ method: 'PATCH', url: `/p/${t.projectSlug}/admin/identities/${reg.identity.id}`, headers: { authorization: `Bearer ${t.projectKey}` }, payload: [{ op: 'replace', path: '/state', value: 'inactive' }] });
    expect(res.statusCode, res.body).toBe(200);
    const before = (await lastMessage(ctx, t, email))?.template_type;
    const flow = await sendRecovery(email);
    expect(flow.state).toBe('sent_email');
    expect((await lastMessage(ctx, t, email))?.template_type).toBe(before);
  });

  it('limits wrong attempts: after 5 the right code no longer works', async () => {
    const email = randomEmail('attempts');
    await registerNative(c, email);
    const flow = await sendRecovery(email);
    const code = codeOf((await lastMessage(ctx, t, email))?.body)!;
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) {
      const res = await c.post(`/self-service/recovery?flow=${flow.id}`, { method: 'code', code: wrong });
      expect(res.statusCode).toBe(400);
      expect(messageIds(res.json(), 'code')).toEqual([4060006]);
    }
    const right = await c.post(`/self-service/recovery?flow=${flow.id}`, { method: 'code', code });
    expect(right.statusCode).toBe(400);
    // Re-sending a code starts over.
    await c.post(`/self-service/recovery?flow=${flow.id}`, { method: 'code', email });
    const fresh = codeOf((await lastMessage(ctx, t, email))?.body)!;
    expect((await c.post(`/self-service/recovery?flow=${flow.id}`, { method: 'code', code: fresh })).statusCode).toBe(200);
  });

  it('codes expire with the flow (410 with a replacement flow)', async () => {
    const email = randomEmail('expire');
    await registerNative(c, email);
    const flow = await sendRecovery(email);
    const code = codeOf((await lastMessage(ctx, t, email))?.body)!;
    ctx.registry.selfservice.now = () => Date.now() + 2 * 3600_000;
    try {
      const res = await c.post(`/self-service/recovery?flow=${flow.id}`, { method: 'code', code });
      expect(res.statusCode).toBe(410);
      const body = res.json();
      expect(body.error).toMatchObject({ code: 410, id: 'self_service_flow_expired' });
      expect(body.use_flow_id).toMatch(/^[0-9a-f-]{36}$/);
      const replacement = (await c.get(`/self-service/recovery/flows?id=${body.use_flow_id}`)).json();
      expect(messageIds(replacement)).toEqual([4060005]);
      expect((await c.get(`/self-service/recovery/flows?id=${flow.id}`)).statusCode).toBe(410);
    } finally {
      ctx.registry.selfservice.now = () => Date.now();
    }
  });

  it('verifies an address by code; the code cannot be replayed', async () => {
    const email = randomEmail('verify');
    const reg = await registerNative(c, email);
    expect(reg.identity.verifiable_addresses[0]).toMatchObject({ value: email, verified: false });
    // Registration already sent a code and points to the verification flow.
    const next = reg.continue_with.find((x: any) => x.action === 'show_verification_ui');
    expect(next.flow.verifiable_address).toBe(email);
    const first = await lastMessage(ctx, t, email);
    expect(first?.template_type).toBe('verification_code_valid');

    // A fresh verification flow started by the user.
    const flow = (await c.get('/self-service/verification/api')).json();
    const sent = await c.post(`/self-service/verification?flow=${flow.id}`, { method: 'code', email });
    expect(sent.statusCode).toBe(200);
    expect(messageIds(sent.json())).toEqual([1080003]);
    const code = codeOf((await lastMessage(ctx, t, email))?.body)!;
    const bad = await c.post(`/self-service/verification?flow=${flow.id}`, { method: 'code', code: code === '999999' ? '888888' : '999999' });
    expect(bad.statusCode).toBe(400);
    expect(messageIds(bad.json(), 'code')).toEqual([4070006]);
    const ok = await c.post(`/self-service/verification?flow=${flow.id}`, { method: 'code', code });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().state).toBe('passed_challenge');
    expect(messageIds(ok.json())).toEqual([1080002]);
    const who = (await c.get('/sessions/whoami', { 'x-session-token': reg.session_token })).json();
    expect(who.identity.verifiable_addresses[0]).toMatchObject({ value: email, verified: true, status: 'completed' });
    const replay = await c.post(`/self-service/verification?flow=${flow.id}`, { method: 'code', code });
    expect(replay.statusCode).toBe(400);
    expect(messageIds(replay.json())).toEqual([4070002]);
    // The code sent at registration works on its own flow.
    const regCode = codeOf(first?.body)!;
    const viaReg = await c.post(`/self-service/verification?flow=${next.flow.id}`, { method: 'code', code: regCode });
    expect(viaReg.statusCode, viaReg.body).toBe(200);
  });

  it('recovery in a browser with JSON: 422 browser_location_change_required and the session cookie', async () => {
    const email = randomEmail('recbrowser');
    await registerNative(c, email);
    const b = new Client(ctx, t.projectSlug);
    const flow = (await b.get('/self-service/recovery/browser')).json();
    const csrf = node(flow, 'csrf_token').attributes.value;
    expect((await b.post(`/self-service/recovery?flow=${flow.id}`, { csrf_token: csrf, method: 'code', email })).statusCode).toBe(200);
    const code = codeOf((await lastMessage(ctx, t, email))?.body)!;
    const res = await b.post(`/self-service/recovery?flow=${flow.id}`, { csrf_token: csrf, method: 'code', code });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().error.id).toBe('browser_location_change_required');
    expect(res.json().redirect_browser_to).toContain('/self-service/settings/flows?id=');
    expect(b.jar.get('ory_kratos_session')).toMatch(/^ory_st_/);
    const settingsId = new URL(res.json().redirect_browser_to).searchParams.get('id');
    const sf = await b.get(`/self-service/settings/flows?id=${settingsId}`);
    expect(sf.statusCode).toBe(200);
    expect(sf.json().type).toBe('browser');
    expect(GOOD_PASSWORD).toBeTruthy();
  });
});
