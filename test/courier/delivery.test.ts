import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Configuration, CourierApi, FrontendApi, ProjectApi } from '@ory/client';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, type Registry } from '../../src/registry.js';
import { dialectName, seedTenant, testConfig, type Tenant } from '../helpers/context.js';
import { startHttpServer, type HttpTestServer } from '../helpers/http.js';

// The courier delivering for real: a real SMTP server (the `smtp-server` package) and a real HTTP
// receiver on loopback, driven through the official @ory/client. Loopback is allowed here the way
// an operator allows a local relay (OUTBOUND_ALLOW_NETWORKS); one test proves it is refused without.

interface Mail { from: string; to: string[]; raw: string; user?: string }

/** A real SMTP server that asks for a login (PLAIN/LOGIN) and keeps what it receives. */
async function startSmtp(o: { port?: number; user?: string; password?: string } = {}) {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: !o.user,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === o.user && auth.password === o.password) cb(null, { user: auth.username });
      else cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => (raw += d));
      stream.on('end', () => {
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw, user: session.user as string | undefined });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { mails, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A real HTTP receiver answering `status()` and keeping each request. */
async function startReceiver(status: (body: any) => number = () => 200) {
  const got: { headers: IncomingHttpHeaders; body: any; method: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const parsed = JSON.parse(body || 'null');
      got.push({ headers: req.headers, body: parsed, method: req.method ?? '' });
      res.statusCode = status(parsed);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { got, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mail`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const FAST = { courierWorker: true, courierPollMs: 50, courierRetryBackoffMs: 50 };

describe(`courier delivery over SMTP and HTTP (${dialectName()})`, () => {
  let server: HttpTestServer;
  let t: Tenant;
  let other: Tenant;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let projects: ProjectApi;
  let courier: CourierApi;
  let frontend: FrontendApi;

  beforeAll(async () => {
    server = await startHttpServer({ ...FAST, outboundAllowNetworks: ['127.0.0.1/32'] });
    t = await seedTenant(server.registry, 'courier');
    other = await seedTenant(server.registry, 'courier-other');
    smtp = await startSmtp({ user: 'mailer', password: 'smtp pass/word:1' });
    projects = new ProjectApi(new Configuration({ basePath: server.url, accessToken: t.workspaceKey }));
    courier = new CourierApi(new Configuration({ basePath: server.projectUrl(t.projectSlug), accessToken: t.projectKey }));
    frontend = new FrontendApi(new Configuration({ basePath: server.projectUrl(t.projectSlug) }));
  });
  afterAll(async () => {
    await smtp?.close();
    await server?.close();
  });

  const setCourier = (value: unknown, project = t.projectId, api = projects) =>
    api.patchProject({ projectId: project, jsonPatch: [{ op: 'add', path: '/services/identity/config/courier', value }] });
  const smtpUri = (port: number, password = 'smtp pass/word:1') => `smtp://mailer:${encodeURIComponent(password)}@127.0.0.1:${port}/?disable_starttls=true`;

  async function sendRecoveryCode(email: string) {
    await frontend.updateRegistrationFlow({
      flow: (await frontend.createNativeRegistrationFlow()).data.id,
      updateRegistrationFlowBody: { method: 'password', password: 'a courier test passphrase', traits: { email } },
    });
    const flow = (await frontend.createNativeRecoveryFlow()).data;
    await frontend.updateRecoveryFlow({ flow: flow.id, updateRecoveryFlowBody: { method: 'code', email } });
    return flow.id;
  }
  /** The recovery message to `recipient` (registration also sends a verification message). */
  const messageTo = async (recipient: string) => (await courier.listCourierMessages({ recipient })).data.find((m) => m.template_type === 'recovery_code_valid');

  it('mails a recovery code through the project SMTP server; the message is sent, with a successful dispatch', async () => {
    await setCourier({ delivery_strategy: 'smtp', smtp: { connection_uri: smtpUri(smtp.port), from_address: 'accounts@example.com', from_name: 'Example Accounts', headers: { 'X-Env': 'test' } } });
    const email = `smtp-${Date.now()}@example.com`;
    const flowId = await sendRecoveryCode(email);
    const mail = await until('the mail', async () => smtp.mails.find((m) => m.to.includes(email) && /^Subject: Recover/m.test(m.raw)));
    expect(mail.user).toBe('mailer');
    expect(mail.from).toBe('accounts@example.com');
    expect(mail.raw).toMatch(/^From: Example Accounts <accounts@example\.com>/m);
    expect(mail.raw).toMatch(/^Subject: Recover access to your account/m);
    expect(mail.raw).toMatch(/^X-Env: test/m);
    const code = /\b(\d{6})\b/.exec(mail.raw)?.[1];
    expect(code).toMatch(/^\d{6}$/);

    const sent = await until('status sent', async () => {
      const m = await messageTo(email);
      return m?.status === 'sent' && m;
    });
    expect(sent.send_count).toBe(1);
    const one = (await courier.getCourierMessage({ id: sent.id })).data;
    expect(one.dispatches).toEqual([expect.objectContaining({ status: 'success', message_id: sent.id })]);

    // The code that arrived by mail recovers the account.
    const done = await frontend.updateRecoveryFlow({ flow: flowId, updateRecoveryFlowBody: { method: 'code', code: code! } });
    expect(done.data.continue_with?.map((c) => c.action)).toContain('show_settings_ui');
  });

  it('keeps the SMTP password sealed at rest and in every answer, and a PUT of what GET returned still works', async () => {
    const shown = (await projects.getProject({ projectId: t.projectId })).data;
    const uri = (shown.services.identity!.config as any).courier.smtp.connection_uri as string;
    expect(uri.startsWith('gatehouse:sealed:')).toBe(true);
    expect(JSON.stringify(shown)).not.toContain('pass/word');
    expect(JSON.stringify(shown)).not.toContain(encodeURIComponent('smtp pass/word:1'));
    const row = await server.registry.db.selectFrom('projects').select('identity_config').where('id', '=', t.projectId).executeTakeFirstOrThrow();
    expect(row.identity_config).not.toContain(encodeURIComponent('smtp pass/word:1'));

    await projects.setProject({ projectId: t.projectId, setProject: { name: shown.name, cors_admin: shown.cors_admin!, cors_public: shown.cors_public!, services: shown.services } as any });
    const again = (await projects.getProject({ projectId: t.projectId })).data;
    expect((again.services.identity!.config as any).courier.smtp.connection_uri).toBe(uri);
    const email = `put-${Date.now()}@example.com`;
    await sendRecoveryCode(email);
    await until('the mail after PUT', async () => smtp.mails.find((m) => m.to.includes(email)));
  });

  it('refuses a courier config it could not use, and a sealed value this server did not seal, changing nothing', async () => {
    const before = (await projects.getProject({ projectId: t.projectId })).data.services.identity!.config;
    for (const bad of [
      { delivery_strategy: 'smtp' },
      { delivery_strategy: 'smtp', smtp: { connection_uri: 'http://mail.example.com' } },
      { delivery_strategy: 'smtp', smtp: { connection_uri: 'gatehouse:sealed:v1.AAAA.BBBB' } },
      { delivery_strategy: 'carrier-pigeon' },
      { delivery_strategy: 'http', http: { request_config: { url: 'ftp://example.com' } } },
      { delivery_strategy: 'http', http: { request_config: { url: 'https://example.com', auth: { type: 'basic_auth', config: { user: 'u' } } } } },
      { delivery_strategy: 'smtp', message_retries: -1, smtp: { connection_uri: smtpUri(smtp.port) } },
      { delivery_strategy: 'smtp', smtp: { connection_uri: smtpUri(smtp.port), headers: { 'X-A': 'a\r\nBcc: victim@example.com' } } },
      { delivery_strategy: 'http', http: { request_config: { url: 'https://example.com', body: 'base64://ZnVuY3Rpb24oY3R4KSB7fQ==' } } },
    ]) {
      const res = await setCourier(bad).catch((e) => e.response);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.data.error.reason ?? res.data.error.message, JSON.stringify(bad)).toMatch(/courier/);
    }
    expect((await projects.getProject({ projectId: t.projectId })).data.services.identity!.config).toEqual(before);
  });

  it('retries while the SMTP server is down and delivers once it is back: nothing lost', async () => {
    const down = await startSmtp();
    const port = down.port;
    await down.close();
    await setCourier({ delivery_strategy: 'smtp', message_retries: 50, smtp: { connection_uri: `smtp://127.0.0.1:${port}/?disable_starttls=true` } });
    const email = `down-${Date.now()}@example.com`;
    await sendRecoveryCode(email);
    const failing = await until('a failed attempt', async () => {
      const m = await messageTo(email);
      return m && m.send_count >= 2 && m;
    });
    expect(failing.status).toMatch(/queued|processing/);
    const failed = (await courier.getCourierMessage({ id: failing.id })).data.dispatches!;
    expect(failed[0]).toMatchObject({ status: 'failed', error: { message: expect.stringMatching(/ECONNREFUSED/) } });

    const back = await startSmtp({ port });
    try {
      // Registration's verification mail and the recovery mail both arrive.
      await until('both mails after the server came back', async () => back.mails.filter((m) => m.to.includes(email)).length >= 2);
      const done = await until('status sent', async () => {
        const m = await messageTo(email);
        return m?.status === 'sent' && m;
      });
      expect(done.send_count).toBeGreaterThanOrEqual(3);
      await new Promise((r) => setTimeout(r, 200));
      // Each once.
      expect(back.mails.filter((m) => m.to.includes(email)).map((m) => /^Subject: (.*)$/m.exec(m.raw)?.[1]).sort()).toEqual(['Please verify your email address', 'Recover access to your account']);
    } finally {
      await back.close();
    }
  });

  it('abandons a message after message_retries failed attempts (wrong SMTP password), each attempt recorded without the password', async () => {
    await setCourier({ delivery_strategy: 'smtp', message_retries: 2, smtp: { connection_uri: smtpUri(smtp.port, 'not the password') } });
    const email = `auth-${Date.now()}@example.com`;
    await sendRecoveryCode(email);
    const dead = await until('abandoned', async () => {
      const m = await messageTo(email);
      return m?.status === 'abandoned' && m;
    });
    expect(dead.send_count).toBe(3);
    const { dispatches } = (await courier.getCourierMessage({ id: dead.id })).data;
    expect(dispatches!.map((d) => d.status)).toEqual(['failed', 'failed', 'failed']);
    expect(JSON.stringify(dispatches)).toMatch(/Invalid username or password|EAUTH/);
    expect(JSON.stringify(dispatches)).not.toContain('not the password');
    expect(smtp.mails.some((m) => m.to.includes(email))).toBe(false);
  });

  it('posts messages to an HTTP endpoint with basic auth, retrying a 5xx answer', async () => {
    // The receiver fails this test's message twice (earlier tests' messages may still arrive).
    const answers = [503, 500];
    const receiver = await startReceiver((body) => (String(body?.recipient).startsWith('http-') && body.template_type === 'recovery_code_valid' ? answers.shift() ?? 200 : 200));
    try {
      await setCourier({ delivery_strategy: 'http', http: { request_config: { url: receiver.url, headers: { 'x-tenant': 'acme' }, auth: { type: 'basic_auth', config: { user: 'courier', password: 'http secret' } } } } });
      const shown = JSON.stringify((await projects.getProject({ projectId: t.projectId })).data);
      expect(shown).not.toContain('http secret');
      const email = `http-${Date.now()}@example.com`;
      await sendRecoveryCode(email);
      const sent = await until('status sent', async () => {
        const m = await messageTo(email);
        return m?.status === 'sent' && m;
      });
      expect(sent.send_count).toBe(3);
      const mine = receiver.got.filter((g) => g.body?.recipient === email && g.body.template_type === 'recovery_code_valid');
      expect(mine).toHaveLength(3);
      const last = mine[2];
      expect(last.method).toBe('POST');
      expect(last.headers.authorization).toBe(`Basic ${Buffer.from('courier:http secret').toString('base64')}`);
      expect(last.headers['x-tenant']).toBe('acme');
      expect(last.body).toMatchObject({ recipient: email, to: email, template_type: 'recovery_code_valid', subject: 'Recover access to your account' });
      expect(last.body.body).toMatch(/\d{6}/);
      const { dispatches } = (await courier.getCourierMessage({ id: sent.id })).data;
      expect(dispatches!.map((d) => d.status)).toEqual(['failed', 'failed', 'success']);
      expect((dispatches![0].error as any).message).toMatch(/503/);
    } finally {
      await receiver.close();
    }
  });

  it("renders the project's own template (subject, plaintext and HTML, Go-template fields) and refuses one it could not render", async () => {
    const b64 = (text: string) => `base64://${Buffer.from(text).toString('base64')}`;
    await setCourier({
      delivery_strategy: 'smtp',
      smtp: { connection_uri: smtpUri(smtp.port) },
      templates: {
        recovery_code: {
          valid: {
            email: {
              subject: b64('Your {{ .Identity.traits.email }} code'),
              body: { plaintext: b64('Code: {{- .RecoveryCode -}} .\nTo {{.To}}'), html: b64('<p>Code <b>{{ .RecoveryCode }}</b> for {{ .Identity.traits.email }}</p>') },
            },
          },
        },
      },
    });
    const email = `o'hara-${Date.now()}@example.com`;
    await sendRecoveryCode(email);
    const mail = await until('the templated mail', async () => smtp.mails.find((m) => m.to.includes(email) && /^Subject: Your /m.test(m.raw)));
    expect(mail.raw).toContain(`Subject: Your ${email} code`);
    expect(mail.raw).toMatch(/multipart\/alternative/);
    expect(mail.raw).toMatch(/Code:\d{6}\./);
    expect(mail.raw).toContain(`To ${email}`);
    // The HTML part has the address escaped.
    expect(mail.raw).toContain(`for o&#39;hara-`);
    const msg = await messageTo(email);
    expect(msg!.subject).toBe(`Your ${email} code`);
    expect(msg!.body).toMatch(/^Code:\d{6}\.\nTo /);

    for (const [template, why] of [
      [{ recovery_code: { valid: { email: { subject: b64('{{ if .To }}x{{ end }}') } } } }, /not a field/],
      [{ recovery_code: { valid: { email: { subject: b64('{{ .VerificationCode }}') } } } }, /not a field of recovery_code/],
      [{ recovery_code: { valid: { email: { subject: 'file:///etc/passwd' } } } }, /base64/],
      [{ login_code: { valid: { email: { subject: b64('x') } } } }, /no login_code template/],
    ] as const) {
      const res = await setCourier({ delivery_strategy: 'smtp', smtp: { connection_uri: smtpUri(smtp.port) }, templates: template }).catch((e) => e.response);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.data.error)).toMatch(why);
    }
  });

  it("never shows one project's messages or dispatches to another project's key", async () => {
    const email = `mine-${Date.now()}@example.com`;
    await sendRecoveryCode(email);
    const mine = await until('the message', () => messageTo(email));
    const theirs = new CourierApi(new Configuration({ basePath: server.projectUrl(other.projectSlug), accessToken: other.projectKey }));
    expect((await theirs.getCourierMessage({ id: mine.id }).catch((e) => e.response)).status).toBe(404);
    expect((await theirs.listCourierMessages({ recipient: email })).data).toEqual([]);
  });
});

describe(`courier SSRF guard (${dialectName()})`, () => {
  it('refuses to connect to a loopback target unless the operator allows it; the receiver gets nothing', async () => {
    const server = await startHttpServer(FAST);
    const receiver = await startReceiver();
    try {
      const t = await seedTenant(server.registry, 'ssrf');
      const projects = new ProjectApi(new Configuration({ basePath: server.url, accessToken: t.workspaceKey }));
      await projects.patchProject({ projectId: t.projectId, jsonPatch: [{ op: 'add', path: '/services/identity/config/courier', value: { delivery_strategy: 'http', message_retries: 0, http: { request_config: { url: receiver.url.replace('127.0.0.1', 'localhost') } } } }] });
      const project = (await server.registry.projects.bySlug(t.projectSlug))!;
      await server.registry.courier.queue(t.projectId, { recipient: 'ssrf@example.com', template_type: 'recovery_code_valid', subject: 's', body: 'b' }, project.services.identity.config);
      const courier = new CourierApi(new Configuration({ basePath: server.projectUrl(t.projectSlug), accessToken: t.projectKey }));
      const dead = await until('abandoned', async () => {
        const m = (await courier.listCourierMessages({ recipient: 'ssrf@example.com' })).data[0];
        return m?.status === 'abandoned' && m;
      });
      const { dispatches } = (await courier.getCourierMessage({ id: dead.id })).data;
      expect((dispatches![0].error as any).message).toMatch(/not a public address/);
      expect(receiver.got).toHaveLength(0);
    } finally {
      await receiver.close();
      await server.close();
    }
  });
});

describe(`courier workers sharing one store (${dialectName()})`, () => {
  it('sends each message exactly once with two nodes, including messages queued while no worker ran', async () => {
    const smtp = await startSmtp();
    const base = testConfig({ ...FAST, outboundAllowNetworks: ['127.0.0.1/32'] });
    const nodes: Registry[] = [];
    try {
      // Queued on a node without a worker, which then stops: the messages wait in the store.
      const first = await createRegistry({ ...base, courierWorker: false });
      nodes.push(first);
      const t = await seedTenant(first, 'two-nodes');
      // The project's courier sends through the test's SMTP server (no secret in this URI).
      const row = await first.db.selectFrom('projects').select('identity_config').where('id', '=', t.projectId).executeTakeFirstOrThrow();
      const identityConfig = { ...JSON.parse(row.identity_config), courier: { delivery_strategy: 'smtp', smtp: { connection_uri: `smtp://127.0.0.1:${smtp.port}/?disable_starttls=true` } } };
      await first.db.updateTable('projects').set({ identity_config: JSON.stringify(identityConfig) }).where('id', '=', t.projectId).execute();
      const config = (await first.projects.byId(t.projectId))!.services.identity.config;
      for (let i = 0; i < 30; i++) await first.courier.queue(t.projectId, { recipient: `n${i}@example.com`, template_type: 'recovery_code_valid', subject: `m${i}`, body: 'b' }, config);
      await first.close();
      nodes.length = 0;
      // Two nodes with workers start on the same store.
      nodes.push(await createRegistry({ ...base, courierWorker: true }), await createRegistry({ ...base, courierWorker: true }));
      for (let i = 30; i < 60; i++) await nodes[i % 2].courier.queue(t.projectId, { recipient: `n${i}@example.com`, template_type: 'recovery_code_valid', subject: `m${i}`, body: 'b' }, config);
      const rows = await until('60 messages sent', async () => {
        const all = await nodes[0].db.selectFrom('courier_messages').select(['status', 'send_count']).where('project_id', '=', t.projectId).execute();
        return all.length === 60 && all.every((r) => r.status === 'sent') && all;
      }, 20_000);
      expect(rows.map((r) => r.send_count)).toEqual(Array(60).fill(1));
      const recipients = smtp.mails.flatMap((m) => m.to).sort();
      expect(recipients).toHaveLength(60);
      expect(new Set(recipients).size).toBe(60);
    } finally {
      for (const n of nodes) await n.close();
      await smtp.close();
      base.cleanup();
    }
  });
});
