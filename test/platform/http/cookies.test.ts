import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerCookies } from '../../../src/platform/http/cookies.js';

describe('cookies', () => {
  it('parses request cookies on first read, sets and clears them in Set-Cookie headers', async () => {
    const app = Fastify();
    registerCookies(app);
    app.get('/', async (req, reply) => {
      reply.setCookie('session', 'abc', { path: '/', httpOnly: true, maxAge: 60 });
      reply.setCookie('csrf', 'x y', { secure: true, sameSite: 'strict' });
      reply.clearCookie('old');
      return { seen: req.cookies };
    });
    const res = await app.inject({ method: 'GET', url: '/', headers: { cookie: 'a=1; b=two%20words' } });
    expect(res.json()).toEqual({ seen: { a: '1', b: 'two words' } });
    const set = res.headers['set-cookie'] as string[];
    expect(set).toHaveLength(3);
    expect(set[0]).toBe('session=abc; Max-Age=60; Path=/; HttpOnly; SameSite=Lax');
    expect(set[1]).toBe('csrf=x%20y; Secure; SameSite=Strict');
    expect(set[2]).toMatch(/^old=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Lax$/);
    const none = await app.inject({ method: 'GET', url: '/' });
    expect(none.json()).toEqual({ seen: {} });
    await app.close();
  });
});
