import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '../../src/routes.js';
import { credentialFor, pathFor } from '../helpers/routes.js';
import { createTestContext, dialectName, seedTenant, type Tenant, type TestContext } from '../helpers/context.js';

// No request, however malformed, yields a 500: every route of the route table, called with the
// credential it accepts, gets hostile params, query strings and bodies. Every answer must be a 2xx,
// 3xx or a 4xx in Ory's error shape (or the OAuth2/flow shapes those routes define).

const HOSTILE_PARAMS = ['x', '0', '-1', '%00', '..%2F..%2Fetc', 'a'.repeat(400), "'; drop table projects; --", '%F0%9F%98%80', '00000000-0000-0000-0000-000000000000', 'null'];
const HOSTILE_QUERIES = [
  'page_size=-1', 'page_size=abc', 'page_size=99999999999999999999', 'page_token=%%%', 'page_token=' + 'A'.repeat(600),
  'id=x&id=y', 'flow=not-a-uuid', 'max-depth=-5', 'max-depth=1000000', 'namespace[]=x', 'token=' + 'z'.repeat(3000),
  'include_credential=password&include_credential=oidc', 'credentials_identifier=' + '%27'.repeat(50), 'return_to=javascript:alert(1)',
];
// Every shape of query value a hostile client sends (huge, negative, fractional, out of range, not a
// number, non-ASCII, repeated), for the parameters routes read: pagination first (issue #20).
const QUERY_NAMES = ['page', 'per_page', 'page_size', 'page_token', 'max-depth', 'flow', 'id', 'limit'];
const QUERY_VALUES = ['1000000000', '99999999999999999999', '-1', '1.5', '1e309', 'NaN', 'Infinity', '%F0%9F%92%A9', '%C3%28', ''];
const GENERATED_QUERIES = QUERY_NAMES.flatMap((name) => [...QUERY_VALUES.map((v) => `${name}=${v}`), `${name}=1&${name}=2&${name}=abc`]);

const HOSTILE_BODIES: { type: string; body: string }[] = [
  { type: 'application/json', body: '{' },
  { type: 'application/json', body: 'null' },
  { type: 'application/json', body: '[]' },
  { type: 'application/json', body: '"string"' },
  { type: 'application/json', body: '12345678901234567890' },
  { type: 'application/json', body: JSON.stringify({ a: 1, __proto__: { polluted: true }, constructor: { prototype: { x: 1 } } }) },
  { type: 'application/json', body: '{"__proto__": {"admin": true}}' },
  { type: 'application/json', body: '['.repeat(5000) + ']'.repeat(5000) },
  // Valid everywhere but for a deep value: it must not reach a recursive serializer (stack overflow).
  { type: 'application/json', body: `{"schema_id":"preset://email","traits":{"email":"deep@example.com"},"name":"deep","metadata_public":${'['.repeat(5000)}${']'.repeat(5000)}}` },
  { type: 'application/json', body: JSON.stringify({ name: 123, traits: 'x', namespace: [], object: {}, op: 'add', path: 5, value: null, client_id: false }) },
  { type: 'application/json', body: JSON.stringify([{ op: 'replace', path: '/', value: null }, { op: 'move', from: '/a', path: '/a/b' }]) },
  { type: 'application/x-www-form-urlencoded', body: 'grant_type=client_credentials&grant_type=password&scope=%00&client_id=' },
  { type: 'application/x-www-form-urlencoded', body: '%%%&&&===' },
  { type: 'text/plain', body: 'class X implements Namespace { permits = { view: (ctx: Context) => this.related.' },
  { type: 'application/xml', body: '<x/>' },
  { type: 'application/json', body: JSON.stringify({ name: 'a\u0000b', traits: { email: 'x\u0000@example.com' }, namespace: 'n\u0000', client_name: '\u0000' }) },
  { type: 'text/plain', body: 'class A implements Namespace {}\u0000' },
  { type: 'application/json; charset=utf-16', body: '{}' },
];

describe(`hostile input never yields a 500 (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry);
  });
  afterAll(() => ctx.close());

  it('answers every route × hostile input with a non-5xx', async () => {
    const failures: string[] = [];
    const routes = allRoutes(ctx.registry).filter((r) => !(r.method === 'DELETE' && /^\/projects\/:project_id$/.test(r.url)));
    for (const spec of routes) {
      const headers = credentialFor(spec, t);
      const probe = async (url: string, payload?: { type: string; body: string }) => {
        const res = await ctx.app.inject({ method: spec.method as 'GET', url, headers: { ...headers, ...(payload ? { 'content-type': payload.type } : {}) }, payload: payload?.body });
        if (res.statusCode >= 500) failures.push(`${spec.method} ${url.slice(0, 120)} ${payload ? payload.type + ' ' + payload.body.slice(0, 40) : ''} → ${res.statusCode} ${res.body.slice(0, 200)}`);
      };
      for (const p of HOSTILE_PARAMS) await probe(pathFor(spec, t, p));
      for (const q of [...HOSTILE_QUERIES, ...GENERATED_QUERIES]) await probe(`${pathFor(spec, t, 'x')}?${q}`);
      if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(spec.method)) {
        for (const b of HOSTILE_BODIES) await probe(pathFor(spec, t, '00000000-0000-0000-0000-000000000000'), b);
      }
    }
    expect(failures).toEqual([]);
    // The process is still healthy afterwards.
    expect((await ctx.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
  }, 300_000);
});
