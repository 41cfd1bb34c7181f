import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Configuration, FrontendApi, IdentityApi, ProjectApi, type LoginFlow, type SettingsFlow, type UiNode } from '@ory/client';
import { generateSync } from 'otplib';
import { dialectName, seedTenant, type Tenant } from '../helpers/context.js';
import { startHttpServer, type HttpTestServer } from '../helpers/http.js';

// Second factors (issue #17) over the real SDK: TOTP and lookup codes set up in the settings flow,
// used in an aal2 login flow that raises the session, Kratos's AAL checks on whoami and settings,
// removal by the user and by the admin API, brute force, replay, secrets at rest, tenancy.

const failure = async (p: Promise<unknown>): Promise<{ status: number; data: any }> => {
  try {
    await p;
  } catch (err) {
    const r = (err as { response?: { status: number; data: any } }).response;
    if (r) return { status: r.status, data: r.data };
    throw err;
  }
  throw new Error('expected the call to fail');
};

const byId = (flow: { ui: { nodes: UiNode[] } }, id: string) => flow.ui.nodes.find((n) => (n.attributes as { id?: string }).id === id);
const byName = (flow: { ui: { nodes: UiNode[] } }, name: string) => flow.ui.nodes.find((n) => (n.attributes as { name?: string }).name === name && (n.attributes as { type?: string }).type !== 'submit');
const submits = (flow: { ui: { nodes: UiNode[] } }) => flow.ui.nodes.filter((n) => (n.attributes as { type?: string }).type === 'submit').map((n) => `${(n.attributes as { name: string }).name}=${(n.attributes as { value: unknown }).value}`);
const nodeMessages = (flow: { ui: { nodes: UiNode[] } }, name: string) => (byName(flow, name)?.messages ?? []).map((m) => m.id);

describe(`second factors: TOTP, lookup codes, AAL2 (${dialectName()})`, () => {
  let server: HttpTestServer;
  let a: Tenant;
  let b: Tenant;
  let frontend: FrontendApi;
  let frontendB: FrontendApi;
  let admin: IdentityApi;
  let projects: ProjectApi;
  let clock = 0;

  const patch = (tenant: Tenant, jsonPatch: { op: 'add' | 'replace' | 'remove'; path: string; value?: unknown }[]) =>
    projects.patchProject({ projectId: tenant.projectId, jsonPatch });
  const totpCode = (secret: string, offsetSteps = 0) => generateSync({ secret, epoch: Math.floor(server.registry.selfservice.now() / 1000) + offsetSteps * 30 });

  async function register(email: string, password = 'correct horse battery staple 42') {
    const flow = (await frontend.createNativeRegistrationFlow()).data;
    const res = await frontend.updateRegistrationFlow({ flow: flow.id, updateRegistrationFlowBody: { method: 'password', password, traits: { email } } });
    return { token: res.data.session_token!, identityId: res.data.identity!.id, password };
  }
  async function passwordLogin(email: string, password = 'correct horse battery staple 42', api = frontend) {
    const flow = (await api.createNativeLoginFlow()).data;
    const res = await api.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'password', identifier: email, password } });
    return res.data.session_token!;
  }
  async function settings(token: string): Promise<SettingsFlow> {
    return (await frontend.createNativeSettingsFlow({ xSessionToken: token })).data;
  }
  async function linkTotp(token: string): Promise<string> {
    const flow = await settings(token);
    const secret = ((byId(flow, 'totp_secret_key')!.attributes as { text: { context: { secret: string } } }).text.context.secret);
    const res = await frontend.updateSettingsFlow({ flow: flow.id, xSessionToken: token, updateSettingsFlowBody: { method: 'totp', totp_code: totpCode(secret) } });
    expect(res.data.state).toBe('success');
    return secret;
  }
  async function aal2Flow(token: string): Promise<LoginFlow> {
    return (await frontend.createNativeLoginFlow({ aal: 'aal2', xSessionToken: token })).data;
  }

  beforeAll(async () => {
    server = await startHttpServer();
    a = await seedTenant(server.registry, 'mfa-a');
    b = await seedTenant(server.registry, 'mfa-b');
    frontend = new FrontendApi(new Configuration({ basePath: server.projectUrl(a.projectSlug) }));
    frontendB = new FrontendApi(new Configuration({ basePath: server.projectUrl(b.projectSlug) }));
    admin = new IdentityApi(new Configuration({ basePath: server.projectUrl(a.projectSlug), accessToken: a.projectKey }));
    projects = new ProjectApi(new Configuration({ basePath: server.url, accessToken: a.workspaceKey }));
    // Every TOTP step is its own 30 s window: the tests move the flows' clock instead of waiting.
    clock = Date.now();
    server.registry.selfservice.now = () => clock;
    await patch(a, [
      { op: 'add', path: '/services/identity/config/selfservice/methods/totp', value: { enabled: true, config: { issuer: 'Acme Shop' } } },
      { op: 'add', path: '/services/identity/config/selfservice/methods/lookup_secret', value: { enabled: true } },
    ]);
  });
  afterAll(() => server?.close());

  it('is off until the project switches it on: no second-factor nodes, config checked on write', async () => {
    const projectsB = new ProjectApi(new Configuration({ basePath: server.url, accessToken: b.workspaceKey }));
    const token = (await frontendB.updateRegistrationFlow({ flow: (await frontendB.createNativeRegistrationFlow()).data.id, updateRegistrationFlowBody: { method: 'password', password: 'correct horse battery staple 42', traits: { email: 'off@example.com' } } })).data.session_token!;
    const flow = (await frontendB.createNativeSettingsFlow({ xSessionToken: token })).data;
    expect(flow.ui.nodes.some((n) => n.group === 'totp' || n.group === 'lookup_secret')).toBe(false);
    const bad = await failure(projectsB.patchProject({ projectId: b.projectId, jsonPatch: [{ op: 'add', path: '/services/identity/config/session/whoami/required_aal', value: 'aal3' }] }));
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.data)).toContain('required_aal');
  });

  it('links an authenticator app: QR code and secret shown, a wrong code refused, the right one saved', async () => {
    const { token } = await register('totp-link@example.com');
    const flow = await settings(token);
    const qr = byId(flow, 'totp_qr')!;
    expect(qr).toMatchObject({ type: 'img', group: 'totp', meta: { label: { id: 1050005 } } });
    const src = (qr.attributes as { src: string }).src;
    expect(src).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(src.split(',')[1], 'base64').toString()).toContain('<svg');
    const secretNode = byId(flow, 'totp_secret_key')!;
    const secret = (secretNode.attributes as { text: { text: string; id: number } }).text;
    expect(secret.id).toBe(1050006);
    expect(secret.text).toMatch(/^[A-Z2-7]{32}$/);
    // The same flow shows the same secret when read again.
    const again = (await frontend.getSettingsFlow({ id: flow.id, xSessionToken: token })).data;
    expect((byId(again, 'totp_secret_key')!.attributes as { text: { text: string } }).text.text).toBe(secret.text);

    const wrong = await failure(frontend.updateSettingsFlow({ flow: flow.id, xSessionToken: token, updateSettingsFlowBody: { method: 'totp', totp_code: '000000' === totpCode(secret.text) ? '111111' : '000000' } }));
    expect(wrong.status).toBe(400);
    expect(nodeMessages(wrong.data, 'totp_code')).toEqual([4000008]);

    const ok = await frontend.updateSettingsFlow({ flow: flow.id, xSessionToken: token, updateSettingsFlowBody: { method: 'totp', totp_code: totpCode(secret.text) } });
    expect(ok.data.state).toBe('success');
    expect(submits(ok.data)).toContain('totp_unlink=true');
    expect(byId(ok.data, 'totp_qr')).toBeUndefined();
  });

  it('an aal1 session of an identity with TOTP gets 403 session_aal2_required from whoami, until it is raised', async () => {
    const email = 'totp-login@example.com';
    const { token: first } = await register(email);
    const secret = await linkTotp(first);
    const denied = await failure(frontend.toSession({ xSessionToken: first }));
    expect(denied.status).toBe(403);
    expect(denied.data.error.id).toBe('session_aal2_required');
    expect(denied.data.redirect_browser_to).toMatch(/\/self-service\/login\/browser\?aal=aal2$/);

    clock += 30_000;
    const token = await passwordLogin(email);
    const flow = await aal2Flow(token);
    expect(flow.requested_aal).toBe('aal2');
    expect(flow.ui.messages?.map((m) => m.id)).toEqual([1010004]);
    expect(submits(flow)).toEqual(expect.arrayContaining(['method=totp']));
    const wrong = await failure(frontend.updateLoginFlow({ flow: flow.id, xSessionToken: token, updateLoginFlowBody: { method: 'totp', totp_code: totpCode(secret, 5) } }));
    expect(wrong.status).toBe(400);
    expect(nodeMessages(wrong.data, 'totp_code')).toEqual([4000008]);

    const code = totpCode(secret);
    const res = await frontend.updateLoginFlow({ flow: flow.id, xSessionToken: token, updateLoginFlowBody: { method: 'totp', totp_code: code } });
    expect(res.data.session.authenticator_assurance_level).toBe('aal2');
    expect(res.data.session.authentication_methods?.map((m) => `${m.method}:${m.aal}`)).toEqual(['password:aal1', 'totp:aal2']);
    expect(res.data.session_token).toBe(token);
    const me = await frontend.toSession({ xSessionToken: token });
    expect(me.data.authenticator_assurance_level).toBe('aal2');

    // The same code cannot be used twice, not even by another session in the same 30 s.
    const other = await passwordLogin(email);
    const replay = await failure(frontend.updateLoginFlow({ flow: (await aal2Flow(other)).id, xSessionToken: other, updateLoginFlowBody: { method: 'totp', totp_code: code } }));
    expect(replay.status).toBe(400);
    expect(nodeMessages(replay.data, 'totp_code')).toEqual([4000008]);
    // A session already at aal2 needs no aal2 flow; without a session there is nothing to raise.
    expect((await failure(aal2Flow(token))).data.error.id).toBe('session_already_available');
    expect((await failure(frontend.createNativeLoginFlow({ aal: 'aal2' }))).data.error.id).toBe('session_aal1_required');
  });

  it('settings need aal2 too (required_aal highest_available), and unlinking TOTP lifts the requirement', async () => {
    const email = 'totp-unlink@example.com';
    const { token: first } = await register(email);
    const secret = await linkTotp(first);
    const refused = await failure(frontend.createNativeSettingsFlow({ xSessionToken: first }));
    expect(refused.status).toBe(403);
    expect(refused.data.error.id).toBe('session_aal2_required');

    clock += 30_000;
    const flow = await aal2Flow(first);
    await frontend.updateLoginFlow({ flow: flow.id, xSessionToken: first, updateLoginFlowBody: { method: 'totp', totp_code: totpCode(secret) } });
    const s = await settings(first);
    const unlinked = await frontend.updateSettingsFlow({ flow: s.id, xSessionToken: first, updateSettingsFlowBody: { method: 'totp', totp_unlink: true } });
    expect(unlinked.data.state).toBe('success');
    expect(byId(unlinked.data, 'totp_qr')).toBeDefined();
    const fresh = await passwordLogin(email);
    expect((await frontend.toSession({ xSessionToken: fresh })).data.authenticator_assurance_level).toBe('aal1');
  });

  it('lookup codes: generated and shown once, confirmed, each usable once, stored only as hashes', async () => {
    const email = 'lookup@example.com';
    const { token, identityId } = await register(email);
    const flow = await settings(token);
    expect(submits(flow)).toEqual(expect.arrayContaining(['lookup_secret_regenerate=true']));
    const shown = await frontend.updateSettingsFlow({ flow: flow.id, xSessionToken: token, updateSettingsFlowBody: { method: 'lookup_secret', lookup_secret_regenerate: true } });
    const list = (byId(shown.data, 'lookup_secret_codes')!.attributes as { text: { id: number; context: { secrets: { text: string }[] } } }).text;
    expect(list.id).toBe(1050015);
    const codes = list.context.secrets.map((c) => c.text);
    expect(codes).toHaveLength(12);
    for (const c of codes) expect(c).toMatch(/^[a-z0-9]{8}$/);
    expect(submits(shown.data)).toEqual(expect.arrayContaining(['lookup_secret_confirm=true']));
    // Not kept until confirmed.
    expect((await admin.getIdentity({ id: identityId })).data.credentials?.lookup_secret).toBeUndefined();
    const confirmed = await frontend.updateSettingsFlow({ flow: flow.id, xSessionToken: token, updateSettingsFlowBody: { method: 'lookup_secret', lookup_secret_confirm: true } });
    expect(confirmed.data.state).toBe('success');
    expect(byId(confirmed.data, 'lookup_secret_codes')).toBeUndefined();
    expect(submits(confirmed.data)).toEqual(expect.arrayContaining(['lookup_secret_disable=true']));

    // Admin sees that codes exist, never the codes.
    const stored = (await admin.getIdentity({ id: identityId, includeCredential: ['lookup_secret'] })).data.credentials!.lookup_secret!;
    expect(stored.config).toEqual({ recovery_codes: codes.map(() => ({})) });
    const raw = await server.registry.db.selectFrom('identity_credentials').select('config').where('identity_id', '=', identityId).where('type', '=', 'lookup_secret').executeTakeFirstOrThrow();
    for (const c of codes) expect(raw.config).not.toContain(c);
    const flows = await server.registry.db.selectFrom('selfservice_flows').select(['ui', 'extra']).where('identity_id', '=', identityId).execute();
    for (const f of flows) for (const c of codes) expect(f.ui + f.extra).not.toContain(c);

    const login = await passwordLogin(email);
    const mfa = await aal2Flow(login);
    expect(submits(mfa)).toEqual(['method=lookup_secret']);
    const invalid = await failure(frontend.updateLoginFlow({ flow: mfa.id, xSessionToken: login, updateLoginFlowBody: { method: 'lookup_secret', lookup_secret: 'notacode' } }));
    expect(nodeMessages(invalid.data, 'lookup_secret')).toEqual([4000016]);
    const ok = await frontend.updateLoginFlow({ flow: mfa.id, xSessionToken: login, updateLoginFlowBody: { method: 'lookup_secret', lookup_secret: codes[3].toUpperCase() } });
    expect(ok.data.session.authenticator_assurance_level).toBe('aal2');

    const again = await passwordLogin(email);
    const used = await failure(frontend.updateLoginFlow({ flow: (await aal2Flow(again)).id, xSessionToken: again, updateLoginFlowBody: { method: 'lookup_secret', lookup_secret: codes[3] } }));
    expect(nodeMessages(used.data, 'lookup_secret')).toEqual([4000012]);
    expect(((await admin.getIdentity({ id: identityId, includeCredential: ['lookup_secret'] })).data.credentials!.lookup_secret!.config as { recovery_codes: { used_at?: string }[] }).recovery_codes[3].used_at).toBeTruthy();
  });

  it('the TOTP seed is sealed at rest and never leaves through the admin API', async () => {
    const { token, identityId } = await register('totp-rest@example.com');
    const secret = await linkTotp(token);
    const raw = await server.registry.db.selectFrom('identity_credentials').select('config').where('identity_id', '=', identityId).where('type', '=', 'totp').executeTakeFirstOrThrow();
    expect(raw.config).not.toContain(secret);
    const flows = await server.registry.db.selectFrom('selfservice_flows').select(['ui', 'extra']).where('identity_id', '=', identityId).execute();
    for (const f of flows) expect(f.ui + f.extra).not.toContain(secret);
    const viaAdmin = await admin.getIdentity({ id: identityId, includeCredential: ['totp'] });
    expect(viaAdmin.data.credentials?.totp).toMatchObject({ type: 'totp', identifiers: [identityId], config: {} });
    expect(JSON.stringify(viaAdmin.data)).not.toContain(secret);
  });

  it('too many wrong second-factor codes answer 429', async () => {
    await patch(a, [{ op: 'add', path: '/services/identity/config/security', value: { brute_force: { max_failures_per_identifier: 3 } } }]);
    try {
      const email = 'totp-brute@example.com';
      const { token } = await register(email);
      const secret = await linkTotp(token);
      const flow = await aal2Flow(token);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await failure(frontend.updateLoginFlow({ flow: flow.id, xSessionToken: token, updateLoginFlowBody: { method: 'totp', totp_code: totpCode(secret, 10 + i) } }))).status);
      expect(statuses).toEqual([400, 400, 400, 429]);
      // Even the right code waits out the window.
      expect((await failure(frontend.updateLoginFlow({ flow: flow.id, xSessionToken: token, updateLoginFlowBody: { method: 'totp', totp_code: totpCode(secret) } }))).status).toBe(429);
    } finally {
      await patch(a, [{ op: 'remove', path: '/services/identity/config/security' }]);
    }
  });

  it('the admin API removes a second factor (deleteIdentityCredentials), and whoami with required_aal aal1 asks for none', async () => {
    const email = 'totp-admin@example.com';
    const { token, identityId } = await register(email);
    await linkTotp(token);
    expect((await failure(frontend.toSession({ xSessionToken: token }))).status).toBe(403);
    await patch(a, [{ op: 'add', path: '/services/identity/config/session/whoami', value: { required_aal: 'aal1' } }]);
    try {
      expect((await frontend.toSession({ xSessionToken: token })).data.authenticator_assurance_level).toBe('aal1');
    } finally {
      await patch(a, [{ op: 'remove', path: '/services/identity/config/session/whoami' }]);
    }
    expect((await admin.deleteIdentityCredentials({ id: identityId, type: 'totp' })).status).toBe(204);
    expect((await frontend.toSession({ xSessionToken: token })).status).toBe(200);
    expect((await failure(admin.deleteIdentityCredentials({ id: identityId, type: 'totp' }))).status).toBe(404);
  });

  it("another project's session cannot open or finish an aal2 flow", async () => {
    const email = 'totp-tenant@example.com';
    const { token } = await register(email);
    const secret = await linkTotp(token);
    expect((await failure(frontendB.createNativeLoginFlow({ aal: 'aal2', xSessionToken: token }))).data.error.id).toBe('session_aal1_required');
    const flow = await aal2Flow(token);
    const foreign = await failure(frontendB.updateLoginFlow({ flow: flow.id, xSessionToken: token, updateLoginFlowBody: { method: 'totp', totp_code: totpCode(secret) } }));
    expect(foreign.status).toBe(404);
  });
});
