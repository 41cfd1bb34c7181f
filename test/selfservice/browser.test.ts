import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectName } from '../helpers/context.js';
import { Client, createTestContext, GOOD_PASSWORD, messageIds, node, patchConfig, randomEmail, seedTenant, type Tenant, type TestContext } from './helpers.js';

const HTML = { accept: 'text/html' };

describe(`browser flows: cookies and CSRF (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry, 'browser');
  });
  afterAll(() => ctx.close());

  async function browserFlow(c: Client, kind: string) {
    const res = await c.get(`/self-service/${kind}/browser`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  }

  it('sets an HttpOnly CSRF cookie and puts the token in a hidden node', async () => {
    const c = new Client(ctx, t.projectSlug);
    const res = await c.get('/self-service/registration/browser');
    expect(res.statusCode).toBe(200);
    const csrfCookie = (res.cookies as any[]).find((k) => k.name.startsWith('csrf_token_'));
    expect(csrfCookie).toMatchObject({ httpOnly: true, path: `/p/${t.projectSlug}`, sameSite: 'Lax' });
    const flow = res.json();
    expect(flow.type).toBe('browser');
    const token = node(flow, 'csrf_token').attributes.value;
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(token).not.toBe(csrfCookie.value);
    // The same browser reading the flow again gets the same token; the cookie is not re-issued.
    const again = await c.get(`/self-service/registration/flows?id=${flow.id}`);
    expect(again.statusCode).toBe(200);
    expect(node(again.json(), 'csrf_token').attributes.value).toBe(token);
  });

  it('registers with a form post: 303 to the return URL with the session cookie', async () => {
    const c = new Client(ctx, t.projectSlug);
    const flow = await browserFlow(c, 'registration');
    const email = randomEmail('browser');
    const res = await c.req('POST', `/self-service/registration?flow=${flow.id}`, {
      form: { csrf_token: node(flow, 'csrf_token').attributes.value, method: 'password', 'traits.email': email, password: GOOD_PASSWORD },
      headers: HTML,
    });
    expect(res.statusCode, res.body).toBe(303);
    expect(res.headers.location).toBe('/');
    const session = (res.cookies as any[]).find((k) => k.name === 'ory_kratos_session');
    expect(session).toMatchObject({ httpOnly: true, path: `/p/${t.projectSlug}` });
    expect(session.maxAge).toBeGreaterThan(71 * 3600);
    const who = await c.get('/sessions/whoami');
    expect(who.statusCode).toBe(200);
    expect(who.json().identity.traits.email).toBe(email);
    // Logged in: a new login flow in the browser goes to the return URL instead.
    const login = await c.get('/self-service/login/browser', HTML);
    expect(login.statusCode).toBe(303);
  });

  it('logs in with JSON from a browser: 200 with session, cookie set, no token in the body', async () => {
    const email = randomEmail('browserjson');
    const reg = new Client(ctx, t.projectSlug);
    const rf = await browserFlow(reg, 'registration');
    expect((await reg.post(`/self-service/registration?flow=${rf.id}`, { csrf_token: node(rf, 'csrf_token').attributes.value, method: 'password', traits: { email }, password: GOOD_PASSWORD })).statusCode).toBe(200);

    const c = new Client(ctx, t.projectSlug);
    const flow = await browserFlow(c, 'login');
    const res = await c.post(`/self-service/login?flow=${flow.id}`, { csrf_token: node(flow, 'csrf_token').attributes.value, method: 'password', identifier: email, password: GOOD_PASSWORD });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().session.identity.traits.email).toBe(email);
    expect(res.json().session_token).toBeUndefined();
    expect(res.json().continue_with).toEqual([{ action: 'redirect_browser_to', redirect_browser_to: expect.stringMatching(/^http:\/\/[^/]+\/$/) }]);
    expect(c.jar.get('ory_kratos_session')).toMatch(/^ory_st_/);
    expect((await c.get('/sessions/whoami')).statusCode).toBe(200);
  });

  it('refuses a missing, wrong or foreign CSRF token with 403 security_csrf_violation', async () => {
    const email = randomEmail('csrf');
    const a = new Client(ctx, t.projectSlug);
    const b = new Client(ctx, t.projectSlug);
    const fa = await browserFlow(a, 'login');
    const fb = await browserFlow(b, 'login');
    const tokenA = node(fa, 'csrf_token').attributes.value;
    const tokenB = node(fb, 'csrf_token').attributes.value;
    const body = (csrf?: string) => ({ ...(csrf !== undefined ? { csrf_token: csrf } : {}), method: 'password', identifier: email, password: GOOD_PASSWORD });
    const attempts = [
      await a.post(`/self-service/login?flow=${fa.id}`, body()),
      await a.post(`/self-service/login?flow=${fa.id}`, body('garbage')),
      // b's token (valid for b's cookie and flow) replayed on a's flow
      await a.post(`/self-service/login?flow=${fa.id}`, body(tokenB)),
      // a's token sent from browser b (another cookie) to a's flow
      await b.post(`/self-service/login?flow=${fa.id}`, body(tokenA)),
      // a's flow and token, without any cookie
      await new Client(ctx, t.projectSlug).post(`/self-service/login?flow=${fa.id}`, body(tokenA)),
    ];
    for (const res of attempts) {
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().error).toMatchObject({ code: 403, id: 'security_csrf_violation' });
    }
    // Another browser cannot even read the flow.
    const peek = await b.get(`/self-service/login/flows?id=${fa.id}`);
    expect(peek.statusCode).toBe(403);
    // The real browser still can.
    const ok = await a.post(`/self-service/login?flow=${fa.id}`, body(tokenA));
    expect(ok.statusCode).toBe(400); // unknown user: invalid credentials, past the CSRF check
    expect(messageIds(ok.json())).toEqual([4000006]);
  });

  it('native (api) flows need no CSRF token', async () => {
    const c = new Client(ctx, t.projectSlug);
    const flow = (await c.get('/self-service/login/api')).json();
    const res = await c.post(`/self-service/login?flow=${flow.id}`, { method: 'password', identifier: randomEmail(), password: GOOD_PASSWORD });
    expect(res.statusCode).toBe(400);
    expect(messageIds(res.json())).toEqual([4000006]);
  });

  it('redirects to the configured UI and error UI; errors are readable via /self-service/errors', async () => {
    const t2 = await seedTenant(ctx.registry, 'browserui');
    await patchConfig(ctx, t2, [
      { op: 'add', path: '/services/identity/config/selfservice/flows/login/ui_url', value: 'https://app.example/login' },
      { op: 'add', path: '/services/identity/config/selfservice/flows/error/ui_url', value: 'https://app.example/error' },
    ]);
    const c = new Client(ctx, t2.projectSlug);
    const res = await c.get('/self-service/login/browser', HTML);
    expect(res.statusCode).toBe(303);
    const loc = new URL(res.headers.location as string);
    expect(loc.origin + loc.pathname).toBe('https://app.example/login');
    const flowId = loc.searchParams.get('flow')!;
    // The UI fetches the flow with the browser's cookie.
    const flow = (await c.get(`/self-service/login/flows?id=${flowId}`)).json();
    // A form post with a bad CSRF token lands on the error UI.
    const bad = await c.req('POST', `/self-service/login?flow=${flowId}`, { form: { csrf_token: 'nope', method: 'password', identifier: 'x@example.com', password: 'y' }, headers: HTML });
    expect(bad.statusCode).toBe(303);
    const errUrl = new URL(bad.headers.location as string);
    expect(errUrl.origin + errUrl.pathname).toBe('https://app.example/error');
    const err = await c.get(`/self-service/errors?id=${errUrl.searchParams.get('id')}`);
    expect(err.statusCode).toBe(200);
    expect(err.json().error).toMatchObject({ code: 403, id: 'security_csrf_violation' });
    // Another project cannot read it.
    const other = await new Client(ctx, t.projectSlug).get(`/self-service/errors?id=${errUrl.searchParams.get('id')}`);
    expect(other.statusCode).toBe(404);
    // A failed form login goes back to the UI with the flow carrying the message.
    const wrong = await c.req('POST', `/self-service/login?flow=${flowId}`, { form: { csrf_token: node(flow, 'csrf_token').attributes.value, method: 'password', identifier: 'x@example.com', password: 'wrong-password' }, headers: HTML });
    expect(wrong.statusCode).toBe(303);
    expect(wrong.headers.location).toBe(`https://app.example/login?flow=${flowId}`);
    expect(messageIds((await c.get(`/self-service/login/flows?id=${flowId}`)).json())).toEqual([4000006]);
  });

  it('works on the project host form too (cookies scoped to /)', async () => {
    const host = `${t.projectSlug}.projects.gatehouse.test`;
    const res = await ctx.app.inject({ method: 'GET', url: '/self-service/login/browser', headers: { host, accept: 'application/json' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().ui.action).toBe(`http://${host}/self-service/login?flow=${res.json().id}`);
    expect((res.cookies as any[]).find((k) => k.name.startsWith('csrf_token_')).path).toBe('/');
  });

  it('accepts the token as X-CSRF-Token; an expired form post goes back to the UI with a new flow', async () => {
    const c = new Client(ctx, t.projectSlug);
    const flow = await browserFlow(c, 'login');
    const token = node(flow, 'csrf_token').attributes.value;
    const res = await c.post(`/self-service/login?flow=${flow.id}`, { method: 'password', identifier: randomEmail(), password: GOOD_PASSWORD }, { 'x-csrf-token': token });
    expect(res.statusCode).toBe(400);
    expect(messageIds(res.json())).toEqual([4000006]);

    const t3 = await seedTenant(ctx.registry, 'expiredui');
    await patchConfig(ctx, t3, [{ op: 'add', path: '/services/identity/config/selfservice/flows/login/ui_url', value: 'https://app.example/login' }]);
    const b = new Client(ctx, t3.projectSlug);
    const f = await browserFlow(b, 'login');
    ctx.registry.selfservice.now = () => Date.now() + 2 * 3600_000;
    try {
      const late = await b.req('POST', `/self-service/login?flow=${f.id}`, { form: { csrf_token: node(f, 'csrf_token').attributes.value, method: 'password', identifier: 'a@example.com', password: 'whatever-pass' }, headers: HTML });
      expect(late.statusCode).toBe(303);
      const next = new URL(late.headers.location as string).searchParams.get('flow');
      expect(next).not.toBe(f.id);
      const replacement = (await b.get(`/self-service/login/flows?id=${next}`)).json();
      expect(messageIds(replacement)).toEqual([4010001]);
      // The replacement works with the same browser's cookie.
      expect(node(replacement, 'csrf_token').attributes.value).toBeTruthy();
    } finally {
      ctx.registry.selfservice.now = () => Date.now();
    }
  });
});
