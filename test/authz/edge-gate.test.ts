import { request as httpRequest } from 'node:http';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '../../src/routes.js';
import { mountedUrl, type RouteSpec } from '../../src/platform/http/route-table.js';
import { dialectName, seedTenant, type Tenant } from '../helpers/context.js';
import { startHttpServer, type HttpTestServer } from '../helpers/http.js';

// Requests with a key that can never be valid are refused at the edge, before Fastify (see
// src/platform/http/edge-gate.ts). `app.inject` never passes the edge, so comparing the two over
// every route proves the early answer is exactly the route's own.

interface Answer {
  status: number;
  contentType: string | undefined;
  requestIdHeader: string | undefined;
  body: string;
}

function send(base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (data += d));
      res.on('end', () =>
        resolve({ status: res.statusCode!, contentType: res.headers['content-type'], requestIdHeader: res.headers['x-request-id'] as string | undefined, body: data }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The body with its per-request id blanked, so two answers can be compared. */
function comparable(body: string): unknown {
  try {
    const json = JSON.parse(body) as { error?: { request?: string } };
    if (json.error?.request) json.error.request = '<id>';
    return json;
  } catch {
    return body;
  }
}

function corrupt(key: string): string {
  return key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
}

function pathFor(spec: RouteSpec, t: Tenant, slug = t.projectSlug): string {
  return mountedUrl(spec).replace(/:([A-Za-z_]+)/g, (_m, name: string) => {
    if (name === 'slug') return slug;
    if (name === 'workspace') return t.workspaceId;
    if (name === 'project' || name === 'project_id') return t.projectId;
    return randomUUID();
  });
}

describe(`edge refusal of keys that can never be valid (${dialectName()})`, () => {
  let server: HttpTestServer;
  let t: Tenant;
  let routes: RouteSpec[];
  beforeAll(async () => {
    server = await startHttpServer();
    t = await seedTenant(server.registry, 'edge');
    routes = allRoutes(server.registry).filter((r) => r.plane !== 'system');
  });
  afterAll(() => server.close());

  it('answers every route exactly as the route itself does', async () => {
    const credentials = {
      'bad checksum': (spec: RouteSpec) => `Bearer ${corrupt(spec.credential === 'project' ? t.projectKey : t.workspaceKey)}`,
      'not a key': () => 'Bearer not-a-key',
      'truncated key': () => `Bearer ${t.workspaceKey.slice(0, 20)}`,
      'bad legacy key': () => 'Bearer ory_apikey_short',
    };
    const failures: string[] = [];
    let refusedAtEdge = 0;
    for (const spec of routes) {
      const body = ['POST', 'PUT', 'PATCH'].includes(spec.method) ? '{}' : undefined;
      for (const slug of [t.projectSlug, 'no-such-project-zzzz']) {
        if (slug !== t.projectSlug && spec.plane !== 'project') continue;
        const path = pathFor(spec, t, slug);
        for (const [name, header] of Object.entries(credentials)) {
          const headers = { authorization: header(spec), host: new URL(server.url).host };
          const overHttp = await send(server.url, spec.method, path, headers, body);
          const inside = await server.app.inject({ method: spec.method as 'GET', url: path, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, payload: body });
          const label = `${spec.method} ${path} with ${name}`;
          if (overHttp.status !== inside.statusCode) failures.push(`${label}: ${overHttp.status} over HTTP, ${inside.statusCode} inside`);
          if (overHttp.contentType !== inside.headers['content-type']) failures.push(`${label}: content-type ${overHttp.contentType} vs ${String(inside.headers['content-type'])}`);
          // Refusals must match to the byte (but for the request id); successes are fresh flows and differ.
          if (overHttp.status >= 400 && JSON.stringify(comparable(overHttp.body)) !== JSON.stringify(comparable(inside.body))) failures.push(`${label}: body ${overHttp.body} vs ${inside.body}`);
          const requestId = (comparable(overHttp.body) as { error?: unknown }).error ? (JSON.parse(overHttp.body) as { error: { request?: string } }).error.request : undefined;
          if (requestId && requestId !== overHttp.requestIdHeader) failures.push(`${label}: x-request-id ${overHttp.requestIdHeader} differs from the body's ${requestId}`);
          if (overHttp.status === 401) refusedAtEdge++;
        }
      }
    }
    expect(failures).toEqual([]);
    // The comparison is not vacuous: most routes need a key, so most of these were refusals.
    expect(refusedAtEdge).toBeGreaterThan(routes.length);
  }, 120_000);

  it('reaches routes that need no key, and keys that may be valid, as always', async () => {
    // A broken key on a public route is no reason to refuse: the route does not read it.
    const alive = await send(server.url, 'GET', '/health/alive', { authorization: `Bearer ${corrupt(t.workspaceKey)}` });
    expect(alive.status).toBe(200);
    // Nor on the console's own pages, which are not in the route table at all.
    const page = await send(server.url, 'GET', '/', { authorization: `Bearer ${corrupt(t.workspaceKey)}`, accept: 'text/html' });
    expect(page.status).toBe(200);
    expect(page.contentType).toContain('text/html');
    // HEAD is left to Fastify, which answers without a body.
    const head = await send(server.url, 'HEAD', `/projects/${t.projectId}`, { authorization: `Bearer ${corrupt(t.workspaceKey)}` });
    expect(head.status).toBe(401);
    expect(head.body).toBe('');
    const ok = await send(server.url, 'GET', `/projects/${t.projectId}`, { authorization: `Bearer ${t.workspaceKey}` });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ id: t.projectId });
  });

  it('counts edge refusals in the metrics under the route template', async () => {
    for (let i = 0; i < 3; i++) await send(server.url, 'DELETE', `/workspaces/${t.workspaceId}/tokens/${randomUUID()}`, { authorization: `Bearer ${corrupt(t.workspaceKey)}` });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const line = metrics.split('\n').find((l) => l.startsWith('gatehouse_http_request_duration_seconds_count') && l.includes('method="DELETE"') && l.includes('route="/workspaces/:workspace/tokens/:token_id"') && l.includes('status="401"'));
    expect(line, metrics.split('\n').filter((l) => l.includes('DELETE')).join('\n')).toBeDefined();
    expect(Number(line!.split(' ').pop())).toBeGreaterThanOrEqual(3);
    expect(metrics).not.toContain(t.workspaceId);
  });
});
