import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectName } from '../helpers/context.js';
import { Client, createTestContext, GOOD_PASSWORD, node, patchConfig, randomEmail, registerNative, seedTenant, type Tenant, type TestContext } from './helpers.js';

describe(`return_to hardening (${dialectName()})`, () => {
  let ctx: TestContext;
  let a: Tenant;
  beforeAll(async () => {
    ctx = await createTestContext();
    a = await seedTenant(ctx.registry, 'tenant-rt');
  });
  afterAll(() => ctx.close());

  it('refuses return_to values a browser would turn into another origin, or that cannot be a Location header', async () => {
    const c = new Client(ctx, a.projectSlug);
    const email = randomEmail('rt');
    await registerNative(new Client(ctx, a.projectSlug), email);
    const flow = (await c.get('/self-service/login/browser')).json();
    const login = await c.post(`/self-service/login?flow=${flow.id}`, { csrf_token: node(flow, 'csrf_token').attributes.value, method: 'password', identifier: email, password: GOOD_PASSWORD });
    expect(login.statusCode).toBe(200);
    for (const rt of ['/%09/evil.example', '/%0a/evil.example', '/%0d%0aSet-Cookie:%20x=1', '/%5C/evil.example', 'https://evil.example%09/']) {
      // Already signed in: a browser is redirected to return_to straight away, so it must be checked.
      const res = await c.get(`/self-service/login/browser?return_to=${rt}`, { accept: 'text/html' });
      expect(res.statusCode, rt).toBe(400);
      expect(res.json().error.id).toBe('self_service_flow_return_to_forbidden');
      expect(res.headers.location).toBeUndefined();
    }
    const ok = await c.get('/self-service/login/browser?return_to=/welcome', { accept: 'text/html' });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/welcome');
    const unicode = await c.get('/self-service/login/browser?return_to=/caf%C3%A9', { accept: 'text/html' });
    expect(unicode.statusCode).toBe(303);
    expect(unicode.headers.location).toBe('/caf%C3%A9');
  });

  it('never answers 500 for configured UI URLs that cannot go into a Location header as they are', async () => {
    const t = await seedTenant(ctx.registry, 'tenant-rt-cfg');
    const c = new Client(ctx, t.projectSlug);
    // A newline: the URL is unusable and counts as unset (the flow is answered as JSON).
    await patchConfig(ctx, t, [{ op: 'add', path: '/services/identity/config/selfservice', value: { flows: { login: { ui_url: 'https://ui.example/lo\ngin' } } } }]);
    const broken = await c.get('/self-service/login/browser', { accept: 'text/html' });
    expect(broken.statusCode).toBe(200);
    expect(broken.json().type).toBe('browser');
    // Non-ASCII: percent-encoded as UTF-8.
    await patchConfig(ctx, t, [{ op: 'add', path: '/services/identity/config/selfservice', value: { flows: { login: { ui_url: 'https://ui.example/€/login' } } } }]);
    const euro = await c.get('/self-service/login/browser', { accept: 'text/html' });
    expect(euro.statusCode).toBe(303);
    expect(euro.headers.location).toMatch(/^https:\/\/ui\.example\/%E2%82%AC\/login\?flow=/);
  });
});
