import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '../../src/routes.js';
import { mountedUrl, type RouteSpec } from '../../src/platform/http/route-table.js';
import { generateApiKey } from '../../src/keys/format.js';
import { compileSchema } from '../../src/platform/http/validation.js';
import { pathFor } from '../helpers/routes.js';
import { bearer, createTestContext, dialectName, seedTenant, type Tenant, type TestContext } from '../helpers/context.js';

// The authorization matrix of DESIGN.md §3, generated from the one route table: every management,
// console and project-plane route is called with every kind of credential. Adding a route without
// declaring its plane and credential, or serving a route outside the table, fails this suite.

type Variant =
  | 'none' | 'garbage' | 'bad-checksum' | 'unknown-key' | 'expired-key' | 'deleted-key'
  | 'workspace-key' | 'other-workspace-key' | 'project-key' | 'other-project-key'
  // Keys of the lifecycle: both values of a key rotated with a grace period, the old value of one
  // rotated without, and keys that may be used only from this client address, or only from elsewhere.
  | 'rotated-old' | 'rotated-new' | 'rotated-ended' | 'allowed-here' | 'allowed-elsewhere';

const VARIANTS: Variant[] = [
  'none', 'garbage', 'bad-checksum', 'unknown-key', 'expired-key', 'deleted-key', 'workspace-key', 'other-workspace-key', 'project-key', 'other-project-key',
  'rotated-old', 'rotated-new', 'rotated-ended', 'allowed-here', 'allowed-elsewhere',
];
/** The key kind the route would accept: broken and lifecycle keys are of it, so only their state explains an answer. */
type Kind = 'workspace' | 'project';
type Lifecycle = Record<'rotatedOld' | 'rotatedNew' | 'rotatedEnded' | 'allowedHere' | 'allowedElsewhere', Record<Kind, string>>;
const TENANT_PARAMS = new Set(['workspace', 'project', 'project_id', 'slug']);

interface Fixture {
  a: Tenant;
  b: Tenant;
  expired: { workspace: string; project: string };
  deleted: { workspace: string; project: string };
  lifecycle: Lifecycle;
}

function corrupt(key: string): string {
  const last = key[key.length - 1];
  return key.slice(0, -1) + (last === 'A' ? 'B' : 'A');
}

async function fixture(ctx: TestContext): Promise<Fixture> {
  const a = await seedTenant(ctx.registry, 'alpha');
  const b = await seedTenant(ctx.registry, 'beta');
  const past = new Date(Date.now() - 60_000).toISOString();
  const ws = { kind: 'workspace', workspaceId: a.workspaceId } as const;
  const pj = { kind: 'project', workspaceId: a.workspaceId, projectId: a.projectId } as const;
  const expiredWs = await ctx.registry.keys.issue(ws, { name: 'expired', ownerId: a.userId, expiresAt: past });
  const expiredPj = await ctx.registry.keys.issue(pj, { name: 'expired', ownerId: a.userId, expiresAt: past });
  const deletedWs = await ctx.registry.keys.issue(ws, { name: 'deleted', ownerId: a.userId });
  const deletedPj = await ctx.registry.keys.issue(pj, { name: 'deleted', ownerId: a.userId });
  await ctx.registry.keys.revoke(ws, deletedWs.id);
  await ctx.registry.keys.revoke(pj, deletedPj.id);
  const lifecycle = { rotatedOld: {}, rotatedNew: {}, rotatedEnded: {}, allowedHere: {}, allowedElsewhere: {} } as Lifecycle;
  for (const [kind, scope] of [['workspace', ws], ['project', pj]] as const) {
    const graced = await ctx.registry.keys.issue(scope, { name: 'graced', ownerId: a.userId });
    const rotated = await ctx.registry.keys.rotate(scope, graced.id, { ownerId: a.userId, graceMs: 3_600_000 });
    const ended = await ctx.registry.keys.issue(scope, { name: 'ended', ownerId: a.userId });
    await ctx.registry.keys.rotate(scope, ended.id, { ownerId: a.userId, graceMs: 0 });
    lifecycle.rotatedOld[kind] = graced.value;
    lifecycle.rotatedNew[kind] = rotated!.key.value;
    lifecycle.rotatedEnded[kind] = ended.value;
    lifecycle.allowedHere[kind] = (await ctx.registry.keys.issue(scope, { name: 'here', ownerId: a.userId, allowedCidrs: ['127.0.0.0/8', '::1/128'] })).value;
    lifecycle.allowedElsewhere[kind] = (await ctx.registry.keys.issue(scope, { name: 'elsewhere', ownerId: a.userId, allowedCidrs: ['203.0.113.0/24'] })).value;
  }
  return { a, b, expired: { workspace: expiredWs.value, project: expiredPj.value }, deleted: { workspace: deletedWs.value, project: deletedPj.value }, lifecycle };
}

/** Broken keys are of the kind the route would accept, so only the breakage can explain a refusal. */
function credentialHeader(v: Variant, f: Fixture, spec: RouteSpec): Record<string, string> {
  const kind = spec.credential === 'project' ? 'project' : 'workspace';
  switch (v) {
    case 'none': return {};
    case 'garbage': return { authorization: 'Bearer not-a-key' };
    case 'bad-checksum': return bearer(corrupt(kind === 'project' ? f.a.projectKey : f.a.workspaceKey));
    case 'unknown-key': return bearer(generateApiKey(kind));
    case 'expired-key': return bearer(f.expired[kind]);
    case 'deleted-key': return bearer(f.deleted[kind]);
    case 'workspace-key': return bearer(f.a.workspaceKey);
    case 'other-workspace-key': return bearer(f.b.workspaceKey);
    case 'project-key': return bearer(f.a.projectKey);
    case 'other-project-key': return bearer(f.b.projectKey);
    case 'rotated-old': return bearer(f.lifecycle.rotatedOld[kind]);
    case 'rotated-new': return bearer(f.lifecycle.rotatedNew[kind]);
    case 'rotated-ended': return bearer(f.lifecycle.rotatedEnded[kind]);
    case 'allowed-here': return bearer(f.lifecycle.allowedHere[kind]);
    case 'allowed-elsewhere': return bearer(f.lifecycle.allowedElsewhere[kind]);
  }
}

const hasTenantParam = (spec: RouteSpec) => [...mountedUrl(spec).matchAll(/:([A-Za-z_]+)/g)].some((m) => TENANT_PARAMS.has(m[1]));

/** Who may pass the credential check of a route. */
function allowed(spec: RouteSpec, v: Variant): boolean {
  const lifecycleKeyPasses = v === 'rotated-old' || v === 'rotated-new' || v === 'allowed-here' || v === 'allowed-elsewhere';
  switch (spec.credential) {
    case 'management': return v === 'workspace-key' || v === 'other-workspace-key' || lifecycleKeyPasses;
    case 'project': return v === 'project-key' || lifecycleKeyPasses;
    case 'console': return false;
    case 'none': return true;
  }
}

describe(`authorization matrix (${dialectName()})`, () => {
  let ctx: TestContext;
  let routes: RouteSpec[];
  beforeAll(async () => {
    ctx = await createTestContext();
    routes = allRoutes(ctx.registry).filter((r) => r.plane !== 'system');
  });
  afterAll(() => ctx.close());

  it('serves no route outside the route table', () => {
    const stray = ctx.app.servedRoutes.filter((r) => !r.fromTable && r.method !== 'HEAD');
    expect(stray).toEqual([]);
  });

  it('declares a plane and a credential for every route', () => {
    for (const spec of allRoutes(ctx.registry)) {
      expect(['management', 'project', 'console', 'system'], `${spec.method} ${spec.url}`).toContain(spec.plane);
      expect(['none', 'management', 'project', 'console'], `${spec.method} ${spec.url}`).toContain(spec.credential);
      // The one public management route: anyone holding a leaked key may revoke it.
      if (spec.plane === 'management' && spec.url !== '/api-keys/revoke') expect(spec.credential, `${spec.method} ${spec.url}`).toBe('management');
      if (spec.credential === 'project') expect(spec.plane, `${spec.method} ${spec.url}`).toBe('project');
    }
  });

  it('compiles every route schema (validators are otherwise compiled on first use)', () => {
    const broken: string[] = [];
    for (const spec of allRoutes(ctx.registry)) {
      for (const [part, schema] of Object.entries(spec.schema ?? {})) {
        if (part === 'response') continue;
        try {
          compileSchema(schema as object, part);
        } catch (err) {
          broken.push(`${spec.method} ${spec.url} ${part}: ${(err as Error).message}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('gives every route × credential the expected answer', async () => {
    const failures: string[] = [];
    for (const spec of routes) {
      // A fresh pair of tenants per route: destructive calls (purge, delete) cannot affect other rows.
      const f = await fixture(ctx);
      for (const v of VARIANTS) {
        const body = ['POST', 'PUT', 'PATCH'].includes(spec.method) ? {} : undefined;
        const res = await ctx.app.inject({ method: spec.method as 'GET', url: pathFor(spec, f.a), headers: credentialHeader(v, f, spec), payload: body });
        const label = `${spec.method} ${mountedUrl(spec)} with ${v}: got ${res.statusCode}`;
        if (res.statusCode >= 500) failures.push(`${label} (server error)`);
        if (!res.headers['content-type']?.toString().includes('json') && res.statusCode >= 400 && spec.plane !== 'project') failures.push(`${label} (error is not JSON)`);
        if (!allowed(spec, v)) {
          if (res.statusCode !== 401) failures.push(`${label}, want 401`);
          else if (res.json().error?.code !== 401) failures.push(`${label}, error body is not Ory's shape`);
          continue;
        }
        if (spec.credential === 'none') continue;
        if (v === 'allowed-elsewhere') {
          if (res.statusCode !== 403 || !res.json().error?.reason?.includes('client address')) failures.push(`${label}, want 403 for the client address`);
          continue;
        }
        if (v === 'other-workspace-key') {
          if (hasTenantParam(spec)) {
            // Exactly the answer for ids that do not exist: nothing tells the caller the ids are real.
            const ghost: Tenant = { ...f.a, workspaceId: randomUUID(), projectId: randomUUID() };
            const missing = await ctx.app.inject({ method: spec.method as 'GET', url: pathFor(spec, ghost), headers: credentialHeader(v, f, spec), payload: body });
            if (res.statusCode !== missing.statusCode || res.json().error?.id !== missing.json().error?.id) {
              failures.push(`${label}, but ${missing.statusCode} for ids that do not exist`);
            }
            if (res.statusCode < 400) failures.push(`${label}, want a refusal`);
          } else {
            if ([401, 403].includes(res.statusCode)) failures.push(`${label}, want the call to pass authentication`);
            if (res.body.includes(f.a.workspaceId) || res.body.includes(f.a.projectId)) failures.push(`${label}, leaked another tenant's ids`);
          }
          continue;
        }
        if ([401, 403].includes(res.statusCode)) failures.push(`${label}, want the call to pass authentication`);
      }
      // An unknown project answers 404 on the project plane, whatever the key.
      if (spec.plane === 'project') {
        const res = await ctx.app.inject({ method: spec.method as 'GET', url: pathFor(spec, { ...f.a, projectSlug: 'no-such-project-zzzz' }), headers: bearer(f.a.projectKey) });
        if (res.statusCode !== 404) failures.push(`${spec.method} ${mountedUrl(spec)} on an unknown slug: got ${res.statusCode}, want 404`);
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);
});
