import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Configuration, FrontendApi, IdentityApi, ProjectApi, type UiNode } from '@ory/client';
import { dialectName, seedTenant, type Tenant } from '../helpers/context.js';
import { startHttpServer, type HttpTestServer } from '../helpers/http.js';

// WebAuthn refusals that need no browser (the ceremonies themselves are in test/e2e/webauthn.test.ts):
// the switches and their config checks, the script route, forged or malformed answers, brute force,
// expired flows, tenancy, and the admin API's credential removal.

const PASSWORD = 'correct horse battery staple 42';
const failure = async (p: Promise<unknown>): Promise<{ status: number; data: any; headers: Record<string, string> }> => {
  try {
    await p;
  } catch (err) {
    const r = (err as { response?: { status: number; data: any; headers: Record<string, string> } }).response;
    if (r) return r;
    throw err;
  }
  throw new Error('expected the call to fail');
};
const attrs = (n: UiNode | undefined) => (n?.attributes ?? {}) as Record<string, any>;
const named = (flow: { ui: { nodes: UiNode[] } }, name: string) => flow.ui.nodes.find((n) => attrs(n).name === name);
const ids = (flow: { ui: { messages?: { id: number }[]; nodes: UiNode[] } }) => [...(flow.ui.messages ?? []), ...flow.ui.nodes.flatMap((n) => n.messages)].map((m) => m.id);
/** A well-formed answer that no authenticator made. */
const forged = JSON.stringify({
  id: 'AAAA', rawId: 'AAAA', type: 'public-key',
  response: { clientDataJSON: Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: 'AAAA', origin: 'http://localhost' })).toString('base64url'), authenticatorData: 'AAAA', signature: 'AAAA', userHandle: 'AAAA', attestationObject: 'AAAA' },
});

describe(`WebAuthn refusals over the SDK (${dialectName()})`, () => {
  let server: HttpTestServer;
  let a: Tenant;
  let b: Tenant;
  let c: Tenant;
  let base = '';
  let frontend: FrontendApi;
  let clock = 0;
  const api = (t: Tenant) => new FrontendApi(new Configuration({ basePath: `${base}/p/${t.projectSlug}` }));
  const projects = (t: Tenant) => new ProjectApi(new Configuration({ basePath: server.url, accessToken: t.workspaceKey }));
  const patch = (t: Tenant, jsonPatch: { op: 'add'; path: string; value: unknown }[]) => projects(t).patchProject({ projectId: t.projectId, jsonPatch });
  const enable = (t: Tenant) =>
    patch(t, [
      { op: 'add', path: '/services/identity/config/selfservice/methods/webauthn', value: { enabled: true, config: { rp: { id: 'localhost', display_name: 'Acme', origins: [base] } } } },
      { op: 'add', path: '/services/identity/config/selfservice/methods/passkey', value: { enabled: true } },
    ]);
  async function register(email: string, f = frontend) {
    const flow = (await f.createNativeRegistrationFlow()).data;
    const res = await f.updateRegistrationFlow({ flow: flow.id, updateRegistrationFlowBody: { method: 'password', password: PASSWORD, traits: { email } } });
    return { token: res.data.session_token!, identityId: res.data.identity!.id };
  }

  beforeAll(async () => {
    server = await startHttpServer();
    base = server.url.replace('127.0.0.1', 'localhost');
    [a, b, c] = [await seedTenant(server.registry, 'wa-a'), await seedTenant(server.registry, 'wa-b'), await seedTenant(server.registry, 'wa-c')];
    frontend = api(a);
    clock = Date.now();
    server.registry.selfservice.now = () => clock;
  });
  afterAll(() => server?.close());

  it('is off until switched on: no nodes and the script answers 404; then the script is served with the integrity its node names', async () => {
    const script = () => fetch(`${base}/p/${b.projectSlug}/.well-known/ory/webauthn.js`);
    const { token } = await register(`off-${Date.now()}@example.com`, api(b));
    const off = (await api(b).createNativeSettingsFlow({ xSessionToken: token })).data;
    expect(off.ui.nodes.some((n) => n.group === 'webauthn' || n.group === 'passkey')).toBe(false);
    expect((await api(b).createNativeLoginFlow()).data.ui.nodes.some((n) => n.group === 'passkey')).toBe(false);
    const disabled = await script();
    expect(disabled.status).toBe(404);
    expect((await disabled.json()).error.code).toBe(404);

    await enable(b);
    const on = await script();
    expect(on.status).toBe(200);
    expect(on.headers.get('content-type')).toMatch(/^text\/javascript/);
    const body = await on.text();
    expect(body).toContain('oryWebAuthnRegistration');
    const flow = (await api(b).createNativeSettingsFlow({ xSessionToken: token })).data;
    const node = flow.ui.nodes.find((n) => n.type === 'script')!;
    expect(attrs(node).integrity).toBe(`sha512-${createHash('sha512').update(body).digest('base64')}`);
    expect(named(flow, 'passkey_create_data')).toBeTruthy();
  });

  it('refuses configs it would not honour: passwordless WebAuthn, a relying party id that is not a host', async () => {
    const passwordless = await failure(patch(c, [{ op: 'add', path: '/services/identity/config/selfservice/methods/webauthn', value: { enabled: true, config: { passwordless: true } } }]));
    expect(passwordless.status).toBe(400);
    expect(JSON.stringify(passwordless.data)).toContain('passwordless');
    const rp = await failure(patch(c, [{ op: 'add', path: '/services/identity/config/selfservice/methods/passkey', value: { enabled: true, config: { rp: { id: 'https://example.com/' } } } }]));
    expect(rp.status).toBe(400);
    expect(JSON.stringify(rp.data)).toContain('rp');
  });

  it('settings refuses a forged, malformed or missing key, and removing a key the identity does not have', async () => {
    await enable(a);
    const { token } = await register(`forged-${Date.now()}@example.com`);
    const flow = (await frontend.createNativeSettingsFlow({ xSessionToken: token })).data;
    const submit = (body: Record<string, unknown>) => failure(frontend.updateSettingsFlow({ flow: flow.id, xSessionToken: token, updateSettingsFlowBody: { method: 'webauthn', ...body } as any }));
    for (const answer of [forged, 'not json', '{"id":"x"}']) {
      const res = await submit({ webauthn_register: answer });
      expect(res.status).toBe(400);
      expect(ids(res.data)).toContain(4000008);
    }
    const missing = await submit({});
    expect(missing.status).toBe(400);
    expect(named(missing.data, 'webauthn_register')?.messages.map((m) => m.id)).toEqual([4000002]);
    const unknown = await submit({ webauthn_remove: 'abcdef' });
    expect(unknown.status).toBe(400);
    expect(ids(unknown.data)).toContain(4000001);
    const passkey = await failure(frontend.updateSettingsFlow({ flow: flow.id, xSessionToken: token, updateSettingsFlowBody: { method: 'passkey', passkey_settings_register: forged } }));
    expect(passkey.status).toBe(400);
    expect(ids(passkey.data)).toContain(4000008);
    expect((await frontend.toSession({ xSessionToken: token })).data.authentication_methods?.map((m) => m.method)).toEqual(['password']);
  });

  it('a passkey login refuses forged answers with 4000008, then too many of them with 429', async () => {
    await enable(c);
    await patch(c, [{ op: 'add', path: '/services/identity/config/security', value: { brute_force: { max_failures_per_address: 3 } } }]);
    const fc = api(c);
    for (let i = 0; i < 3; i++) {
      const flow = (await fc.createNativeLoginFlow()).data;
      const res = await failure(fc.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'passkey', passkey_login: i === 1 ? 'garbage' : forged } }));
      expect(res.status).toBe(400);
      expect(ids(res.data)).toContain(4000008);
    }
    const flow = (await fc.createNativeLoginFlow()).data;
    const limited = await failure(fc.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'passkey', passkey_login: forged } }));
    expect(limited.status).toBe(429);
    expect(limited.data.error.id).toBe('too_many_requests');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('an expired login flow is refused with 410 and a replacement flow with its own passkey challenge', async () => {
    const flow = (await frontend.createNativeLoginFlow()).data;
    clock += 2 * 3600_000;
    try {
      const res = await failure(frontend.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'passkey', passkey_login: forged } }));
      expect(res.status).toBe(410);
      expect(res.data.error.id).toBe('self_service_flow_expired');
      const replacement = (await frontend.getLoginFlow({ id: res.data.use_flow_id })).data;
      expect(attrs(named(replacement, 'passkey_challenge')).value).toBeTruthy();
      expect(attrs(named(replacement, 'passkey_challenge')).value).not.toBe(attrs(named(flow, 'passkey_challenge')).value);
    } finally {
      clock -= 2 * 3600_000;
    }
  });

  it("another project's session cannot use this project's settings or aal2 flows; the admin API removes webauthn, not passkey credentials", async () => {
    await enable(b);
    const { token: tokenB } = await register(`tenant-${Date.now()}@example.com`, api(b));
    expect((await failure(frontend.createNativeSettingsFlow({ xSessionToken: tokenB }))).status).toBe(401);
    const aal2 = await failure(frontend.createNativeLoginFlow({ aal: 'aal2', xSessionToken: tokenB }));
    expect(aal2.status).toBe(401);
    expect(aal2.data.error.id).toBe('session_aal1_required');

    const { identityId } = await register(`admin-${Date.now()}@example.com`);
    const admin = new IdentityApi(new Configuration({ basePath: `${base}/p/${a.projectSlug}`, accessToken: a.projectKey }));
    expect((await failure(admin.deleteIdentityCredentials({ id: identityId, type: 'webauthn' }))).status).toBe(404);
    expect((await failure(admin.deleteIdentityCredentials({ id: identityId, type: 'passkey' }))).status).toBe(400);
  });
});
