import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { signIn, signUp, uniqueEmail } from './helpers.js';
import { setConsolePassword } from '../../src/console/set-password.js';

describe('console accounts and sessions', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());
  /** The session the console's probe reports for a cookie: null when signed out. */
  const sessionOf = async (cookie: string) => {
    const res = await ctx.app.inject({ method: 'GET', url: '/console/api/session', headers: { cookie } });
    expect(res.statusCode).toBe(200);
    return res.json().session;
  };

  it('signs up, sets an HttpOnly SameSite cookie, and knows the session', async () => {
    const email = uniqueEmail('signup');
    const res = await ctx.app.inject({ method: 'POST', url: '/console/api/sign-up', payload: { email, password: 'a long enough password' } });
    expect(res.statusCode).toBe(201);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/gatehouse_console_session=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(res.json().user).toMatchObject({ email });
    expect(res.body).not.toMatch(/password/);
    const cookie = `gatehouse_console_session=${res.cookies[0].value}`;
    const me = await ctx.app.inject({ method: 'GET', url: '/console/api/session', headers: { cookie } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ session: { user: { email }, csrf_token: res.json().csrf_token } });
    // The stored session is a hash, never the cookie value; the stored password is argon2id.
    const rows = await ctx.registry.db.selectFrom('console_sessions').selectAll().execute();
    expect(rows.some((r) => r.token_hash === res.cookies[0].value)).toBe(false);
    const user = await ctx.registry.tenancy.users.byEmail(email);
    expect(user!.password_hash).toMatch(/^\$argon2id\$/);
  });

  it('refuses a second sign-up with the same email, a weak password, and a form post', async () => {
    const u = await signUp(ctx.app, 'dup');
    const again = await ctx.app.inject({ method: 'POST', url: '/console/api/sign-up', payload: { email: u.email, password: 'another good password' } });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.id).toBe('console_account_exists');
    const weak = await ctx.app.inject({ method: 'POST', url: '/console/api/sign-up', payload: { email: uniqueEmail('weak'), password: 'short' } });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().error.reason).toMatch(/at least 8 characters/);
    // Long enough, but at the top of every breach list, or one character repeated.
    for (const password of ['password', '12345678', 'Password123', 'qwertyuiop', 'aaaaaaaaaa']) {
      const common = await ctx.app.inject({ method: 'POST', url: '/console/api/sign-up', payload: { email: uniqueEmail('common'), password } });
      expect(common.statusCode, password).toBe(400);
      expect(common.json().error.id).toBe('console_password_policy_violation');
      expect(common.json().error.reason).toMatch(/most common passwords/);
    }
    const form = await ctx.app.inject({
      method: 'POST', url: '/console/api/sign-in', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `email=${encodeURIComponent(u.email)}&password=correct+horse+battery`,
    });
    expect(form.statusCode).toBe(415);
    expect(form.headers['set-cookie']).toBeUndefined();
  });

  it('signs in with the right password only, and signs out', async () => {
    const u = await signUp(ctx.app, 'signin', 'my secret passphrase');
    const wrong = await ctx.app.inject({ method: 'POST', url: '/console/api/sign-in', payload: { email: u.email, password: 'not the passphrase' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.reason).toBe('The email address or the password is wrong.');
    const unknown = await ctx.app.inject({ method: 'POST', url: '/console/api/sign-in', payload: { email: uniqueEmail('nobody'), password: 'whatever it is' } });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().error.reason).toBe(wrong.json().error.reason);

    const s = await signIn(ctx.app, u.email.toUpperCase(), 'my secret passphrase');
    expect(s.userId).toBe(u.userId);
    // Sign-out is state-changing: it needs the CSRF token too.
    const noCsrf = await ctx.app.inject({ method: 'POST', url: '/console/api/sign-out', headers: { cookie: s.cookie } });
    expect(noCsrf.statusCode).toBe(403);
    const out = await ctx.app.inject({ method: 'POST', url: '/console/api/sign-out', headers: s.headers });
    expect(out.statusCode).toBe(204);
    expect(await sessionOf(s.cookie)).toBeNull();
    // The other session (from sign-up) is still valid.
    expect(await sessionOf(u.cookie)).toMatchObject({ user: { id: u.userId } });
  });

  it('limits sign-in failures per email with 429 and Retry-After', async () => {
    const u = await signUp(ctx.app, 'limited', 'the real password');
    const attempt = (password: string) => ctx.app.inject({ method: 'POST', url: '/console/api/sign-in', payload: { email: u.email, password }, remoteAddress: '10.9.8.7' });
    for (let i = 0; i < 5; i++) expect((await attempt(`wrong guess ${i}`)).statusCode).toBe(401);
    const limited = await attempt('the real password');
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json().error.reason).toMatch(/Too many failed sign-in attempts/);
  });

  it('a bootstrap user cannot be claimed by sign-up, but signs in once the CLI sets a password', async () => {
    const email = uniqueEmail('boot');
    await ctx.registry.tenancy.users.findOrCreate(email);
    const claim = await ctx.app.inject({ method: 'POST', url: '/console/api/sign-up', payload: { email, password: 'attacker password' } });
    expect(claim.statusCode).toBe(409);
    expect(claim.json().error.reason).toMatch(/gatehouse users set-password/);
    const before = await ctx.app.inject({ method: 'POST', url: '/console/api/sign-in', payload: { email, password: 'attacker password' } });
    expect(before.statusCode).toBe(401);
    await setConsolePassword(ctx.registry, email, 'operator chosen pass');
    await signIn(ctx.app, email, 'operator chosen pass');
  });

  it('changes the password with the current one, ending the other sessions', async () => {
    const u = await signUp(ctx.app, 'change', 'first password here');
    const other = await signIn(ctx.app, u.email, 'first password here');
    const bad = await ctx.app.inject({ method: 'POST', url: '/console/api/password', headers: u.headers, payload: { current_password: 'nope nope nope', new_password: 'second password here' } });
    expect(bad.statusCode).toBe(400);
    const ok = await ctx.app.inject({ method: 'POST', url: '/console/api/password', headers: u.headers, payload: { current_password: 'first password here', new_password: 'second password here' } });
    expect(ok.statusCode).toBe(204);
    expect(await sessionOf(other.cookie)).toBeNull();
    expect(await sessionOf(u.cookie)).toMatchObject({ user: { id: u.userId } });
    await signIn(ctx.app, u.email, 'second password here');
  });

  it('answers the session probe with 200 and a null session when signed out (no cookie, a forged one)', async () => {
    // Every signed-out page load asks; a 401 there would be a failed request in the browser console.
    for (const headers of [{}, { cookie: 'gatehouse_console_session=forged' }]) {
      const res = await ctx.app.inject({ method: 'GET', url: '/console/api/session', headers });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ session: null });
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
  });

  it('still answers 401 in Ory shape on the other console routes without a session', async () => {
    const calls = [
      { method: 'POST' as const, url: '/console/api/sign-out' },
      { method: 'POST' as const, url: '/console/api/password', payload: { current_password: 'whatever it is', new_password: 'whatever else it is' } },
      { method: 'POST' as const, url: '/console/api/invites/lookup', payload: { token: 'a'.repeat(32) } },
      { method: 'POST' as const, url: '/console/api/invites/accept', payload: { token: 'a'.repeat(32) } },
    ];
    for (const cookie of [undefined, 'gatehouse_console_session=forged']) {
      for (const call of calls) {
        const res = await ctx.app.inject({ ...call, headers: cookie ? { cookie } : {} });
        expect(res.statusCode, `${call.url} ${cookie ?? 'without a cookie'}`).toBe(401);
        expect(res.json().error).toMatchObject({ code: 401, status: 'Unauthorized' });
      }
    }
  });
});

describe('console sessions started before their hashes named their purpose', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('keep working, with the CSRF token the page already holds, and sign out', async () => {
    const { createHmac } = await import('node:crypto');
    const u = await signUp(ctx.app, 'legacy');
    const token = u.cookie.split('=')[1];
    const legacy = (label: string) => createHmac('sha256', ctx.registry.config.secret).update(`${label}:${token}`).digest('base64url');
    await ctx.registry.db.updateTable('console_sessions').set({ token_hash: legacy('console-session') }).where('user_id', '=', u.userId).execute();
    const me = await ctx.app.inject({ method: 'GET', url: '/console/api/session', headers: { cookie: u.cookie } });
    expect(me.json().session).toMatchObject({ user: { id: u.userId } });
    const create = (csrf: string) => ctx.app.inject({ method: 'POST', url: '/workspaces', headers: { cookie: u.cookie, 'x-csrf-token': csrf }, payload: { name: 'Legacy' } });
    expect((await create(legacy('console-csrf'))).statusCode).toBe(201);
    expect((await create(u.csrf)).statusCode).toBe(201);
    expect((await create('not-the-token')).statusCode).toBe(403);
    expect((await ctx.app.inject({ method: 'POST', url: '/console/api/sign-out', headers: { cookie: u.cookie, 'x-csrf-token': u.csrf } })).statusCode).toBe(204);
    expect(await ctx.registry.db.selectFrom('console_sessions').select('id').where('user_id', '=', u.userId).execute()).toEqual([]);
  });
});

describe('console sign-up limits', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('bounds sign-ups per address (each one hashes a password)', async () => {
    const attempt = () => ctx.app.inject({ method: 'POST', url: '/console/api/sign-up', payload: { email: uniqueEmail('flood'), password: 'x' }, remoteAddress: '10.1.2.3' });
    // Refused attempts (here: a weak password) count too; the limit is about work, not accounts.
    for (let i = 0; i < 30; i++) expect((await attempt()).statusCode).toBe(400);
    const limited = await attempt();
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    const elsewhere = await ctx.app.inject({ method: 'POST', url: '/console/api/sign-up', payload: { email: uniqueEmail('ok'), password: 'a good long password' }, remoteAddress: '10.1.2.4' });
    expect(elsewhere.statusCode).toBe(201);
  });
});
