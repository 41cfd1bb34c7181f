import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { bearer, createTestContext, dialectName, seedTenant, type TestContext, type Tenant } from '../helpers/context.js';
import { Client, GOOD_PASSWORD, loginNative, messageIds, node, patchConfig, randomEmail } from '../selfservice/helpers.js';

// Kratos's admin recovery API (createRecoveryCodeForIdentity, createRecoveryLinkForIdentity): the
// code opens a recovery flow of the project's own self-service machinery.

describe(`admin recovery codes (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  let other: Tenant;
  const admin = (path: string, payload?: unknown, tenant: Tenant = t, headers: Record<string, string> = {}) =>
    ctx.app.inject({ method: 'POST', url: `/p/${tenant.projectSlug}${path}`, headers: { ...bearer(tenant.projectKey), ...headers }, payload: payload as object });
  const newIdentity = async (tenant: Tenant = t) => {
    const email = randomEmail('adminrec');
    const res = await ctx.app.inject({
      method: 'POST', url: `/p/${tenant.projectSlug}/admin/identities`, headers: bearer(tenant.projectKey),
      payload: { schema_id: 'preset://email', traits: { email }, credentials: { password: { config: { password: GOOD_PASSWORD } } } },
    });
    expect(res.statusCode, res.body).toBe(201);
    return { id: res.json().id as string, email };
  };
  const flowIdOf = (link: string) => new URL(link).searchParams.get('flow')!;
  /** An Ory error body without its request id, to compare two answers. */
  const errorOf = (body: string) => {
    const { request: _r, ...rest } = JSON.parse(body).error;
    return rest;
  };

  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry, 'adminrec');
    other = await seedTenant(ctx.registry, 'adminrec-other');
  });
  afterEach(() => {
    ctx.registry.selfservice.now = () => Date.now();
    vi.restoreAllMocks();
  });
  afterAll(() => ctx.close());

  it('creates a browser flow waiting for the code; the code recovers once, logs in and leads to settings', async () => {
    const { id, email } = await newIdentity();
    const before = Date.now();
    const res = await admin('/admin/recovery/code', { identity_id: id });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['cache-control']).toContain('no-store');
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['expires_at', 'recovery_code', 'recovery_link']);
    expect(body.recovery_code).toMatch(/^\d{6}$/);
    const flowId = flowIdOf(body.recovery_link);
    expect(body.recovery_link).toBe(`http://localhost:80/p/${t.projectSlug}/self-service/recovery?flow=${flowId}`);
    // Default lifespan: the project's recovery flow lifespan (1h).
    const expiresAt = Date.parse(body.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3600_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000 + 1000);
    // Stored hashed, like the codes the courier sends.
    const row = await ctx.registry.db.selectFrom('selfservice_flows').selectAll().where('id', '=', flowId).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(body.recovery_code);

    // The user's browser has no cookie of this flow: it reads and submits it without a CSRF token.
    const browser = new Client(ctx, t.projectSlug);
    const flow = await browser.get(`/self-service/recovery/flows?id=${flowId}`);
    expect(flow.statusCode, flow.body).toBe(200);
    expect(flow.json()).toMatchObject({ id: flowId, type: 'browser', state: 'sent_email', active: 'code', expires_at: body.expires_at });
    expect(flow.json().ui.action).toBe(body.recovery_link);
    expect(flow.json().ui.nodes.map((n: any) => n.attributes.name)).toEqual(['code', 'method']);

    const done = await browser.req('POST', `/self-service/recovery?flow=${flowId}`, { form: { method: 'code', code: body.recovery_code }, headers: { accept: 'text/html' } });
    expect(done.statusCode, done.body).toBe(303);
    const settingsLink = done.headers.location as string;
    expect(settingsLink).toMatch(/\/self-service\/settings\/flows\?id=[0-9a-f-]{36}$/);
    expect(browser.jar.get('ory_kratos_session')).toBeTruthy();
    const who = await browser.get('/sessions/whoami');
    expect(who.statusCode).toBe(200);
    expect(who.json()).toMatchObject({ identity: { id }, authentication_methods: [{ method: 'code_recovery' }] });
    const settings = await browser.get(new URL(settingsLink).pathname.replace(`/p/${t.projectSlug}`, '') + new URL(settingsLink).search);
    expect(settings.statusCode, settings.body).toBe(200);
    expect(messageIds(settings.json())).toEqual([1060001]);
    // A new password from the settings flow, with its CSRF token, within the privileged window.
    const csrf = node(settings.json(), 'csrf_token').attributes.value;
    const pw = await browser.req('POST', `/self-service/settings?flow=${settings.json().id}`, { form: { method: 'password', password: 'recovered by the admin 77', csrf_token: csrf } });
    expect(pw.statusCode, pw.body).toBe(200);
    expect((await loginNative(new Client(ctx, t.projectSlug), email, 'recovered by the admin 77')).statusCode).toBe(200);

    // Once only.
    const again = await new Client(ctx, t.projectSlug).post(`/self-service/recovery?flow=${flowId}`, { method: 'code', code: body.recovery_code });
    expect(again.statusCode).toBe(400);
    expect(messageIds(again.json())).toEqual([4060001]);
  });

  it('creates an api flow on request: the code yields a session token and a settings flow', async () => {
    const { id } = await newIdentity();
    const body = (await admin('/admin/recovery/code', { identity_id: id, flow_type: 'api' })).json();
    const c = new Client(ctx, t.projectSlug);
    const res = await c.post(`/self-service/recovery?flow=${flowIdOf(body.recovery_link)}`, { method: 'code', code: body.recovery_code });
    expect(res.statusCode, res.body).toBe(200);
    const token = res.json().continue_with.find((x: any) => x.action === 'set_ory_session_token').ory_session_token;
    const settings = res.json().continue_with.find((x: any) => x.action === 'show_settings_ui');
    expect((await c.get('/sessions/whoami', { 'x-session-token': token })).json().identity.id).toBe(id);
    expect((await c.get(`/self-service/settings/flows?id=${settings.flow.id}`, { 'x-session-token': token })).statusCode).toBe(200);
  });

  it('links to the project recovery UI when one is configured', async () => {
    const tenant = await seedTenant(ctx.registry, 'adminrec-ui');
    await patchConfig(ctx, tenant, [{ op: 'add', path: '/services/identity/config/selfservice/flows/recovery/ui_url', value: 'https://ui.example/recovery' }]);
    const { id } = await newIdentity(tenant);
    const body = (await admin('/admin/recovery/code', { identity_id: id }, tenant)).json();
    expect(body.recovery_link).toBe(`https://ui.example/recovery?flow=${flowIdOf(body.recovery_link)}`);
  });

  it('honours expires_in; an expired code is refused', async () => {
    const { id } = await newIdentity();
    const before = Date.now();
    const body = (await admin('/admin/recovery/code', { identity_id: id, expires_in: '10m', flow_type: 'api' })).json();
    const expiresAt = Date.parse(body.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 600_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 600_000 + 1000);
    expect((await admin('/admin/recovery/code', { identity_id: id, expires_in: '1h30m' })).json().expires_at).toBeDefined();

    ctx.registry.selfservice.now = () => expiresAt + 1000;
    const res = await new Client(ctx, t.projectSlug).post(`/self-service/recovery?flow=${flowIdOf(body.recovery_link)}`, { method: 'code', code: body.recovery_code });
    expect(res.statusCode).toBe(410);
    expect(res.json().error).toMatchObject({ code: 410, id: 'self_service_flow_expired' });
  });

  it('refuses a wrong code and keeps the right one working', async () => {
    const { id } = await newIdentity();
    const body = (await admin('/admin/recovery/code', { identity_id: id, flow_type: 'api' })).json();
    const c = new Client(ctx, t.projectSlug);
    const path = `/self-service/recovery?flow=${flowIdOf(body.recovery_link)}`;
    const wrong = body.recovery_code === '000000' ? '111111' : '000000';
    const res = await c.post(path, { method: 'code', code: wrong });
    expect(res.statusCode).toBe(400);
    expect(messageIds(res.json(), 'code')).toEqual([4060006]);
    expect((await c.post(path, { method: 'code', code: body.recovery_code })).statusCode).toBe(200);
  });

  it('answers 404 for an unknown identity, another project\'s identity, and through another project\'s key alike', async () => {
    const mine = await newIdentity();
    const unknown = await admin('/admin/recovery/code', { identity_id: randomUUID() });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatchObject({ code: 404, status: 'Not Found', id: 'not_found' });
    expect(unknown.json().error.request).toBe(unknown.headers['x-request-id']);
    // Project B's key asking for project A's identity on B's API: the same answer as for an unknown id.
    const foreign = await admin('/admin/recovery/code', { identity_id: mine.id }, other);
    expect(foreign.statusCode).toBe(404);
    expect(errorOf(foreign.body)).toEqual(errorOf(unknown.body));
    // B's identity through A's API, likewise.
    const theirs = await newIdentity(other);
    const crossed = await admin('/admin/recovery/code', { identity_id: theirs.id });
    expect(errorOf(crossed.body)).toEqual(errorOf(unknown.body));
    // B's key on A's API is not a key of A (as for any unknown key).
    const wrongKey = await ctx.app.inject({ method: 'POST', url: `/p/${t.projectSlug}/admin/recovery/code`, headers: bearer(other.projectKey), payload: { identity_id: mine.id } });
    expect(wrongKey.statusCode).toBe(401);
    // Nothing was created for anyone.
    const flows = await ctx.registry.db.selectFrom('selfservice_flows').select('id').where('identity_id', '=', mine.id).execute();
    expect(flows).toEqual([]);
  });

  it('refuses malformed bodies with 400 in Ory\'s shape', async () => {
    const { id } = await newIdentity();
    const cases: [unknown, RegExp?][] = [
      [{}],
      [{ identity_id: 42 }],
      [{ identity_id: 'not-a-uuid' }],
      [[{ identity_id: id }]],
      [{ identity_id: id, expires_in: 'soon' }, /Unable to parse "expires_in"/],
      [{ identity_id: id, expires_in: '1x' }, /Unable to parse "expires_in"/],
      [{ identity_id: id, expires_in: '99999999999h' }, /Unable to parse "expires_in"/],
      [{ identity_id: id, expires_in: '-1h' }, /must result to a future time/],
      [{ identity_id: id, expires_in: '0' }, /must result to a future time/],
      [{ identity_id: id, expires_in: 60 }],
      [{ identity_id: id, flow_type: 'web' }, /Value from "flow_type" is not valid: "web"/],
    ];
    for (const [payload, reason] of cases) {
      const res = await admin('/admin/recovery/code', payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      const error = res.json().error;
      expect(error).toMatchObject({ code: 400, status: 'Bad Request', message: expect.any(String), request: res.headers['x-request-id'] });
      if (reason) expect(error.reason).toMatch(reason);
    }
    const notJson = await admin('/admin/recovery/code', undefined, t, { 'content-type': 'application/json' });
    expect(notJson.statusCode).toBe(400);
    const broken = await ctx.app.inject({ method: 'POST', url: `/p/${t.projectSlug}/admin/recovery/code`, headers: { ...bearer(t.projectKey), 'content-type': 'application/json' }, payload: '{"identity_id":' });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error.code).toBe(400);
  });

  it('answers as Kratos does for a disabled method: links always, codes when the code method is off', async () => {
    const { id } = await newIdentity();
    const link = await admin('/admin/recovery/link', { identity_id: id, expires_in: '1h' });
    expect(link.statusCode).toBe(404);
    expect(link.json().error).toMatchObject({ code: 404, id: 'not_found', reason: expect.stringMatching(/^This endpoint was disabled by system administrator/) });

    const tenant = await seedTenant(ctx.registry, 'adminrec-off');
    await patchConfig(ctx, tenant, [{ op: 'replace', path: '/services/identity/config/selfservice/methods/code/enabled', value: false }]);
    const off = await newIdentity(tenant);
    const res = await admin('/admin/recovery/code', { identity_id: off.id }, tenant);
    expect(res.statusCode).toBe(404);
    expect(errorOf(res.body)).toEqual(errorOf(link.body));
  });

  it('never writes the code to the access log', async () => {
    const lines: string[] = [];
    const logging = await buildApp(ctx.registry, { log: { stream: { write: (s: string) => lines.push(s) }, level: 'debug' } });
    const { id } = await newIdentity();
    const body = (await logging.inject({ method: 'POST', url: `/p/${t.projectSlug}/admin/recovery/code`, headers: bearer(t.projectKey), payload: { identity_id: id } })).json();
    await new Client({ ...ctx, app: logging }, t.projectSlug).post(`/self-service/recovery?flow=${flowIdOf(body.recovery_link)}`, { method: 'code', code: body.recovery_code });
    await logging.close();
    const logged = lines.join('');
    expect(logged).toContain('/admin/recovery/code');
    expect(logged).toContain('/self-service/recovery');
    // Numbers of our own (time, duration, pid, request ids) could hold any six digits by chance.
    const text = logged.replace(/"(time|ms|pid)":[\d.]+/g, '').replace(/"request_id":"[^"]*"/g, '');
    expect(text).not.toContain(body.recovery_code);
  });
});
