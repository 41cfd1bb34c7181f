import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectName } from '../helpers/context.js';
import { Client, createTestContext, GOOD_PASSWORD, loginNative, messageIds, node, randomEmail, registerNative, seedTenant, type Tenant, type TestContext } from './helpers.js';

describe(`native registration and login (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  let c: Client;
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry, 'native');
    c = new Client(ctx, t.projectSlug);
  });
  afterAll(() => ctx.close());

  it('creates a registration flow with Ory ui nodes', async () => {
    const res = await c.get('/self-service/registration/api');
    expect(res.statusCode).toBe(200);
    const flow = res.json();
    expect(flow.type).toBe('api');
    expect(flow.state).toBe('choose_method');
    expect(flow.ui.method).toBe('POST');
    expect(flow.ui.action).toContain(`/p/${t.projectSlug}/self-service/registration?flow=${flow.id}`);
    expect(Date.parse(flow.expires_at) - Date.parse(flow.issued_at)).toBe(3600_000);
    const names = flow.ui.nodes.map((n: any) => `${n.group}:${n.attributes.name}:${n.attributes.type}`);
    expect(names).toEqual(['default:csrf_token:hidden', 'default:traits.email:email', 'password:password:password', 'password:method:submit']);
    expect(node(flow, 'traits.email')).toMatchObject({ type: 'input', attributes: { required: true, autocomplete: 'email', node_type: 'input', disabled: false }, meta: { label: { id: 1070002, text: 'E-Mail', type: 'info' } } });
    expect(node(flow, 'csrf_token').attributes.value).toBe('');
    const submit = flow.ui.nodes.find((n: any) => n.attributes.type === 'submit');
    expect(submit.meta.label).toMatchObject({ id: 1040001, text: 'Sign up' });
  });

  it('registers with a password and returns a usable session token', async () => {
    const email = randomEmail();
    const out = await registerNative(c, email);
    expect(out.identity.traits).toEqual({ email });
    expect(out.session.identity.id).toBe(out.identity.id);
    expect(out.session_token).toMatch(/^ory_st_/);
    expect(out.continue_with[0]).toEqual({ action: 'set_ory_session_token', ory_session_token: out.session_token });
    expect(out.continue_with.some((x: any) => x.action === 'show_verification_ui')).toBe(true);
    const who = await c.get('/sessions/whoami', { 'x-session-token': out.session_token });
    expect(who.statusCode).toBe(200);
    expect(who.json().identity.id).toBe(out.identity.id);
  });

  it('shows field messages for invalid registrations (400 with the flow)', async () => {
    const flow = (await c.get('/self-service/registration/api')).json();
    const res = await c.post(`/self-service/registration?flow=${flow.id}`, { method: 'password', traits: { email: 'not-an-email' } });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.id).toBe(flow.id);
    expect(messageIds(body, 'traits.email')).toEqual([4000001]);
    expect(messageIds(body, 'password')).toEqual([4000002]);
    expect(node(body, 'traits.email').attributes.value).toBe('not-an-email');

    const missing = await c.post(`/self-service/registration?flow=${flow.id}`, { method: 'password', password: GOOD_PASSWORD, traits: {} });
    expect(missing.statusCode).toBe(400);
    expect(messageIds(missing.json(), 'traits.email')).toEqual([4000002]);
    expect(JSON.stringify(missing.json())).not.toContain(GOOD_PASSWORD);

    const array = await c.post(`/self-service/registration?flow=${flow.id}`, { method: 'password', password: GOOD_PASSWORD, traits: [] });
    expect(array.statusCode).toBe(400);
    expect(array.json().ui.messages).toEqual([expect.objectContaining({ id: 4000026, text: 'expected object, but got array', context: { allowed_types: ['object'], actual_type: 'array' } })]);
  });

  it('refuses a duplicate identifier with 4000007', async () => {
    const email = randomEmail();
    await registerNative(c, email);
    const flow = (await c.get('/self-service/registration/api')).json();
    const res = await c.post(`/self-service/registration?flow=${flow.id}`, { method: 'password', password: GOOD_PASSWORD, traits: { email: email.toUpperCase() } });
    expect(res.statusCode).toBe(400);
    expect(messageIds(res.json())).toEqual([4000007]);
  });

  it('logs in with the password and refuses wrong credentials with 4000006', async () => {
    const email = randomEmail();
    const reg = await registerNative(c, email);
    const ok = await loginNative(c, email, GOOD_PASSWORD);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().session.identity.id).toBe(reg.identity.id);
    expect(ok.json().session.authentication_methods[0].method).toBe('password');
    expect(ok.json().session_token).toMatch(/^ory_st_/);

    const bad = await loginNative(c, email, 'wrong password 123');
    expect(bad.statusCode).toBe(400);
    expect(messageIds(bad.json())).toEqual([4000006]);
    expect(node(bad.json(), 'identifier').attributes.value).toBe(email);
    expect(node(bad.json(), 'password').attributes.value).toBeUndefined();

    const unknown = await loginNative(c, randomEmail('ghost'), GOOD_PASSWORD);
    expect(unknown.statusCode).toBe(400);
    expect(messageIds(unknown.json())).toEqual([4000006]);
  });

  it('completes a flow once: a replayed submission is refused', async () => {
    const email = randomEmail();
    await registerNative(c, email);
    const flow = (await c.get('/self-service/login/api')).json();
    const body = { method: 'password', identifier: email, password: GOOD_PASSWORD };
    expect((await c.post(`/self-service/login?flow=${flow.id}`, body)).statusCode).toBe(200);
    const again = await c.post(`/self-service/login?flow=${flow.id}`, body);
    expect(again.statusCode).toBe(400);
    expect(messageIds(again.json())).toEqual([4010007]);
  });

  it('answers malformed requests with clear 4xx, never 500', async () => {
    const flow = (await c.get('/self-service/login/api')).json();
    const cases: [string, string, unknown][] = [
      ['POST', '/self-service/login', { method: 'password' }],
      ['POST', '/self-service/login?flow=not-a-uuid', { method: 'password' }],
      ['POST', `/self-service/login?flow=${crypto.randomUUID()}`, { method: 'password' }],
      ['POST', `/self-service/login?flow=${flow.id}`, { method: 'totp' }],
      ['POST', `/self-service/login?flow=${flow.id}`, { method: 'password', identifier: 42, password: ['x'] }],
      ['POST', `/self-service/login?flow=${flow.id}`, 'just a string'],
      ['POST', `/self-service/registration?flow=${flow.id}`, { method: 'password' }],
      ['GET', '/self-service/login/flows', undefined],
      ['GET', '/self-service/login/flows?id=nope', undefined],
      ['GET', `/self-service/registration/flows?id=${flow.id}`, undefined],
      ['GET', '/self-service/errors?id=zzz', undefined],
      ['DELETE', '/self-service/logout/api', {}],
      ['DELETE', '/self-service/logout/api', { session_token: 'ory_st_nope' }],
      ['GET', '/self-service/logout?token=abc.def', undefined],
      ['GET', '/self-service/login/api?return_to=https://evil.example/x', undefined],
    ];
    for (const [method, path, json] of cases) {
      const res = await c.req(method as 'GET', path, json === undefined ? {} : { json });
      expect(res.statusCode, `${method} ${path}: ${res.body}`).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, `${method} ${path}: ${res.body}`).toBeLessThan(500);
      const body = res.json();
      expect(body.error?.code ?? (body.ui ? 400 : undefined), `${method} ${path}`).toBe(res.statusCode);
    }
    const noStrategy = await c.post(`/self-service/login?flow=${flow.id}`, { method: 'totp' });
    expect(messageIds(noStrategy.json())).toEqual([4010002]);
    const raw = await ctx.app.inject({ method: 'POST', url: `/p/${t.projectSlug}/self-service/login?flow=${flow.id}`, headers: { 'content-type': 'application/json' }, payload: '{"method":' });
    expect(raw.statusCode).toBe(400);
  });

  it('concurrent submissions of one registration flow create one identity', async () => {
    const flow = (await c.get('/self-service/registration/api')).json();
    const results = await Promise.all(
      [0, 1, 2, 3].map((i) => c.post(`/self-service/registration?flow=${flow.id}`, { method: 'password', password: GOOD_PASSWORD, traits: { email: randomEmail(`race${i}`) } })),
    );
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.statusCode !== 200)) expect(messageIds(r.json())).toEqual([4040002]);
  });
});

describe(`what end users see (${dialectName()})`, () => {
  it('never shows credentials, admin metadata or hashes in flow responses', async () => {
    const ctx = await createTestContext();
    try {
      const t = await seedTenant(ctx.registry, 'public');
      const c = new Client(ctx, t.projectSlug);
      const email = randomEmail('pub');
      const reg = await registerNative(c, email);
      const patched = await ctx.app.inject({ method: 'PATCH', url: `/p/${t.projectSlug}/admin/identities/${reg.identity.id}`, headers: { authorization: `Bearer ${t.projectKey}` }, payload: [{ op: 'add', path: '/metadata_admin', value: { secret: 'internal-note' } }] });
      expect(patched.statusCode, patched.body).toBe(200);
      const login = await loginNative(c, email, GOOD_PASSWORD);
      const settings = await c.get('/self-service/settings/api', { 'x-session-token': login.json().session_token });
      for (const body of [JSON.stringify(reg), login.body, settings.body]) {
        expect(body).not.toContain('hashed_password');
        expect(body).not.toContain('$argon2');
        expect(body).not.toContain('internal-note');
        expect(body).not.toContain('"credentials"');
        expect(body).not.toContain(GOOD_PASSWORD);
      }
    } finally {
      await ctx.close();
    }
  });
});
