import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Configuration, CourierApi, FrontendApi, IdentityApi } from '@ory/client';
import bcrypt from 'bcryptjs';
import { hash as argon2Hash } from '@node-rs/argon2';
import { dialectName, seedTenant, type Tenant } from '../helpers/context.js';
import { startHttpServer, type HttpTestServer } from '../helpers/http.js';
import type { ResolvedProject } from '../../src/tenancy/project-resolver.js';

// The identity plane driven by the official @ory/client over real HTTP: every endpoint built in
// src/identity, plus cross-project isolation through the SDK.

const status = async (p: Promise<unknown>): Promise<number> => {
  try {
    await p;
    return 200;
  } catch (err) {
    return (err as { response?: { status: number } }).response?.status ?? -1;
  }
};
const errorBody = async (p: Promise<unknown>): Promise<{ error: Record<string, unknown> }> => {
  try {
    await p;
  } catch (err) {
    return (err as { response: { data: { error: Record<string, unknown> } } }).response.data;
  }
  throw new Error('expected the call to fail');
};

describe(`identity plane through @ory/client (${dialectName()})`, () => {
  let server: HttpTestServer;
  let a: Tenant;
  let b: Tenant;
  let admin: IdentityApi;
  let adminB: IdentityApi;
  let courier: CourierApi;
  let frontend: FrontendApi;
  let projectA: ResolvedProject;

  beforeAll(async () => {
    server = await startHttpServer();
    a = await seedTenant(server.registry, 'sdk-a');
    b = await seedTenant(server.registry, 'sdk-b');
    admin = new IdentityApi(new Configuration({ basePath: server.projectUrl(a.projectSlug), accessToken: a.projectKey }));
    adminB = new IdentityApi(new Configuration({ basePath: server.projectUrl(b.projectSlug), accessToken: b.projectKey }));
    courier = new CourierApi(new Configuration({ basePath: server.projectUrl(a.projectSlug), accessToken: a.projectKey }));
    frontend = new FrontendApi(new Configuration({ basePath: server.projectUrl(a.projectSlug) }));
    projectA = (await server.registry.projects.bySlug(a.projectSlug))!;
  });
  afterAll(() => server?.close());

  async function session(identityId: string) {
    return server.registry.sessions.issue(projectA, identityId, { methods: [{ method: 'password', aal: 'aal1', completed_at: new Date().toISOString() }], devices: [{ ip_address: '127.0.0.1', user_agent: 'sdk' }] });
  }

  it('createIdentity, getIdentity (include_credential), getIdentityByExternalID', async () => {
    const created = await admin.createIdentity({
      createIdentityBody: {
        schema_id: 'preset://email',
        traits: { email: 'sdk-user@example.com' },
        external_id: 'crm-42',
        metadata_public: { role: 'reader' },
        metadata_admin: { source: 'import' },
        credentials: { password: { config: { password: 'sdk password 123' } } },
      },
    });
    expect(created.status).toBe(201);
    const id = created.data.id;
    expect(created.data).toMatchObject({ state: 'active', traits: { email: 'sdk-user@example.com' }, external_id: 'crm-42', metadata_admin: { source: 'import' } });
    const got = await admin.getIdentity({ id });
    expect(got.data.verifiable_addresses?.[0]).toMatchObject({ value: 'sdk-user@example.com', verified: false, via: 'email', status: 'pending' });
    expect(got.data.recovery_addresses?.[0]).toMatchObject({ value: 'sdk-user@example.com', via: 'email' });
    expect(got.data.credentials?.password?.config).toBeUndefined();
    const withCred = await admin.getIdentity({ id, includeCredential: ['password'] });
    expect((withCred.data.credentials?.password?.config as { hashed_password: string }).hashed_password).toMatch(/^\$argon2id\$/);
    expect((await admin.getIdentityByExternalID({ externalID: 'crm-42' })).data.id).toBe(id);
    expect(await server.registry.identities.verifyPassword(a.projectId, id, 'sdk password 123')).toBe(true);

    // Imported hashes.
    const bc = await admin.createIdentity({ createIdentityBody: { schema_id: 'preset://email', traits: { email: 'sdk-bcrypt@example.com' }, credentials: { password: { config: { hashed_password: bcrypt.hashSync('bcrypt pw 1', 4) } } } } });
    expect(await server.registry.identities.verifyPassword(a.projectId, bc.data.id, 'bcrypt pw 1')).toBe(true);
    const ar = await admin.createIdentity({ createIdentityBody: { schema_id: 'preset://email', traits: { email: 'sdk-argon@example.com' }, credentials: { password: { config: { hashed_password: await argon2Hash('argon pw 1') } } } } });
    expect(await server.registry.identities.verifyPassword(a.projectId, ar.data.id, 'argon pw 1')).toBe(true);

    const dup = await errorBody(admin.createIdentity({ createIdentityBody: { schema_id: 'preset://email', traits: { email: 'SDK-user@example.com' } } }));
    expect(dup.error).toMatchObject({ code: 409, id: 'identity_already_exists' });
  });

  it('listIdentities: pagination via Link header, credentials_identifier and ids filters', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await adminB.createIdentity({ createIdentityBody: { schema_id: 'preset://email', traits: { email: `b-list-${i}@example.com` } } })).data.id);
    const first = await adminB.listIdentities({ pageSize: 2 });
    expect(first.data).toHaveLength(2);
    const next = /<[^>]*[?&]page_token=([^&>]+)[^>]*>; rel="next"/.exec(String(first.headers.link));
    expect(next).not.toBeNull();
    const second = await adminB.listIdentities({ pageSize: 2, pageToken: decodeURIComponent(next![1]) });
    expect(second.data).toHaveLength(1);
    expect(String(second.headers.link)).not.toContain('rel="next"');
    expect([...first.data, ...second.data].map((i) => i.id)).toEqual([...ids].sort());
    expect((await adminB.listIdentities({ credentialsIdentifier: 'b-list-1@example.com' })).data.map((i) => i.id)).toEqual([ids[1]]);
    expect((await adminB.listIdentities({ ids: [ids[0], ids[2]] })).data.map((i) => i.id).sort()).toEqual([ids[0], ids[2]].sort());
  });

  it('updateIdentity (PUT) and patchIdentity (JSON Patch)', async () => {
    const { data: created } = await admin.createIdentity({ createIdentityBody: { schema_id: 'preset://email', traits: { email: 'sdk-update@example.com' } } });
    const put = await admin.updateIdentity({ id: created.id, updateIdentityBody: { schema_id: 'preset://email', state: 'inactive', traits: { email: 'sdk-update2@example.com' }, metadata_public: { x: 1 } } });
    expect(put.data).toMatchObject({ state: 'inactive', traits: { email: 'sdk-update2@example.com' }, metadata_public: { x: 1 } });
    const patched = await admin.patchIdentity({ id: created.id, jsonPatch: [{ op: 'replace', path: '/state', value: 'active' }, { op: 'replace', path: '/traits/email', value: 'sdk-patched@example.com' }] as never });
    expect(patched.data).toMatchObject({ state: 'active', traits: { email: 'sdk-patched@example.com' } });
    expect(await status(admin.patchIdentity({ id: created.id, jsonPatch: [{ op: 'replace', path: '/traits/email', value: 'nope' }] as never }))).toBe(400);
  });

  it('batchPatchIdentities', async () => {
    const res = await admin.batchPatchIdentities({
      patchIdentitiesBody: {
        identities: [
          { patch_id: '1', create: { schema_id: 'preset://email', traits: { email: 'sdk-batch-1@example.com' } } },
          { patch_id: '2', create: { schema_id: 'preset://email', traits: { email: 'sdk-batch-2@example.com' }, credentials: { password: { config: { password: 'batch password 1' } } } } },
          { patch_id: '3', create: { schema_id: 'preset://email', traits: { email: 'sdk-batch-1@example.com' } } },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.data.identities?.map((i) => i.action)).toEqual(['create', 'create', 'error']);
    const id2 = res.data.identities![1].identity!;
    expect((await admin.getIdentity({ id: id2 })).data.traits).toEqual({ email: 'sdk-batch-2@example.com' });
  });

  it('deleteIdentityCredentials and deleteIdentity', async () => {
    const { data: created } = await admin.createIdentity({ createIdentityBody: { schema_id: 'preset://email', traits: { email: 'sdk-delete@example.com' }, credentials: { password: { config: { password: 'delete pw 12345' } } } } });
    expect((await admin.deleteIdentityCredentials({ id: created.id, type: 'password' })).status).toBe(204);
    expect(await server.registry.identities.verifyPassword(a.projectId, created.id, 'delete pw 12345')).toBe(false);
    expect(await status(admin.deleteIdentityCredentials({ id: created.id, type: 'totp' }))).toBe(404);
    expect((await admin.deleteIdentity({ id: created.id })).status).toBe(204);
    expect(await status(admin.getIdentity({ id: created.id }))).toBe(404);
  });

  it('sessions: listSessions, listIdentitySessions, getSession, extendSession, disableSession, deleteIdentitySessions', async () => {
    const { data: identity } = await admin.createIdentity({ createIdentityBody: { schema_id: 'preset://email', traits: { email: 'sdk-sessions@example.com' } } });
    const s1 = await session(identity.id);
    const s2 = await session(identity.id);
    const listed = await admin.listSessions({ pageSize: 500, expand: ['identity'] });
    expect(listed.data.map((s) => s.id)).toEqual(expect.arrayContaining([s1.session.id, s2.session.id]));
    expect(listed.data.find((s) => s.id === s1.session.id)?.identity?.id).toBe(identity.id);
    expect(String(listed.headers.link)).toContain('rel="first"');
    const mine = await admin.listIdentitySessions({ id: identity.id });
    expect(mine.data.map((s) => s.id).sort()).toEqual([s1.session.id, s2.session.id].sort());
    const got = await admin.getSession({ id: s1.session.id, expand: ['identity', 'devices'] });
    expect(got.data).toMatchObject({ id: s1.session.id, active: true, identity: { id: identity.id }, devices: [{ ip_address: '127.0.0.1', user_agent: 'sdk' }] });
    expect((await admin.extendSession({ id: s1.session.id })).status).toBe(204);
    expect((await admin.disableSession({ id: s1.session.id })).status).toBe(204);
    expect((await admin.getSession({ id: s1.session.id })).data.active).toBe(false);
    expect((await admin.deleteIdentitySessions({ id: identity.id })).status).toBe(204);
    expect((await admin.listIdentitySessions({ id: identity.id })).data).toEqual([]);
    expect(await status(admin.getSession({ id: s2.session.id }))).toBe(404);
  });

  it('schemas: listIdentitySchemas, getIdentitySchema (without a key, and with one)', async () => {
    const anonymous = new IdentityApi(new Configuration({ basePath: server.projectUrl(a.projectSlug) }));
    const list = await anonymous.listIdentitySchemas();
    expect(list.data.map((s) => s.id)).toEqual(['preset://email']);
    const one = await anonymous.getIdentitySchema({ id: Buffer.from('preset://email').toString('base64url') });
    expect((one.data as { properties: Record<string, unknown> }).properties).toHaveProperty('traits');
    expect((await admin.listIdentitySchemas()).data).toHaveLength(1);
    const { data: created } = await admin.createIdentity({ createIdentityBody: { schema_id: 'preset://email', traits: { email: 'sdk-schema-url@example.com' } } });
    const path = new URL(created.schema_url).pathname;
    expect((await admin.getIdentitySchema({ id: path.split('/').pop()! })).status).toBe(200);
  });

  it('frontend: toSession, listMySessions, disableMySession, disableMyOtherSessions', async () => {
    const { data: identity } = await admin.createIdentity({ createIdentityBody: { schema_id: 'preset://email', traits: { email: 'sdk-frontend@example.com' } } });
    const me = await session(identity.id);
    const other1 = await session(identity.id);
    const other2 = await session(identity.id);
    const who = await frontend.toSession({ xSessionToken: me.token });
    expect(who.data).toMatchObject({ id: me.session.id, active: true, identity: { id: identity.id } });
    expect(who.headers['x-kratos-authenticated-identity-id']).toBe(identity.id);
    expect((await frontend.toSession({ cookie: `ory_kratos_session=${me.token}` })).data.id).toBe(me.session.id);
    const none = await errorBody(frontend.toSession());
    expect(none.error).toMatchObject({ code: 401, id: 'session_inactive' });

    const mine = await frontend.listMySessions({ xSessionToken: me.token });
    expect(mine.data.map((s) => s.id).sort()).toEqual([other1.session.id, other2.session.id].sort());
    expect((await frontend.disableMySession({ id: other1.session.id, xSessionToken: me.token })).status).toBe(204);
    expect(await status(frontend.toSession({ xSessionToken: other1.token }))).toBe(401);
    const count = await frontend.disableMyOtherSessions({ xSessionToken: me.token });
    expect(count.data.count).toBe(1);
    expect(await status(frontend.toSession({ xSessionToken: other2.token }))).toBe(401);
    expect((await frontend.toSession({ xSessionToken: me.token })).status).toBe(200);
  });

  it('courier: listCourierMessages, getCourierMessage', async () => {
    await server.registry.courier.queue(a.projectId, { recipient: 'sdk-courier@example.com', template_type: 'verification_code_valid', subject: 'Please verify', body: 'Your code is 000000' });
    const list = await courier.listCourierMessages({ recipient: 'sdk-courier@example.com', status: 'queued' });
    expect(list.data).toHaveLength(1);
    expect(list.data[0]).toMatchObject({ recipient: 'sdk-courier@example.com', status: 'queued', template_type: 'verification_code_valid' });
    expect((await courier.getCourierMessage({ id: list.data[0].id })).data.subject).toBe('Please verify');
    const courierB = new CourierApi(new Configuration({ basePath: server.projectUrl(b.projectSlug), accessToken: b.projectKey }));
    expect(await status(courierB.getCourierMessage({ id: list.data[0].id }))).toBe(404);
  });

  it('createRecoveryCodeForIdentity: the code completes updateRecoveryFlow; createRecoveryLinkForIdentity answers "disabled"', async () => {
    const { data: identity } = await admin.createIdentity({ createIdentityBody: { schema_id: 'preset://email', traits: { email: 'sdk-recover@example.com' } } });
    const created = await admin.createRecoveryCodeForIdentity({ createRecoveryCodeForIdentityBody: { identity_id: identity.id, expires_in: '15m', flow_type: 'api' } });
    expect(created.status).toBe(201);
    expect(created.data.recovery_code).toMatch(/^\d{6}$/);
    const flow = new URL(created.data.recovery_link).searchParams.get('flow')!;
    const { data: done } = await frontend.updateRecoveryFlow({ flow, updateRecoveryFlowBody: { method: 'code', code: created.data.recovery_code } });
    const token = (done.continue_with ?? []).map((c) => c as { action: string; ory_session_token?: string }).find((c) => c.action === 'set_ory_session_token')?.ory_session_token;
    expect((await frontend.toSession({ xSessionToken: token })).data.identity?.id).toBe(identity.id);
    expect(await status(adminB.createRecoveryCodeForIdentity({ createRecoveryCodeForIdentityBody: { identity_id: identity.id } }))).toBe(404);
    expect(await status(admin.createRecoveryLinkForIdentity({ createRecoveryLinkForIdentityBody: { identity_id: identity.id } }))).toBe(404);
  });

  it('isolates projects: another project sees 404, its sessions do not resolve, its lists are empty', async () => {
    const { data: created } = await admin.createIdentity({ createIdentityBody: { schema_id: 'preset://email', traits: { email: 'sdk-isolated@example.com' }, external_id: 'iso-1' } });
    const s = await session(created.id);
    expect(await status(adminB.getIdentity({ id: created.id }))).toBe(404);
    expect(await status(adminB.getIdentityByExternalID({ externalID: 'iso-1' }))).toBe(404);
    expect(await status(adminB.updateIdentity({ id: created.id, updateIdentityBody: { schema_id: 'preset://email', state: 'active', traits: { email: 'x@example.com' } } }))).toBe(404);
    expect(await status(adminB.patchIdentity({ id: created.id, jsonPatch: [] }))).toBe(404);
    expect(await status(adminB.deleteIdentity({ id: created.id }))).toBe(404);
    expect(await status(adminB.deleteIdentityCredentials({ id: created.id, type: 'password' }))).toBe(404);
    expect(await status(adminB.listIdentitySessions({ id: created.id }))).toBe(404);
    expect(await status(adminB.deleteIdentitySessions({ id: created.id }))).toBe(404);
    expect(await status(adminB.getSession({ id: s.session.id }))).toBe(404);
    expect(await status(adminB.disableSession({ id: s.session.id }))).toBe(404);
    expect(await status(adminB.extendSession({ id: s.session.id }))).toBe(404);
    expect((await adminB.listIdentities({ credentialsIdentifier: 'sdk-isolated@example.com' })).data).toEqual([]);
    expect((await adminB.listSessions({ pageSize: 1000 })).data.map((x) => x.id)).not.toContain(s.session.id);
    const frontendB = new FrontendApi(new Configuration({ basePath: server.projectUrl(b.projectSlug) }));
    expect(await status(frontendB.toSession({ xSessionToken: s.token }))).toBe(401);
    // A project key of A does not open B's admin API.
    const crossed = new IdentityApi(new Configuration({ basePath: server.projectUrl(b.projectSlug), accessToken: a.projectKey }));
    expect(await status(crossed.listIdentities())).toBe(401);
    // Still intact in A.
    expect((await admin.getIdentity({ id: created.id })).status).toBe(200);
    expect((await frontend.toSession({ xSessionToken: s.token })).status).toBe(200);
  });
});
