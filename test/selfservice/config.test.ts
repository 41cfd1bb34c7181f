import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectName } from '../helpers/context.js';
import { Client, createTestContext, GOOD_PASSWORD, loginNative, messageIds, node, patchConfig, randomEmail, registerNative, seedTenant, type TestContext } from './helpers.js';

describe(`config effects on the flows (${dialectName()})`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  async function fresh(label: string) {
    const t = await seedTenant(ctx.registry, label);
    return { t, c: new Client(ctx, t.projectSlug) };
  }

  it('password method off: no password nodes, submissions refused', async () => {
    const { t, c } = await fresh('pwoff');
    const email = randomEmail();
    await registerNative(c, email);
    await patchConfig(ctx, t, [{ op: 'replace', path: '/services/identity/config/selfservice/methods/password/enabled', value: false }]);
    const reg = (await c.get('/self-service/registration/api')).json();
    expect(reg.ui.nodes.map((n: any) => n.attributes.name)).toEqual(['csrf_token']);
    const res = await c.post(`/self-service/registration?flow=${reg.id}`, { method: 'password', password: GOOD_PASSWORD, traits: { email: randomEmail() } });
    expect(res.statusCode).toBe(400);
    expect(messageIds(res.json())).toEqual([4010003]);
    const login = await loginNative(c, email, GOOD_PASSWORD);
    expect(login.statusCode).toBe(400);
    expect(messageIds(login.json())).toEqual([4010002]);
    await patchConfig(ctx, t, [{ op: 'replace', path: '/services/identity/config/selfservice/methods/password/enabled', value: true }]);
    expect((await loginNative(c, email, GOOD_PASSWORD)).statusCode).toBe(200);
  });

  it('minimum password length and the identifier similarity check', async () => {
    const { t, c } = await fresh('pwpolicy');
    const attempt = async (email: string, password: string) => {
      const flow = (await c.get('/self-service/registration/api')).json();
      return c.post(`/self-service/registration?flow=${flow.id}`, { method: 'password', password, traits: { email } });
    };
    const short = await attempt(randomEmail(), 'abc12');
    expect(short.statusCode).toBe(400);
    expect(node(short.json(), 'password').messages[0]).toMatchObject({ id: 4000032, context: { min_length: 8, actual_length: 5 } });
    const email = randomEmail('similar');
    const similar = await attempt(email, `${email}1`);
    expect(messageIds(similar.json(), 'password')).toEqual([4000031]);
    await patchConfig(ctx, t, [
      { op: 'replace', path: '/services/identity/config/selfservice/methods/password/config/min_password_length', value: 16 },
      { op: 'replace', path: '/services/identity/config/selfservice/methods/password/config/identifier_similarity_check_enabled', value: false },
    ]);
    const now16 = await attempt(randomEmail(), 'twelve chars');
    expect(node(now16.json(), 'password').messages[0]).toMatchObject({ id: 4000032, context: { min_length: 16 } });
    expect((await attempt(email, `${email}-suffix-long`)).statusCode).toBe(200);
  });

  it('session lifespan sets the session expiry and cookie age', async () => {
    const { t, c } = await fresh('lifespan');
    await patchConfig(ctx, t, [{ op: 'replace', path: '/services/identity/config/session/lifespan', value: '2h' }]);
    const out = await registerNative(c, randomEmail());
    const ms = Date.parse(out.session.expires_at) - Date.parse(out.session.issued_at);
    expect(Math.abs(ms - 2 * 3600_000)).toBeLessThan(5_000);
    const b = new Client(ctx, t.projectSlug);
    const flow = (await b.get('/self-service/login/browser')).json();
    const email = randomEmail();
    await registerNative(c, email);
    const res = await b.req('POST', `/self-service/login?flow=${flow.id}`, { form: { csrf_token: node(flow, 'csrf_token').attributes.value, method: 'password', identifier: email, password: GOOD_PASSWORD }, headers: { accept: 'text/html' } });
    expect(res.statusCode).toBe(303);
    const cookie = (res.cookies as any[]).find((k) => k.name === 'ory_kratos_session');
    expect(cookie.maxAge).toBeGreaterThan(2 * 3600 - 60);
    expect(cookie.maxAge).toBeLessThanOrEqual(2 * 3600);
  });

  it('registration disabled: 400 self_service_flow_disabled, login still works', async () => {
    const { t, c } = await fresh('noreg');
    const email = randomEmail();
    await registerNative(c, email);
    const open = (await c.get('/self-service/registration/api')).json();
    await patchConfig(ctx, t, [{ op: 'replace', path: '/services/identity/config/selfservice/flows/registration/enabled', value: false }]);
    for (const path of ['/self-service/registration/api', '/self-service/registration/browser']) {
      const res = await c.get(path);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.id).toBe('self_service_flow_disabled');
    }
    // A flow created before the switch cannot be completed either.
    const late = await c.post(`/self-service/registration?flow=${open.id}`, { method: 'password', password: GOOD_PASSWORD, traits: { email: randomEmail() } });
    expect(late.statusCode).toBe(400);
    expect(late.json().error.id).toBe('self_service_flow_disabled');
    expect((await loginNative(c, email, GOOD_PASSWORD)).statusCode).toBe(200);
  });

  it('new registrations use the configured default schema (or an allowed identity_schema)', async () => {
    const { t, c } = await fresh('schemas');
    const username = {
      type: 'object',
      properties: {
        traits: {
          type: 'object',
          properties: { username: { type: 'string', title: 'Username', minLength: 3, 'ory.sh/kratos': { credentials: { password: { identifier: true } } } } },
          required: ['username'],
          additionalProperties: false,
        },
      },
    };
    await patchConfig(ctx, t, [
      { op: 'add', path: '/services/identity/config/identity/schemas/-', value: { id: 'username', url: `base64://${Buffer.from(JSON.stringify(username)).toString('base64')}` } },
      { op: 'replace', path: '/services/identity/config/identity/default_schema_id', value: 'username' },
    ]);
    const flow = (await c.get('/self-service/registration/api')).json();
    expect(flow.identity_schema).toBe('username');
    expect(node(flow, 'traits.username')).toMatchObject({ attributes: { type: 'text', autocomplete: 'username' }, meta: { label: { text: 'Username' } } });
    expect(node(flow, 'traits.email')).toBeUndefined();
    const res = await c.post(`/self-service/registration?flow=${flow.id}`, { method: 'password', password: GOOD_PASSWORD, traits: { username: 'ada_lovelace' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().identity.schema_id).toBe('username');
    expect((await loginNative(c, 'ada_lovelace', GOOD_PASSWORD)).statusCode).toBe(200);
    // The preset is still selectable explicitly; an unknown schema is refused.
    const preset = (await c.get('/self-service/registration/api?identity_schema=preset://email')).json();
    expect(node(preset, 'traits.email')).toBeDefined();
    expect((await c.get('/self-service/registration/api?identity_schema=nope')).statusCode).toBe(400);
  });

  it('flow lifespan sets expires_at', async () => {
    const { t, c } = await fresh('flowlife');
    await patchConfig(ctx, t, [{ op: 'replace', path: '/services/identity/config/selfservice/flows/login/lifespan', value: '10m' }]);
    const flow = (await c.get('/self-service/login/api')).json();
    expect(Date.parse(flow.expires_at) - Date.parse(flow.issued_at)).toBe(600_000);
  });
});
