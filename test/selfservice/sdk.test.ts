import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Configuration, CourierApi, FrontendApi, type LoginFlow, type UiNodeInputAttributes } from '@ory/client';
import { startHttpServer, type HttpTestServer } from '../helpers/http.js';
import { dialectName, seedTenant, type Tenant } from '../helpers/context.js';

// The self-service flows driven by the official @ory/client FrontendApi over real HTTP.

const PASSWORD = 'sdk passphrase that is long 7';
const email = () => `sdk-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;

const status = async (p: Promise<unknown>): Promise<number> => {
  try {
    await p;
    return 200;
  } catch (err) {
    return (err as { response?: { status: number } }).response?.status ?? -1;
  }
};
const failure = async (p: Promise<unknown>): Promise<{ status: number; data: any }> => {
  try {
    await p;
  } catch (err) {
    const r = (err as { response?: { status: number; data: unknown } }).response;
    if (r) return { status: r.status, data: r.data };
    throw err;
  }
  throw new Error('expected the call to fail');
};
const attr = (flow: { ui: { nodes: { attributes: unknown }[] } }, name: string) =>
  flow.ui.nodes.map((n) => n.attributes as UiNodeInputAttributes).find((a) => a.name === name && a.type !== 'submit');

/** A minimal browser: fetch with a cookie jar and no automatic redirects. */
class Browser {
  private readonly jar = new Map<string, string>();
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.jar.size) headers.set('cookie', this.cookieHeader());
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const [name, ...v] = pair.split('=');
      const expired = attrs.some((a) => /^\s*max-age=0$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) <= Date.now()));
      if (expired) this.jar.delete(name.trim());
      else this.jar.set(name.trim(), v.join('='));
    }
    return res;
  }
  cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  has(name: string): boolean {
    return this.jar.has(name);
  }
}

describe(`FrontendApi through @ory/client (${dialectName()})`, () => {
  let server: HttpTestServer;
  let t: Tenant;
  let frontend: FrontendApi;
  let courier: CourierApi;

  beforeAll(async () => {
    server = await startHttpServer();
    t = await seedTenant(server.registry, 'sdk');
    frontend = new FrontendApi(new Configuration({ basePath: server.projectUrl(t.projectSlug) }));
    courier = new CourierApi(new Configuration({ basePath: server.projectUrl(t.projectSlug), accessToken: t.projectKey }));
  }, 60_000);
  afterAll(() => server?.close());

  async function codeFor(recipient: string): Promise<string> {
    const { data } = await courier.listCourierMessages({ recipient });
    const newest = [...data].sort((a, b) => (a.created_at < b.created_at ? 1 : -1))[0];
    return /\b(\d{6})\b/.exec(newest?.body ?? '')![1];
  }

  async function register(address: string) {
    const { data: flow } = await frontend.createNativeRegistrationFlow();
    const { data } = await frontend.updateRegistrationFlow({ flow: flow.id, updateRegistrationFlowBody: { method: 'password', password: PASSWORD, traits: { email: address } } });
    return data;
  }

  it('registers natively and the token works for whoami', async () => {
    const address = email();
    const { data: flow } = await frontend.createNativeRegistrationFlow();
    expect(flow.type).toBe('api');
    expect(attr(flow, 'traits.email')?.type).toBe('email');
    const { data: fetched } = await frontend.getRegistrationFlow({ id: flow.id });
    expect(fetched.id).toBe(flow.id);
    const { data } = await frontend.updateRegistrationFlow({ flow: flow.id, updateRegistrationFlowBody: { method: 'password', password: PASSWORD, traits: { email: address } } });
    expect(data.identity.traits).toEqual({ email: address });
    expect(data.session_token).toBeTruthy();
    const { data: session } = await frontend.toSession({ xSessionToken: data.session_token });
    expect(session.identity?.id).toBe(data.identity.id);
    expect(session.active).toBe(true);
  });

  it('returns the flow with messages on a failed registration (400)', async () => {
    const { data: flow } = await frontend.createNativeRegistrationFlow();
    const res = await failure(frontend.updateRegistrationFlow({ flow: flow.id, updateRegistrationFlowBody: { method: 'password', password: 'x', traits: { email: email() } } }));
    expect(res.status).toBe(400);
    expect(attr(res.data, 'password')).toBeDefined();
    expect(res.data.ui.nodes.find((n: any) => n.attributes.name === 'password').messages[0].id).toBe(4000032);
  });

  it('logs in natively; wrong passwords get 4000006', async () => {
    const address = email();
    await register(address);
    const { data: flow } = await frontend.createNativeLoginFlow();
    const bad = await failure(frontend.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'password', identifier: address, password: 'not the password' } }));
    expect(bad.status).toBe(400);
    expect((bad.data as LoginFlow).ui.messages?.[0].id).toBe(4000006);
    const { data: flow2 } = await frontend.createNativeLoginFlow();
    const { data } = await frontend.updateLoginFlow({ flow: flow2.id, updateLoginFlowBody: { method: 'password', identifier: address, password: PASSWORD } });
    expect(data.session.identity?.traits).toEqual({ email: address });
    expect((await frontend.toSession({ xSessionToken: data.session_token })).data.id).toBe(data.session.id);
  });

  it('updates settings with the session token', async () => {
    const address = email();
    const { session_token } = await register(address);
    const { data: flow } = await frontend.createNativeSettingsFlow({ xSessionToken: session_token });
    expect(flow.identity.traits).toEqual({ email: address });
    const { data } = await frontend.updateSettingsFlow({ flow: flow.id, xSessionToken: session_token, updateSettingsFlowBody: { method: 'password', password: 'the new sdk passphrase 8' } });
    expect(data.state).toBe('success');
    expect((await frontend.getSettingsFlow({ id: flow.id, xSessionToken: session_token })).data.state).toBe('success');
    expect(await status(frontend.createNativeSettingsFlow({ xSessionToken: 'ory_st_invalid' }))).toBe(401);
  });

  it('recovers an account by code from the courier outbox', async () => {
    const address = email();
    await register(address);
    const { data: flow } = await frontend.createNativeRecoveryFlow();
    const { data: sent } = await frontend.updateRecoveryFlow({ flow: flow.id, updateRecoveryFlowBody: { method: 'code', email: address } });
    expect(sent.state).toBe('sent_email');
    const code = await codeFor(address);
    const { data: done } = await frontend.updateRecoveryFlow({ flow: flow.id, updateRecoveryFlowBody: { method: 'code', code } });
    expect(done.state).toBe('passed_challenge');
    const token = done.continue_with?.find((c) => c.action === 'set_ory_session_token') as { ory_session_token: string };
    const next = done.continue_with?.find((c) => c.action === 'show_settings_ui') as { flow: { id: string } };
    const { data: settings } = await frontend.getSettingsFlow({ id: next.flow.id, xSessionToken: token.ory_session_token });
    expect(settings.identity.traits).toEqual({ email: address });
    const { data: saved } = await frontend.updateSettingsFlow({ flow: settings.id, xSessionToken: token.ory_session_token, updateSettingsFlowBody: { method: 'password', password: 'recovered sdk passphrase 3' } });
    expect(saved.state).toBe('success');
  });

  it('verifies an address by code', async () => {
    const address = email();
    const { session_token } = await register(address);
    const { data: flow } = await frontend.createNativeVerificationFlow();
    await frontend.updateVerificationFlow({ flow: flow.id, updateVerificationFlowBody: { method: 'code', email: address } });
    const code = await codeFor(address);
    const { data } = await frontend.updateVerificationFlow({ flow: flow.id, updateVerificationFlowBody: { method: 'code', code } });
    expect(data.state).toBe('passed_challenge');
    const { data: session } = await frontend.toSession({ xSessionToken: session_token });
    expect(session.identity?.verifiable_addresses?.[0]).toMatchObject({ value: address, verified: true });
  });

  it('logs out natively', async () => {
    const { session_token } = await register(email());
    await frontend.performNativeLogout({ performNativeLogoutBody: { session_token: session_token! } });
    expect(await status(frontend.toSession({ xSessionToken: session_token }))).toBe(401);
  });

  it('runs a browser login with cookies and CSRF', async () => {
    const address = email();
    await register(address);
    const base = server.projectUrl(t.projectSlug);
    const browser = new Browser();
    // Opening the init URL in a browser with no UI configured answers with the flow and sets the CSRF cookie.
    const init = await browser.fetch(`${base}/self-service/login/browser`, { headers: { accept: 'text/html' } });
    expect(init.status).toBe(200);
    const flow = (await init.json()) as LoginFlow;
    // A UI server reads the flow with the browser's cookies through the SDK.
    const { data: fetched } = await frontend.getLoginFlow({ id: flow.id, cookie: browser.cookieHeader() });
    const csrf = attr(fetched, 'csrf_token')!.value as string;
    expect(csrf).toBeTruthy();
    // Without the cookie the flow is not shown, and a post without it is a CSRF violation.
    expect(await status(frontend.getLoginFlow({ id: flow.id }))).toBe(403);
    const forged = await fetch(`${base}/self-service/login?flow=${flow.id}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf_token: csrf, method: 'password', identifier: address, password: PASSWORD }), redirect: 'manual' });
    expect(forged.status).toBe(403);
    // The browser submits the form.
    const post = await browser.fetch(`${base}/self-service/login?flow=${flow.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ csrf_token: csrf, method: 'password', identifier: address, password: PASSWORD }),
    });
    expect(post.status).toBe(303);
    expect(browser.has('ory_kratos_session')).toBe(true);
    const { data: session } = await frontend.toSession({ cookie: browser.cookieHeader() });
    expect(session.identity?.traits).toEqual({ email: address });
    // Browser logout through the SDK.
    const { data: logout } = await frontend.createBrowserLogoutFlow({ cookie: browser.cookieHeader() });
    const out = await browser.fetch(logout.logout_url, { headers: { accept: 'text/html' } });
    expect(out.status).toBe(303);
    expect(browser.has('ory_kratos_session')).toBe(false);
    expect(await status(frontend.toSession({ cookie: browser.cookieHeader() }))).toBe(401);
  });

  it('reports an unknown flow as 404 and an expired one as 410', async () => {
    expect(await status(frontend.getLoginFlow({ id: crypto.randomUUID() }))).toBe(404);
    const { data: flow } = await frontend.createNativeLoginFlow();
    server.registry.selfservice.now = () => Date.now() + 2 * 3600_000;
    try {
      const res = await failure(frontend.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'password', identifier: 'x@example.com', password: PASSWORD } }));
      expect(res.status).toBe(410);
      expect(res.data.error.id).toBe('self_service_flow_expired');
      expect(res.data.use_flow_id).toBeTruthy();
      expect(await status(frontend.getLoginFlow({ id: flow.id }))).toBe(410);
    } finally {
      server.registry.selfservice.now = () => Date.now();
    }
  });
});
