import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Configuration, FrontendApi, JwkApi, ProjectApi } from '@ory/client';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { dialectName, seedTenant, type Tenant } from '../helpers/context.js';
import { startHttpServer, type HttpTestServer } from '../helpers/http.js';
import { projectPublicBase } from '../../src/identity/public-url.js';
import type { ResolvedProject } from '../../src/tenancy/project-resolver.js';

// `whoami?tokenize_as=NAME` (issue #17): the session as a JWT signed with the project's own key,
// verified the way a backend would, against the project's published JWKS, over the real SDK.

const failure = async (p: Promise<unknown>): Promise<{ status: number; error: Record<string, unknown> }> => {
  try {
    await p;
  } catch (err) {
    const r = (err as { response?: { status: number; data: { error: Record<string, unknown> } } }).response;
    if (r) return { status: r.status, error: r.data.error };
  }
  throw new Error('expected the call to fail');
};

describe(`session tokenization (${dialectName()})`, () => {
  let server: HttpTestServer;
  let a: Tenant;
  let b: Tenant;
  let projectA: ResolvedProject;
  let frontendA: FrontendApi;
  let frontendB: FrontendApi;
  let projects: ProjectApi;

  const template = (value: unknown) =>
    projects.patchProject({ projectId: a.projectId, jsonPatch: [{ op: 'add', path: '/services/identity/config/session/whoami', value }] });

  async function signIn(email: string, externalId?: string) {
    const identity = await server.registry.identities.create(projectA, { traits: { email }, ...(externalId ? { external_id: externalId } : {}), metadata_public: { plan: 'pro' } });
    const { token } = await server.registry.sessions.issue(projectA, identity.id, { methods: [{ method: 'password', aal: 'aal1', completed_at: new Date().toISOString() }], devices: [] });
    return { identity, token };
  }

  beforeAll(async () => {
    server = await startHttpServer();
    a = await seedTenant(server.registry, 'tok-a');
    b = await seedTenant(server.registry, 'tok-b');
    projectA = (await server.registry.projects.bySlug(a.projectSlug))!;
    frontendA = new FrontendApi(new Configuration({ basePath: server.projectUrl(a.projectSlug) }));
    frontendB = new FrontendApi(new Configuration({ basePath: server.projectUrl(b.projectSlug) }));
    projects = new ProjectApi(new Configuration({ basePath: server.url, accessToken: a.workspaceKey }));
    await template({
      tokenizer: {
        templates: {
          api: { ttl: '10m', claims: { email: { from: '/identity/traits/email' }, plan: { from: '/identity/metadata_public/plan' }, aal: { from: '/authenticator_assurance_level' }, aud: 'orders-api', missing: { from: '/identity/traits/nope' } } },
          crm: { subject_source: 'external_id' },
        },
      },
    });
  });
  afterAll(() => server?.close());

  it('returns the session with a JWT a backend verifies against the project JWKS', async () => {
    const { identity, token } = await signIn('tok@example.com');
    const res = await frontendA.toSession({ xSessionToken: token, tokenizeAs: 'api' });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toContain('no-store');
    expect(res.data.identity?.id).toBe(identity.id);
    const jwt = res.data.tokenized!;
    expect(decodeProtectedHeader(jwt).alg).toBe('ES256');
    const jwks = createRemoteJWKSet(new URL(`${server.projectUrl(a.projectSlug)}/.well-known/jwks.json`));
    const issuer = projectPublicBase(server.registry.config, a.projectSlug);
    const { payload } = await jwtVerify(jwt, jwks, { issuer, audience: 'orders-api' });
    expect(payload).toMatchObject({ sub: identity.id, sid: res.data.id, email: 'tok@example.com', plan: 'pro', aal: 'aal1' });
    expect(payload).not.toHaveProperty('missing');
    expect(payload.exp! - payload.iat!).toBe(600);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    // Each call mints a new token; without tokenize_as the session comes back as before, untokenized.
    const again = await frontendA.toSession({ xSessionToken: token, tokenizeAs: 'api' });
    expect(again.data.tokenized).not.toBe(jwt);
    expect((await frontendA.toSession({ xSessionToken: token })).data.tokenized).toBeUndefined();
  });

  it('uses the external id as subject when the template says so, and refuses when there is none', async () => {
    const withExternal = await signIn('crm@example.com', 'crm-7');
    const res = await frontendA.toSession({ xSessionToken: withExternal.token, tokenizeAs: 'crm' });
    const { payload } = await jwtVerify(res.data.tokenized!, createRemoteJWKSet(new URL(`${server.projectUrl(a.projectSlug)}/.well-known/jwks.json`)));
    expect(payload.sub).toBe('crm-7');
    expect(payload.exp! - payload.iat!).toBe(60); // Kratos's default ttl
    const without = await signIn('no-crm@example.com');
    const refused = await failure(frontendA.toSession({ xSessionToken: without.token, tokenizeAs: 'crm' }));
    expect(refused.status).toBe(400);
    expect(String(refused.error.reason ?? refused.error.message)).toMatch(/external ID/);
  });

  it('answers 400 for a template that is not configured, 401 without a session, and never tokenizes another project', async () => {
    const { token } = await signIn('tok-unknown@example.com');
    const unknown = await failure(frontendA.toSession({ xSessionToken: token, tokenizeAs: 'nope' }));
    expect(unknown.status).toBe(400);
    expect(String(unknown.error.reason ?? unknown.error.message)).toContain('"nope"');
    expect((await failure(frontendA.toSession({ tokenizeAs: 'api' }))).status).toBe(401);
    // Project B has no such session (nor template): the same 401 as a token that does not exist.
    expect((await failure(frontendB.toSession({ xSessionToken: token, tokenizeAs: 'api' }))).status).toBe(401);
  });

  it('signs with the newest key after a rotation through the JWK admin API', async () => {
    const jwk = new JwkApi(new Configuration({ basePath: server.projectUrl(a.projectSlug), accessToken: a.projectKey }));
    const created = await jwk.createJsonWebKeySet({ set: 'gatehouse.session.tokenizer', createJsonWebKeySet: { alg: 'ES256', use: 'sig', kid: 'rotated-1' } });
    expect(created.data.keys?.[0].kid).toBe('rotated-1');
    const { token } = await signIn('tok-rotated@example.com');
    const res = await frontendA.toSession({ xSessionToken: token, tokenizeAs: 'api' });
    expect(decodeProtectedHeader(res.data.tokenized!).kid).toBe('rotated-1');
    await jwtVerify(res.data.tokenized!, createRemoteJWKSet(new URL(`${server.projectUrl(a.projectSlug)}/.well-known/jwks.json`)), { audience: 'orders-api' });
  });

  it('refuses templates it cannot honour with a 400 naming the key, and keeps the config as it was', async () => {
    const before = (await projects.getProject({ projectId: a.projectId })).data.services.identity?.config;
    for (const [bad, needle] of [
      [{ tokenizer: { templates: { x: { claims: { sub: 'someone' } } } } }, 'claims.sub'],
      [{ tokenizer: { templates: { x: { claims_mapper_url: 'base64://e30=' } } } }, 'claims_mapper_url'],
      [{ tokenizer: { templates: { x: { jwks_url: 'base64://e30=' } } } }, 'jwks_url'],
      [{ tokenizer: { templates: { x: { ttl: 'soon' } } } }, 'ttl'],
      [{ tokenizer: { templates: { x: { subject_source: 'email' } } } }, 'subject_source'],
      [{ tokenizer: { templates: { x: { claims: { email: { from: 42 } } } } } }, 'claims'],
    ] as const) {
      const refused = await failure(template(bad));
      expect(refused.status).toBe(400);
      expect(JSON.stringify(refused.error)).toContain(needle);
    }
    expect((await projects.getProject({ projectId: a.projectId })).data.services.identity?.config).toEqual(before);
  });
});
