import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/app.js';
import { createTestContext, dialectName, seedTenant, type Tenant, type TestContext } from '../../helpers/context.js';

// Hostile connections (issue #19): slowloris headers, bodies that never finish, oversized headers and
// thousands of idle connections. The server answers the slow ones 408 (or 431) in Ory's shape within
// its request timeout and keeps answering everybody else meanwhile.

const TIMEOUT_MS = 1500;
const IDLE = Number(process.env.IDLE_CONNECTIONS ?? 2000);

/** Opens N connections that never send a byte; prints when all are open. */
const IDLE_CLIENT = `
const net = require('node:net');
const [port, n] = process.argv.slice(1).map(Number);
let opened = 0, closed = 0, started = 0, at = 0;
const open = () => {
  const s = net.connect({ host: '127.0.0.1', port }, () => {
    if (++opened === n) { started = Date.now(); process.stdout.write('open ' + n + '\\n'); } else if (at < n) { at++; open(); }
  });
  s.on('error', (e) => process.stderr.write('idle client: ' + e.code + '\\n'));
  s.on('close', () => { if (++closed === n) process.stdout.write('closed ' + closed + ' after ' + (Date.now() - started) + ' ms\\n', () => process.exit(0)); });
};
// 200 at a time, each opening the next once connected: the listen backlog is never overrun.
for (; at < 200 && at < n; at++) open();
`;

const open = (port: number) =>
  new Promise<Socket>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });

/** Everything the server writes to `s` until it closes it, and how long that took. */
const untilClosed = (s: Socket) =>
  new Promise<{ text: string; ms: number }>((resolve) => {
    const started = Date.now();
    let text = '';
    s.on('data', (c) => (text += c.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => resolve({ text, ms: Date.now() - started }));
  });

describe(`hostile connections (${dialectName()})`, () => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let port: number;
  let t: Tenant;
  const ok = async () => {
    const started = Date.now();
    const res = await fetch(`http://127.0.0.1:${port}/projects/${t.projectId}`, { headers: { authorization: `Bearer ${t.workspaceKey}` } });
    expect(res.status).toBe(200);
    return Date.now() - started;
  };

  beforeAll(async () => {
    ctx = await createTestContext({ requestTimeoutMs: TIMEOUT_MS });
    t = await seedTenant(ctx.registry, 'conn');
    app = await buildApp(ctx.registry, { logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
  });

  it('answers slowloris headers and a body that never finishes with 408, and others meanwhile', async () => {
    // One header line every 200 ms, never the blank line that ends them.
    const loris = await open(port);
    const lorisDone = untilClosed(loris);
    loris.write(`GET /projects/${t.projectId} HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
    const drip = setInterval(() => loris.writable && loris.write(`x-drip-${Date.now()}: 1\r\n`), 200);
    // A body announced as 1 MB of which 10 bytes arrive.
    const stuck = await open(port);
    const stuckDone = untilClosed(stuck);
    stuck.write(`POST /p/${t.projectSlug}/admin/identities HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${t.projectKey}\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"traits":`);
    // Meanwhile everybody else is served.
    for (let i = 0; i < 5; i++) expect(await ok()).toBeLessThan(1000);
    const [l, s] = await Promise.all([lorisDone, stuckDone]);
    clearInterval(drip);
    for (const r of [l, s]) {
      expect(r.text).toMatch(/^HTTP\/1\.1 408 /);
      expect(r.text).toContain('"code":408');
      expect(r.ms).toBeLessThan(TIMEOUT_MS + 2500);
    }
    // Nothing half-written was stored.
    const list = await fetch(`http://127.0.0.1:${port}/p/${t.projectSlug}/admin/identities`, { headers: { authorization: `Bearer ${t.projectKey}` } });
    expect(await list.json()).toEqual([]);
  }, 60_000);

  it('refuses oversized headers with 431 in Ory shape', async () => {
    const s = await open(port);
    const done = untilClosed(s);
    s.write(`GET /health/alive HTTP/1.1\r\nHost: 127.0.0.1\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
    const r = await done;
    expect(r.text).toMatch(/^HTTP\/1\.1 431 /);
    expect(r.text).toContain('"code":431');
    expect(await ok()).toBeLessThan(1000);
  });

  it(`keeps answering with ${IDLE} idle connections open`, async () => {
    // The idle clients live in a child process, so each side's sockets count against its own limit.
    const child = spawn(process.execPath, ['-e', IDLE_CLIENT, String(port), String(IDLE)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (c) => (out += c));
    child.stderr!.on('data', (c) => (out += c));
    const line = async (re: RegExp) => {
      for (let waited = 0; !re.test(out) && waited < 30_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
      return re.exec(out)?.[0] ?? out;
    };
    expect(await line(/open \d+/)).toBe(`open ${IDLE}`);
    const ms: number[] = [];
    for (let i = 0; i < 10; i++) ms.push(await ok());
    expect(Math.max(...ms)).toBeLessThan(1000);
    // Connections that never send a byte are kept until their client closes them (see README).
    child.kill();
  }, 60_000);
});
