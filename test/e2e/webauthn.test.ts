import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Configuration, FrontendApi, IdentityApi, ProjectApi, type UiNode } from '@ory/client';
import type { Browser, Page } from 'playwright-core';
import { seedTenant, type Tenant } from '../helpers/context.js';
import { startHttpServer, type HttpTestServer } from '../helpers/http.js';
import { chromiumPath, launchChromium, screenshotOnFailure } from './browser.js';

// WebAuthn (issue: security keys as a second factor, passkeys as a first factor) in a real headless
// Chromium with the DevTools virtual authenticator. The page is on http://localhost:PORT (WebAuthn
// allows http there), loads Gatehouse's /.well-known/ory/webauthn.js and runs its ceremonies with
// the options from the flows' nodes; the answers go back through the real @ory/client.

const skipReason = chromiumPath() ? undefined : "Chromium was not found at /usr/bin/chromium (install Debian's package: apt-get install chromium; or set CHROMIUM_PATH)";
if (skipReason) console.warn(`[e2e] WebAuthn browser tests skipped: ${skipReason}. The other tests still run.`);

const PASSWORD = 'correct horse battery staple 42';

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
const attrs = (n: UiNode | undefined) => (n?.attributes ?? {}) as Record<string, any>;
const named = (flow: { ui: { nodes: UiNode[] } }, name: string) => flow.ui.nodes.filter((n) => attrs(n).name === name);
const valueOf = (flow: { ui: { nodes: UiNode[] } }, name: string) => String(attrs(named(flow, name)[0]).value ?? '');
const messageIds = (flow: { ui: { messages?: { id: number }[] } }) => (flow.ui.messages ?? []).map((m) => m.id);

describe.skipIf(!!skipReason)('WebAuthn in a real browser (virtual authenticator)', () => {
  let server: HttpTestServer;
  let a: Tenant;
  let b: Tenant;
  let base = '';
  let frontend: FrontendApi;
  let frontendB: FrontendApi;
  let admin: IdentityApi;
  let browser: Browser;
  let page: Page;

  const enable = (t: Tenant) =>
    new ProjectApi(new Configuration({ basePath: server.url, accessToken: t.workspaceKey })).patchProject({
      projectId: t.projectId,
      jsonPatch: [
        { op: 'add', path: '/services/identity/config/selfservice/methods/webauthn', value: { enabled: true, config: { passwordless: false, rp: { display_name: 'Acme' } } } },
        { op: 'add', path: '/services/identity/config/selfservice/methods/passkey', value: { enabled: true } },
      ],
    });
  const create = (options: string) => page.evaluate((o) => (window as any).oryWebAuthn.create(o), options) as Promise<string>;
  const get = (options: string) => page.evaluate((o) => (window as any).oryWebAuthn.get(o), options) as Promise<string>;

  async function register(email: string, api = frontend) {
    const flow = (await api.createNativeRegistrationFlow()).data;
    const res = await api.updateRegistrationFlow({ flow: flow.id, updateRegistrationFlowBody: { method: 'password', password: PASSWORD, traits: { email } } });
    return { token: res.data.session_token!, identityId: res.data.identity!.id };
  }
  async function passwordLogin(email: string) {
    const flow = (await frontend.createNativeLoginFlow()).data;
    return (await frontend.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'password', identifier: email, password: PASSWORD } })).data.session_token!;
  }
  async function addSecurityKey(token: string, name: string) {
    const flow = (await frontend.createNativeSettingsFlow({ xSessionToken: token })).data;
    const answer = await create(valueOf(flow, 'webauthn_register_trigger'));
    return frontend.updateSettingsFlow({ flow: flow.id, xSessionToken: token, updateSettingsFlowBody: { method: 'webauthn', webauthn_register: answer, webauthn_register_displayname: name } as any });
  }
  async function addPasskey(token: string) {
    const flow = (await frontend.createNativeSettingsFlow({ xSessionToken: token })).data;
    const answer = await create(valueOf(flow, 'passkey_create_data'));
    return frontend.updateSettingsFlow({ flow: flow.id, xSessionToken: token, updateSettingsFlowBody: { method: 'passkey', passkey_settings_register: answer } });
  }

  beforeAll(async () => {
    server = await startHttpServer();
    base = server.url.replace('127.0.0.1', 'localhost');
    a = await seedTenant(server.registry, 'webauthn-a');
    b = await seedTenant(server.registry, 'webauthn-b');
    await enable(a);
    await enable(b);
    frontend = new FrontendApi(new Configuration({ basePath: `${base}/p/${a.projectSlug}` }));
    frontendB = new FrontendApi(new Configuration({ basePath: `${base}/p/${b.projectSlug}` }));
    admin = new IdentityApi(new Configuration({ basePath: `${base}/p/${a.projectSlug}`, accessToken: a.projectKey }));
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
    await page.goto(`${base}/health/alive`);
    await page.addScriptTag({ url: `${base}/p/${a.projectSlug}/.well-known/ory/webauthn.js` });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', { options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true } });
  }, 60_000);
  afterEach(async (ctx) => screenshotOnFailure(page, ctx.task));
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('a security key is added in settings, asked for by whoami, and raises a password session to aal2; its counter moves on', async () => {
    const email = `key-${Date.now()}@example.com`;
    const { token: first, identityId } = await register(email);
    const settings = (await frontend.createNativeSettingsFlow({ xSessionToken: first })).data;
    const trigger = named(settings, 'webauthn_register_trigger')[0];
    expect(trigger).toMatchObject({ group: 'webauthn', meta: { label: { id: 1050012 } }, attributes: { type: 'button', onclickTrigger: 'oryWebAuthnRegistration' } });
    expect(attrs(trigger).onclick).toMatch(/^window\.oryWebAuthnRegistration\(\{"publicKey":/);
    const script = settings.ui.nodes.find((n) => n.type === 'script')!;
    expect(attrs(script)).toMatchObject({ id: 'webauthn_script', src: `${base}/p/${a.projectSlug}/.well-known/ory/webauthn.js` });
    expect(attrs(script).integrity).toMatch(/^sha512-/);

    const added = await addSecurityKey(first, 'Desk key');
    expect(added.data.state).toBe('success');
    const remove = named(added.data, 'webauthn_remove');
    expect(remove).toHaveLength(1);
    expect(remove[0].meta.label).toMatchObject({ id: 1050018, text: 'Remove security key "Desk key"' });

    // A new password session of this identity is aal1 and must be raised.
    const token = await passwordLogin(email);
    const denied = await failure(frontend.toSession({ xSessionToken: token }));
    expect(denied.status).toBe(403);
    expect(denied.data.error.id).toBe('session_aal2_required');
    const before = (await admin.getIdentity({ id: identityId, includeCredential: ['webauthn'] })).data.credentials!.webauthn!;
    const stored = (before.config as any).credentials[0];
    expect(stored).toMatchObject({ display_name: 'Desk key', is_passwordless: false });
    expect(stored.public_key).toBeTruthy();

    const mfa = (await frontend.createNativeLoginFlow({ aal: 'aal2', xSessionToken: token })).data;
    expect(named(mfa, 'webauthn_login_trigger')[0]).toMatchObject({ meta: { label: { id: 1010008 } }, attributes: { onclickTrigger: 'oryWebAuthnLogin' } });
    const assertion = await get(valueOf(mfa, 'webauthn_login_trigger'));
    const done = await frontend.updateLoginFlow({ flow: mfa.id, xSessionToken: token, updateLoginFlowBody: { method: 'webauthn', webauthn_login: assertion, identifier: '' } });
    expect(done.data.session.authenticator_assurance_level).toBe('aal2');
    expect(done.data.session.authentication_methods?.map((m) => `${m.method}:${m.aal}`)).toEqual(['password:aal1', 'webauthn:aal2']);
    expect((await frontend.toSession({ xSessionToken: token })).data.authenticator_assurance_level).toBe('aal2');
    const after = (await admin.getIdentity({ id: identityId, includeCredential: ['webauthn'] })).data.credentials!.webauthn!;
    expect((after.config as any).credentials[0].authenticator.sign_count).toBeGreaterThan(stored.authenticator.sign_count);

    // The same answer is for that flow's challenge only: another flow refuses it.
    const other = await passwordLogin(email);
    const otherFlow = (await frontend.createNativeLoginFlow({ aal: 'aal2', xSessionToken: other })).data;
    const replay = await failure(frontend.updateLoginFlow({ flow: otherFlow.id, xSessionToken: other, updateLoginFlowBody: { method: 'webauthn', webauthn_login: assertion, identifier: '' } }));
    expect(replay.status).toBe(400);
    expect(messageIds(replay.data)).toContain(4000008);
    expect((await failure(frontend.toSession({ xSessionToken: other }))).status).toBe(403);
  });

  it('a security key is removed in settings (webauthn_remove), and then no longer asked for', async () => {
    const email = `key-remove-${Date.now()}@example.com`;
    const { token, identityId } = await register(email);
    const added = await addSecurityKey(token, 'Spare');
    const id = valueOf(added.data, 'webauthn_remove');
    expect(id).toMatch(/^[0-9a-f]+$/);
    // Adding the key completed it as a method of this session (Kratos): the session is aal2 now.
    expect((await frontend.toSession({ xSessionToken: token })).data.authentication_methods?.map((m) => m.method)).toContain('webauthn');
    const flow = (await frontend.createNativeSettingsFlow({ xSessionToken: token })).data;
    const res = await frontend.updateSettingsFlow({ flow: flow.id, xSessionToken: token, updateSettingsFlowBody: { method: 'webauthn', webauthn_remove: id } as any });
    expect(res.data.state).toBe('success');
    expect(named(res.data, 'webauthn_remove')).toHaveLength(0);
    expect((await admin.getIdentity({ id: identityId })).data.credentials?.webauthn).toBeUndefined();
    const fresh = await passwordLogin(email);
    expect((await frontend.toSession({ xSessionToken: fresh })).data.authenticator_assurance_level).toBe('aal1');
  });

  it('a passkey is added in settings and signs in on its own (aal1 login flow, discoverable credential)', async () => {
    const email = `passkey-${Date.now()}@example.com`;
    const { token, identityId } = await register(email);
    const added = await addPasskey(token);
    expect(added.data.state).toBe('success');
    expect(named(added.data, 'passkey_remove')[0]).toMatchObject({ group: 'passkey', meta: { label: { id: 1050020 } } });

    const login = (await frontend.createNativeLoginFlow()).data;
    expect(named(login, 'passkey_login_trigger')[0]).toMatchObject({ meta: { label: { id: 1010021 } }, attributes: { onclickTrigger: 'oryPasskeyLogin' } });
    const assertion = await get(valueOf(login, 'passkey_challenge'));
    const res = await frontend.updateLoginFlow({ flow: login.id, updateLoginFlowBody: { method: 'passkey', passkey_login: assertion } });
    expect(res.data.session.identity?.id).toBe(identityId);
    expect(res.data.session.authentication_methods?.map((m) => m.method)).toEqual(['passkey']);
    expect((await frontend.toSession({ xSessionToken: res.data.session_token! })).data.identity?.id).toBe(identityId);

    // An answer to one flow's challenge does not open another flow.
    const second = (await frontend.createNativeLoginFlow()).data;
    const reused = await failure(frontend.updateLoginFlow({ flow: second.id, updateLoginFlowBody: { method: 'passkey', passkey_login: assertion } }));
    expect(reused.status).toBe(400);
    expect(messageIds(reused.data)).toEqual([4000008]);
  });

  it("another project's login flow does not accept this project's passkey (same host, same authenticator)", async () => {
    const { token } = await register(`passkey-tenant-${Date.now()}@example.com`);
    expect((await addPasskey(token)).data.state).toBe('success');
    const flowB = (await frontendB.createNativeLoginFlow()).data;
    const assertion = await get(valueOf(flowB, 'passkey_challenge'));
    const refused = await failure(frontendB.updateLoginFlow({ flow: flowB.id, updateLoginFlowBody: { method: 'passkey', passkey_login: assertion } }));
    expect(refused.status).toBe(400);
    expect(messageIds(refused.data)).toEqual([4000008]);
  });

  it('a passkey is removed in settings (passkey_remove)', async () => {
    const { token, identityId } = await register(`passkey-remove-${Date.now()}@example.com`);
    const added = await addPasskey(token);
    const id = valueOf(added.data, 'passkey_remove');
    const flow = (await frontend.createNativeSettingsFlow({ xSessionToken: token })).data;
    const res = await frontend.updateSettingsFlow({ flow: flow.id, xSessionToken: token, updateSettingsFlowBody: { method: 'passkey', passkey_remove: id } });
    expect(res.data.state).toBe('success');
    expect(named(res.data, 'passkey_remove')).toHaveLength(0);
    expect((await admin.getIdentity({ id: identityId })).data.credentials?.passkey).toBeUndefined();
  });
});
