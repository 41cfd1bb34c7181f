import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/app.js';
import { createTestContext, type TestContext } from '../../helpers/context.js';

describe('access log', () => {
  let ctx: TestContext;
  let app: FastifyInstance;
  const lines: string[] = [];

  beforeAll(async () => {
    ctx = await createTestContext();
    app = await buildApp(ctx.registry, { log: { stream: { write: (line: string) => lines.push(line) }, level: 'info' } });
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
  });

  const logged = () => lines.splice(0).map((l) => JSON.parse(l) as Record<string, unknown>);

  it('writes one JSON line per request with its request id, and no query string', async () => {
    const res = await app.inject({ method: 'GET', url: '/health/alive?token=secret-token-value', headers: { host: '127.0.0.1:4000' } });
    const entries = logged();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ level: 30, pid: process.pid, msg: 'request completed', request_id: res.headers['x-request-id'], method: 'GET', path: '/health/alive', status: 200, host: '127.0.0.1:4000', ip: '127.0.0.1' });
    expect(typeof entries[0].time).toBe('number');
    expect(entries[0].ms as number).toBeGreaterThanOrEqual(0);
    expect(String(entries[0].ms)).toMatch(/^\d+(\.\d{1,3})?$/);
    expect(JSON.stringify(entries)).not.toContain('secret-token-value');
  });

  it('keeps whatever a client puts in the path or Host header inside its JSON string', async () => {
    const hostile = ['/a"b', '/a\\b', '/ünïcødé', '/line%0Abreak'];
    for (const url of hostile) await app.inject({ method: 'GET', url, headers: { host: 'h"o\\st' } });
    const entries = logged();
    expect(entries.map((e) => e.status)).toEqual(hostile.map(() => 404));
    expect(entries.map((e) => e.host)).toEqual(hostile.map(() => 'h"o\\st'));
    expect(entries.every((e) => typeof e.path === 'string' && e.msg === 'request completed')).toBe(true);
  });

  it('never logs headers: no API key, session token or cookie', async () => {
    await app.inject({ method: 'GET', url: '/projects', headers: { authorization: 'Bearer ory_wak_notarealkeyatall', cookie: 'gatehouse_console_session=cookie-secret', 'x-session-token': 'session-secret' } });
    const text = JSON.stringify(logged());
    expect(text).toContain('"status":401');
    for (const secret of ['ory_wak_notarealkeyatall', 'cookie-secret', 'session-secret']) expect(text).not.toContain(secret);
  });
});
