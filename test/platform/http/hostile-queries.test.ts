import { request as httpRequest, Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '../../../src/routes.js';
import type { RouteSpec } from '../../../src/platform/http/route-table.js';
import { withPagination } from '../../../src/platform/http/pagination.js';
import { credentialFor, pathFor } from '../../helpers/routes.js';
import { bearer, dialectName, seedTenant, type Tenant } from '../../helpers/context.js';
import { startHttpServer, type HttpTestServer } from '../../helpers/http.js';

// Issue #20: hostile query strings must never reach the database. Pagination parameters are
// validated in one place (every list route, integers in range); an early answer to a request whose
// body was not read must still reach the client over a real connection.

const INTEGER_PARAMS = ['page', 'per_page', 'page_size'];
const BAD_INTEGERS = ['abc', '1000000000', '99999999999999999999', '-1', '1.5', '1e309', 'NaN', 'Infinity', '%F0%9F%92%A9'];

/** Values for the query parameters a route requires, so that only the one under test is wrong. */
function required(spec: RouteSpec): string {
  const names = ((spec.schema?.querystring as { required?: string[] } | undefined)?.required ?? []).filter((n) => !INTEGER_PARAMS.includes(n));
  return names.map((n) => `${n}=x&`).join('');
}

/** The list routes: those whose query string takes pagination parameters. */
const listRoutes = (routes: RouteSpec[]) =>
  routes.filter((s) => s.method === 'GET' && 'page_size' in ((withPagination(s.schema?.querystring) as { properties?: object } | undefined)?.properties ?? {}));

interface Answer {
  status: number;
  body: string;
}

/** One request over a keep-alive connection, as SDK clients send them; a dropped connection rejects. */
function send(agent: Agent, base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { agent, method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) } }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe(`hostile query strings (${dialectName()})`, () => {
  let server: HttpTestServer;
  let t: Tenant;
  beforeAll(async () => {
    server = await startHttpServer();
    t = await seedTenant(server.registry, 'hostileq');
  });
  afterAll(() => server?.close());

  it('answers GET /admin/sessions?page=abc&per_page=1e309 with a 400 that names the parameter', async () => {
    const res = await server.app.inject({ method: 'GET', url: `/p/${t.projectSlug}/admin/sessions?page=abc&per_page=1e309`, headers: bearer(t.projectKey) });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 400, id: 'validation_failed', reason: expect.stringMatching(/\b(page|per_page)\b/) });
  });

  it('refuses every malformed page, per_page and page_size on every list route, naming it', async () => {
    const lists = listRoutes(allRoutes(server.registry));
    expect(lists.length).toBeGreaterThan(10);
    const wrong: string[] = [];
    for (const spec of lists) {
      for (const name of INTEGER_PARAMS) {
        for (const value of [...BAD_INTEGERS.map((v) => `${name}=${v}`), `${name}=1&${name}=2`]) {
          const url = `${pathFor(spec, t)}?${required(spec)}${value}`;
          const res = await server.app.inject({ method: 'GET', url, headers: credentialFor(spec, t) });
          const reason = res.statusCode === 400 ? String(res.json().error?.reason ?? '') : '';
          if (res.statusCode !== 400 || !reason.includes(name)) wrong.push(`${url} → ${res.statusCode} ${res.body.slice(0, 160)}`);
        }
      }
      // An over-long or foreign page token is refused, never a 5xx.
      for (const token of ['A'.repeat(600), '%F0%9F%92%A9', 'k', '%00%00']) {
        const res = await server.app.inject({ method: 'GET', url: `${pathFor(spec, t)}?${required(spec)}page_token=${token}`, headers: credentialFor(spec, t) });
        if (res.statusCode >= 500) wrong.push(`page_token=${token.slice(0, 10)} on ${spec.url} → ${res.statusCode}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('answers each request the issue found dropped, with and without a body the route never reads, over one keep-alive connection', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const slug = t.projectSlug;
    const requests: [string, string][] = [
      ['POST', `/p/${slug}/self-service/login?page_size=1000000000`],
      ['POST', `/p/${slug}/self-service/login?max-depth=100000`],
      ['PATCH', `/p/${slug}/v2alpha1/admin/importedApiKeys/%F0%9F%92%A9?page=abc&per_page=1e309`],
      ['GET', `/p/${slug}/admin/sessions?page=abc&per_page=1e309`],
      ['DELETE', `/p/${slug}/self-service/login?page_size=1000000000`],
      ['DELETE', `/p/${slug}/admin/sessions?page=abc&per_page=1e309`],
    ];
    const bodies = [undefined, '{"method":"password"}', JSON.stringify({ a: 'x'.repeat(600_000) })];
    try {
      for (const [method, path] of requests) {
        for (const body of bodies) {
          for (const headers of [{}, bearer(t.projectKey)]) {
            const answer = await send(agent, server.url, method, path, headers, body);
            expect(answer.status, `${method} ${path} with ${body?.length ?? 0} bytes`).toBeGreaterThanOrEqual(400);
            expect(answer.status).toBeLessThan(500);
            expect(JSON.parse(answer.body)).toHaveProperty('error');
          }
        }
      }
    } finally {
      agent.destroy();
    }
    expect((await server.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
  });
});
