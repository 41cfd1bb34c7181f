import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type HttpTestServer } from '../../helpers/http.js';
import { nestsDeeperThan } from '../../../src/platform/http/json-depth.js';

/** Sends raw bytes and returns the whole answer (the server closes the connection after it). */
function raw(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(request));
    let out = '';
    socket.on('data', (d) => (out += d));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
  });
}

describe('errors below the routes', () => {
  let server: HttpTestServer;
  beforeAll(async () => {
    server = await startHttpServer();
  });
  afterAll(() => server.close());

  it('answers oversized headers with 431 in Ory\'s error shape', async () => {
    const res = await fetch(`${server.url}/health/alive`, { headers: { 'x-session-token': 'a'.repeat(60_000) } });
    expect(res.status).toBe(431);
    const body = await res.json();
    expect(body.error).toMatchObject({ code: 431, status: 'Request Header Fields Too Large' });
    expect(body.error.request).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers a malformed request line with 400 in Ory\'s error shape', async () => {
    const out = await raw(server.url, 'GARBAGE\r\n\r\n');
    expect(out).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4)).error).toMatchObject({ code: 400, status: 'Bad Request' });
  });

  it('refuses JSON nested deeper than 128 levels with a 400, before any handler', async () => {
    const deep = `{"name":"x","a":${'['.repeat(200)}${']'.repeat(200)}}`;
    const res = await fetch(`${server.url}/console/api/sign-up`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: deep });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ code: 400, id: 'invalid_json' });
  });

  it('does not echo a long unknown path back whole', async () => {
    const res = await fetch(`${server.url}/${'x'.repeat(10_000)}`);
    expect(res.status).toBe(404);
    expect((await res.json()).error.reason.length).toBeLessThan(300);
  });

  it('treats a DELETE with a JSON content type and no body as having no body', async () => {
    const res = await fetch(`${server.url}/projects/00000000-0000-0000-0000-000000000000`, { method: 'DELETE', headers: { 'content-type': 'application/json' } });
    // Refused for want of a credential, not for an "empty JSON body".
    expect(res.status).toBe(401);
  });

  it('counts nesting outside strings only', () => {
    expect(nestsDeeperThan('[[[]]]', 3)).toBe(false);
    expect(nestsDeeperThan('[[[[]]]]', 3)).toBe(true);
    expect(nestsDeeperThan(JSON.stringify({ s: '[[[[[[[[\\"[[[[' }), 3)).toBe(false);
    expect(nestsDeeperThan(JSON.stringify([{ a: [{ b: ['"{{{{'] }] }]), 5)).toBe(false);
  });
});
