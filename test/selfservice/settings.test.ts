import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectName } from '../helpers/context.js';
import { Client, createTestContext, GOOD_PASSWORD, loginNative, messageIds, node, patchConfig, randomEmail, registerNative, seedTenant, type Tenant, type TestContext } from './helpers.js';

describe(`settings flows (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  let c: Client;
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry, 'settings');
    c = new Client(ctx, t.projectSlug);
  });
  afterAll(() => {
    ctx.registry.selfservice.now = () => Date.now();
    return ctx.close();
  });

  it('needs a session (401 session_inactive)', async () => {
    for (const headers of [{}, { 'x-session-token': 'ory_st_nope' }] as Record<string, string>[]) {
      const res = await c.get('/self-service/settings/api', headers);
      expect(res.statusCode).toBe(401);
      expect(res.json().error.id).toBe('session_inactive');
    }
  });

  it('shows profile and password forms, and the identity', async () => {
    const email = randomEmail('set');
    const { session_token, identity } = await registerNative(c, email);
    const res = await c.get('/self-service/settings/api', { 'x-session-token': session_token });
    expect(res.statusCode).toBe(200);
    const flow = res.json();
    expect(flow.state).toBe('show_form');
    expect(flow.identity.id).toBe(identity.id);
    expect(node(flow, 'traits.email')).toMatchObject({ group: 'profile', attributes: { value: email } });
    expect(flow.ui.nodes.filter((n: any) => n.attributes.name === 'method').map((n: any) => n.attributes.value)).toEqual(['profile', 'password']);
    // Only the owner may read it.
    expect((await c.get(`/self-service/settings/flows?id=${flow.id}`, { 'x-session-token': session_token })).statusCode).toBe(200);
    expect((await c.get(`/self-service/settings/flows?id=${flow.id}`)).statusCode).toBe(401);
    const other = await registerNative(c, randomEmail('other'));
    const foreign = await c.get(`/self-service/settings/flows?id=${flow.id}`, { 'x-session-token': other.session_token });
    expect(foreign.statusCode).toBe(403);
    const foreignSubmit = await c.post(`/self-service/settings?flow=${flow.id}`, { method: 'password', password: 'another good passphrase 9' }, { 'x-session-token': other.session_token });
    expect(foreignSubmit.statusCode).toBe(403);
  });

  it('changes the password: the old one stops working, the new one works', async () => {
    const email = randomEmail('pw');
    const { session_token } = await registerNative(c, email);
    const flow = (await c.get('/self-service/settings/api', { 'x-session-token': session_token })).json();
    const weak = await c.post(`/self-service/settings?flow=${flow.id}`, { method: 'password', password: 'short' }, { 'x-session-token': session_token });
    expect(weak.statusCode).toBe(400);
    expect(messageIds(weak.json(), 'password')).toEqual([4000032]);
    const newPassword = 'a brand new passphrase 77';
    const res = await c.post(`/self-service/settings?flow=${flow.id}`, { method: 'password', password: newPassword }, { 'x-session-token': session_token });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().state).toBe('success');
    expect(res.json().ui.action).toMatch(new RegExp(`/self-service/settings\\?flow=${flow.id}$`));
    expect(messageIds(res.json())).toEqual([1050001]);
    expect((await loginNative(c, email, GOOD_PASSWORD)).statusCode).toBe(400);
    expect((await loginNative(c, email, newPassword)).statusCode).toBe(200);
  });

  it('changes traits through the profile method', async () => {
    const t2 = await seedTenant(ctx.registry, 'profile');
    const schema = {
      type: 'object',
      properties: {
        traits: {
          type: 'object',
          properties: {
            email: { type: 'string', format: 'email', title: 'E-Mail', 'ory.sh/kratos': { credentials: { password: { identifier: true } }, recovery: { via: 'email' }, verification: { via: 'email' } } },
            name: { type: 'object', properties: { first: { type: 'string', title: 'First name', maxLength: 20 }, last: { type: 'string', title: 'Last name' } } },
          },
          required: ['email'],
        },
      },
    };
    await patchConfig(ctx, t2, [
      { op: 'replace', path: '/services/identity/config/identity/schemas', value: [{ id: 'person', url: `base64://${Buffer.from(JSON.stringify(schema)).toString('base64')}` }] },
      { op: 'replace', path: '/services/identity/config/identity/default_schema_id', value: 'person' },
    ]);
    const c2 = new Client(ctx, t2.projectSlug);
    const email = randomEmail('prof');
    const { session_token } = await registerNative(c2, email, GOOD_PASSWORD, { email, name: { first: 'Ada' } });
    const flow = (await c2.get('/self-service/settings/api', { 'x-session-token': session_token })).json();
    expect(node(flow, 'traits.name.first').attributes.value).toBe('Ada');
    const tooLong = await c2.post(`/self-service/settings?flow=${flow.id}`, { method: 'profile', traits: { email, name: { first: 'x'.repeat(30) } } }, { 'x-session-token': session_token });
    expect(tooLong.statusCode).toBe(400);
    expect(messageIds(tooLong.json(), 'traits.name.first').length).toBe(1);
    const res = await c2.post(`/self-service/settings?flow=${flow.id}`, { method: 'profile', traits: { email, name: { first: 'Ada', last: 'Lovelace' } } }, { 'x-session-token': session_token });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().identity.traits.name).toEqual({ first: 'Ada', last: 'Lovelace' });
    const who = await c2.get('/sessions/whoami', { 'x-session-token': session_token });
    expect(who.json().identity.traits.name.last).toBe('Lovelace');
  });

  it('needs a recent login to change the password (403 session_refresh_required)', async () => {
    const email = randomEmail('stale');
    const { session_token } = await registerNative(c, email);
    const flow = (await c.get('/self-service/settings/api', { 'x-session-token': session_token })).json();
    // 20 minutes later: past the default privileged_session_max_age of 15m.
    ctx.registry.selfservice.now = () => Date.now() + 20 * 60_000;
    try {
      const res = await c.post(`/self-service/settings?flow=${flow.id}`, { method: 'password', password: 'yet another passphrase 5' }, { 'x-session-token': session_token });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.id).toBe('session_refresh_required');
      expect(res.json().redirect_browser_to).toContain('/self-service/login/browser?refresh=true');
      // Changing the login identifier is just as sensitive.
      const ident = await c.post(`/self-service/settings?flow=${flow.id}`, { method: 'profile', traits: { email: randomEmail('new') } }, { 'x-session-token': session_token });
      expect(ident.statusCode).toBe(403);
    } finally {
      ctx.registry.selfservice.now = () => Date.now();
    }
    // With a longer privileged_session_max_age the same change is allowed.
    await patchConfig(ctx, t, [{ op: 'add', path: '/services/identity/config/selfservice/flows/settings/privileged_session_max_age', value: '1h' }]);
    ctx.registry.selfservice.now = () => Date.now() + 20 * 60_000;
    try {
      const res = await c.post(`/self-service/settings?flow=${flow.id}`, { method: 'password', password: 'yet another passphrase 5' }, { 'x-session-token': session_token });
      expect(res.statusCode, res.body).toBe(200);
    } finally {
      ctx.registry.selfservice.now = () => Date.now();
      await patchConfig(ctx, t, [{ op: 'replace', path: '/services/identity/config/selfservice/flows/settings/privileged_session_max_age', value: '15m' }]);
    }
  });

  it('re-authenticates with login ?refresh=true: same identity only, fresh session replaces the stale one', async () => {
    const email = randomEmail('refresh');
    const { session_token } = await registerNative(c, email);
    // Without refresh, a logged-in client cannot start a login.
    const plain = await c.get('/self-service/login/api', { 'x-session-token': session_token });
    expect(plain.statusCode).toBe(400);
    expect(plain.json().error.id).toBe('session_already_available');
    // Nor register, recover or verify (Kratos: "a valid session token … results in a 400").
    for (const kind of ['registration', 'recovery']) {
      const res = await c.get(`/self-service/${kind}/api`, { 'x-session-token': session_token });
      expect(res.statusCode, kind).toBe(400);
      expect(res.json().error.id, kind).toBe('session_already_available');
    }
    const flow = (await c.get('/self-service/login/api?refresh=true', { 'x-session-token': session_token })).json();
    expect(flow.refresh).toBe(true);
    expect(node(flow, 'identifier').attributes.value).toBe(email);
    const other = randomEmail('intruder');
    await registerNative(c, other);
    const wrong = await c.post(`/self-service/login?flow=${flow.id}`, { method: 'password', identifier: other, password: GOOD_PASSWORD });
    expect(wrong.statusCode).toBe(403);
    const ok = await c.post(`/self-service/login?flow=${flow.id}`, { method: 'password', identifier: email, password: GOOD_PASSWORD });
    expect(ok.statusCode, ok.body).toBe(200);
    expect((await c.get('/sessions/whoami', { 'x-session-token': session_token })).statusCode).toBe(401);
    expect((await c.get('/sessions/whoami', { 'x-session-token': ok.json().session_token })).statusCode).toBe(200);
  });
});
