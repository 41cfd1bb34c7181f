import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Configuration, IdentityApi } from '@ory/client';
import { dialectName, seedTenant, type Tenant } from '../helpers/context.js';
import { startHttpServer, type HttpTestServer } from '../helpers/http.js';
import type { ResolvedProject } from '../../src/tenancy/project-resolver.js';

// `IdentityApi.manageSessions` (POST /admin/sessions): disable or delete sessions in bulk, by
// identity, by session, or for the whole project with identities: ["*"], never beyond the project.

const failure = async (p: Promise<unknown>): Promise<{ status: number; body: { error: Record<string, unknown> } }> => {
  try {
    await p;
  } catch (err) {
    const res = (err as { response: { status: number; data: { error: Record<string, unknown> } } }).response;
    return { status: res.status, body: res.data };
  }
  throw new Error('expected the call to fail');
};

describe(`manageSessions through @ory/client (${dialectName()})`, () => {
  let server: HttpTestServer;
  let a: Tenant;
  let b: Tenant;
  let admin: IdentityApi;
  let adminB: IdentityApi;
  let projectA: ResolvedProject;
  let projectB: ResolvedProject;

  beforeAll(async () => {
    server = await startHttpServer();
    a = await seedTenant(server.registry, 'manage-a');
    b = await seedTenant(server.registry, 'manage-b');
    admin = new IdentityApi(new Configuration({ basePath: server.projectUrl(a.projectSlug), accessToken: a.projectKey }));
    adminB = new IdentityApi(new Configuration({ basePath: server.projectUrl(b.projectSlug), accessToken: b.projectKey }));
    projectA = (await server.registry.projects.bySlug(a.projectSlug))!;
    projectB = (await server.registry.projects.bySlug(b.projectSlug))!;
  });
  afterAll(() => server?.close());

  async function identityWithSessions(api: IdentityApi, project: ResolvedProject, email: string, n: number) {
    const { data: identity } = await api.createIdentity({ createIdentityBody: { schema_id: 'preset://email', traits: { email } } });
    const sessions = [];
    for (let i = 0; i < n; i++) {
      sessions.push((await server.registry.sessions.issue(project, identity.id, { methods: [{ method: 'password', aal: 'aal1', completed_at: new Date().toISOString() }] })).session);
    }
    return { identity, sessions };
  }

  it('disables the sessions of listed identities, counting only those that were active', async () => {
    const { identity, sessions } = await identityWithSessions(admin, projectA, 'm-disable@example.com', 3);
    await admin.disableSession({ id: sessions[0].id });
    const res = await admin.manageSessions({ manageSessionsBody: { action: 'disable', identities: [identity.id] } });
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ processed: 2, more: false });
    const listed = await admin.listIdentitySessions({ id: identity.id });
    expect(listed.data.map((s) => s.active)).toEqual([false, false, false]);
    // Disabled sessions are kept for audit; a second call has nothing left to disable.
    expect((await admin.manageSessions({ manageSessionsBody: { action: 'disable', identities: [identity.id] } })).data).toEqual({ processed: 0, more: false });
  });

  it('deletes listed sessions and leaves the others', async () => {
    const { identity, sessions } = await identityWithSessions(admin, projectA, 'm-delete@example.com', 3);
    const res = await admin.manageSessions({ manageSessionsBody: { action: 'delete', sessions: [sessions[0].id, sessions[2].id] } });
    expect(res.data).toEqual({ processed: 2, more: false });
    const left = await admin.listIdentitySessions({ id: identity.id });
    expect(left.data.map((s) => s.id)).toEqual([sessions[1].id]);
    expect((await failure(admin.getSession({ id: sessions[0].id }))).status).toBe(404);
  });

  it('identities: ["*"] reaches every session of the project and none of another project', async () => {
    const other = await identityWithSessions(adminB, projectB, 'm-other@example.com', 2);
    await identityWithSessions(admin, projectA, 'm-wild@example.com', 2);
    const res = await admin.manageSessions({ manageSessionsBody: { action: 'disable', identities: ['*'] } });
    expect(res.data.more).toBe(false);
    expect(res.data.processed).toBeGreaterThanOrEqual(2);
    expect((await admin.listSessions({ active: true })).data).toEqual([]);
    expect((await adminB.listIdentitySessions({ id: other.identity.id, active: true })).data).toHaveLength(2);

    // Ids of another project match nothing, by identity or by session.
    const cross = await admin.manageSessions({ manageSessionsBody: { action: 'delete', sessions: other.sessions.map((s) => s.id) } });
    expect(cross.data).toEqual({ processed: 0, more: false });
    const crossIdentity = await admin.manageSessions({ manageSessionsBody: { action: 'delete', identities: [other.identity.id] } });
    expect(crossIdentity.data).toEqual({ processed: 0, more: false });
    expect((await adminB.listIdentitySessions({ id: other.identity.id })).data).toHaveLength(2);
  });

  it('refuses malformed bodies with a 400 in Ory’s shape', async () => {
    const id = '0195a6c6-3b3c-7c4e-8b0a-3f8e2f1d2c3b';
    const cases: unknown[] = [
      { action: 'disable' },
      { action: 'disable', identities: [id], sessions: [id] },
      { action: 'disable', sessions: ['*'] },
      { action: 'disable', identities: ['*', id] },
      { action: 'disable', identities: ['not-a-uuid'] },
      { action: 'disable', identities: [] },
      { action: 'revoke', identities: [id] },
      { action: 'delete', sessions: Array.from({ length: 501 }, () => id) },
    ];
    for (const body of cases) {
      const { status, body: err } = await failure(admin.manageSessions({ manageSessionsBody: body as never }));
      expect(status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(err.error).toMatchObject({ code: 400, status: 'Bad Request' });
    }
  });

  it('needs the project key of that project', async () => {
    const anonymous = new IdentityApi(new Configuration({ basePath: server.projectUrl(a.projectSlug) }));
    expect((await failure(anonymous.manageSessions({ manageSessionsBody: { action: 'disable', identities: ['*'] } }))).status).toBe(401);
    const wrongKey = new IdentityApi(new Configuration({ basePath: server.projectUrl(a.projectSlug), accessToken: b.projectKey }));
    expect((await failure(wrongKey.manageSessions({ manageSessionsBody: { action: 'disable', identities: ['*'] } }))).status).toBe(401);
  });
});
