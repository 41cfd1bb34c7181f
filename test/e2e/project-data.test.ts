import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { APIRequestContext, Browser, BrowserContext, Page } from 'playwright-core';
import { startHttpServer, type HttpTestServer } from '../helpers/http.js';
import { launchChromium, prepareBrowserTests, screenshotOnFailure } from './browser.js';

// The console's pages of a project's data (users, OAuth2 clients, permissions, keys in use, the
// overview) in a real headless Chromium, against the real server. They call the project plane's
// own APIs with the console session; what they show is checked against those APIs.

const prepared = prepareBrowserTests();
const skipReason = prepared.skip;
if (skipReason) console.warn(`[e2e] project data browser tests skipped: ${skipReason}. The other tests still run.`);

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'screenshots') : join(ROOT, 'test-results', 'screenshots');
const PASSWORD = 'e2e correct horse battery';
const uniq = () => `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;

describe.skipIf(!!skipReason)('console: a project’s data, in a real browser', () => {
  let server: HttpTestServer;
  let browser: Browser;
  let owner: BrowserContext;
  let viewer: BrowserContext;
  let page: Page;
  let wsId = '';
  let projectId = '';
  let slug = '';
  let projectKey = '';
  const readable = process.env.UPDATE_SCREENSHOTS === '1';
  const ownerEmail = readable ? 'olivia@acme.example' : `data-owner-${uniq()}@example.com`;
  const viewerEmail = `data-viewer-${uniq()}@example.com`;
  const people = ['jane', 'omar', 'lee'].map((n) => `${n}-${uniq()}@shop.example`);

  const newContext = () => browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, locale: 'en-US', timezoneId: 'UTC' });
  const signUp = async (req: APIRequestContext, email: string) => {
    const res = await req.post(`${server.url}/console/api/sign-up`, { data: { email, password: PASSWORD } });
    expect(res.status()).toBe(201);
    return (await res.json()).csrf_token as string;
  };
  const shot = async (p: Page, name: string) => {
    mkdirSync(SHOTS, { recursive: true });
    await p.evaluate(() => window.scrollTo(0, 0));
    await p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  };
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}/p/${slug}${path}`, { ...init, headers: { authorization: `Bearer ${projectKey}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  const at = (tab: string) => `${server.url}/w/${wsId}/projects/${projectId}/${tab}`;
  /** A person signing up and signing in through the project's own self-service API, as an app would. */
  const register = async (email: string) => {
    const flow = await (await fetch(`${server.url}/p/${slug}/self-service/registration/api`)).json();
    const res = await fetch(`${server.url}/p/${slug}/self-service/registration?flow=${flow.id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'password', traits: { email }, password: PASSWORD }) });
    expect(res.status).toBe(200);
    const login = await (await fetch(`${server.url}/p/${slug}/self-service/login/api`)).json();
    const signedIn = await fetch(`${server.url}/p/${slug}/self-service/login?flow=${login.id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'password', identifier: email, password: PASSWORD }) });
    expect(signedIn.status).toBe(200);
    return (await res.json()).identity.id as string;
  };

  beforeAll(async () => {
    process.env.CONSOLE_ASSETS_DIR = 'assetsDir' in prepared ? prepared.assetsDir : '';
    server = await startHttpServer();
    delete process.env.CONSOLE_ASSETS_DIR;
    browser = await launchChromium();
    owner = await newContext();
    page = await owner.newPage();
    page.setDefaultTimeout(8_000);
    const csrf = await signUp(owner.request, ownerEmail);
    const h = { 'x-csrf-token': csrf };
    wsId = (await (await owner.request.post(`${server.url}/workspaces`, { data: { name: 'Acme' }, headers: h })).json()).id;
    const project = await (await owner.request.post(`${server.url}/projects`, { data: { name: 'Storefront', environment: 'prod', workspace_id: wsId }, headers: h })).json();
    projectId = project.id;
    slug = project.slug;
    projectKey = (await (await owner.request.post(`${server.url}/projects/${projectId}/tokens`, { data: { name: 'backend' }, headers: h })).json()).value;
    const ns = await owner.request.patch(`${server.url}/projects/${projectId}`, { data: [{ op: 'replace', path: '/services/permission/config/namespaces', value: [{ id: 0, name: 'documents' }, { id: 1, name: 'groups' }] }], headers: h });
    expect(ns.status()).toBe(200);
    for (const email of people) await register(email);

    viewer = await newContext();
    await signUp(viewer.request, viewerEmail);
    const { user } = await server.registry.tenancy.users.findOrCreate(viewerEmail);
    await server.registry.db.insertInto('workspace_members').values({ workspace_id: wsId, user_id: user.id, role: 'viewer', created_at: new Date().toISOString() }).execute();
  }, 90_000);
  afterEach((t) => screenshotOnFailure(page, t.task));
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const userRows = () => page.getByRole('table', { name: 'Users' }).locator('tbody tr');

  it('lists users, finds one by identifier, and pages', async () => {
    await page.goto(`${server.url}/w/${wsId}/projects/${projectId}`);
    await page.getByRole('navigation', { name: 'Project' }).getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/w/${wsId}/projects/${projectId}/users`);
    await expect.poll(() => userRows().count()).toBe(3);
    expect((await userRows().locator('td:first-child').allTextContents()).sort()).toEqual([...people].sort());
    expect(await userRows().first().locator('td').nth(1).textContent()).toBe('Active');

    await page.getByLabel('Identifier or ID').fill(people[1]);
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => userRows().locator('td:first-child').allTextContents()).toEqual([people[1]]);
    await page.getByLabel('Identifier or ID').fill('nobody@shop.example');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('No user signs in with “nobody@shop.example”.').waitFor();

    // 30 more, through the API: a page holds 25, the next the rest.
    const bulk = Array.from({ length: 30 }, (_, i) => ({ create: { schema_id: 'preset://email', traits: { email: `bulk-${i}-${uniq()}@shop.example` } } }));
    expect((await admin('/admin/identities', { method: 'PATCH', body: JSON.stringify({ identities: bulk }) })).status).toBe(200);
    await page.getByLabel('Identifier or ID').fill('');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => userRows().count()).toBe(25);
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => userRows().count()).toBe(8);
    await page.getByText('Page 2').waitFor();
    expect(await page.getByRole('button', { name: 'Next page' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await expect.poll(() => userRows().count()).toBe(25);
  });

  it('creates a user against the schema, explains a refusal, opens, edits, deactivates, sends a recovery code and deletes them', async () => {
    await page.goto(at('users'));
    await page.getByRole('button', { name: 'Create user' }).click();
    let dialog = page.getByRole('dialog', { name: 'Create a user' });
    // The form is drawn from the schema: its one trait, labelled by its title.
    await dialog.getByLabel('E-Mail').fill(people[0]);
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await dialog.getByRole('alert').waitFor();
    expect(await dialog.getByRole('alert').textContent()).toMatch(/already|exists/i);
    const email = `new-${uniq()}@shop.example`;
    await dialog.getByLabel('E-Mail').fill(email);
    await dialog.getByLabel('Admin metadata (JSON, optional)').fill('{"plan": "pro"');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await dialog.getByText('Admin metadata is not valid JSON.').waitFor();
    await dialog.getByLabel('Admin metadata (JSON, optional)').fill('{"plan": "pro"}');
    await dialog.getByRole('button', { name: 'Create user' }).click();

    await page.getByRole('heading', { name: email }).waitFor();
    const id = new URL(page.url()).pathname.split('/').pop()!;
    const traits = page.getByLabel('Traits');
    expect(await traits.textContent()).toBe(`email${email}`);
    expect(await page.getByRole('table', { name: 'Addresses' }).locator('tbody tr').first().locator('td').allTextContents()).toEqual([email, 'email', 'Verification, recovery', 'No']);
    expect(await page.getByLabel('Admin metadata').textContent()).toContain('"plan": "pro"');
    await page.getByText('No sessions.').waitFor();

    await page.getByRole('button', { name: 'Edit' }).click();
    dialog = page.getByRole('dialog', { name: 'Edit user' });
    const renamed = `renamed-${uniq()}@shop.example`;
    await dialog.getByLabel('E-Mail').fill(renamed);
    await dialog.getByLabel('Public metadata (JSON, optional)').fill('{"nickname": "Jo"}');
    await dialog.getByRole('button', { name: 'Save user' }).click();
    await page.getByRole('heading', { name: renamed }).waitFor();
    const stored = await (await admin(`/admin/identities/${id}`)).json();
    expect(stored.traits).toEqual({ email: renamed });
    expect(stored.metadata_public).toEqual({ nickname: 'Jo' });
    expect(stored.metadata_admin).toEqual({ plan: 'pro' });

    await page.getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('dialog', { name: 'Deactivate this user?' }).getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('button', { name: 'Activate', exact: true }).waitFor();
    expect(await page.getByRole('heading', { name: renamed }).textContent()).toContain('Inactive');
    expect((await (await admin(`/admin/identities/${id}`)).json()).state).toBe('inactive');
    await page.getByRole('button', { name: 'Activate', exact: true }).click();
    await page.getByRole('button', { name: 'Deactivate' }).waitFor();

    await page.getByRole('button', { name: 'Send recovery code' }).click();
    const recovery = page.getByRole('dialog', { name: 'Recovery code created' });
    expect(await recovery.getByLabel('Recovery code').inputValue()).toMatch(/^\d{6}$/);
    expect(await recovery.getByLabel('Recovery link').inputValue()).toContain('/self-service/recovery');
    await recovery.getByRole('button', { name: 'Done' }).click();

    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete this user?' }).getByRole('button', { name: 'Delete user' }).click();
    await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
    expect((await admin(`/admin/identities/${id}`)).status).toBe(404);
  });

  it('shows a user’s credentials and sessions, and revokes a session', async () => {
    await page.goto(at('users'));
    await page.getByLabel('Identifier or ID').fill(people[2]);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: people[2] }).click();
    await page.getByRole('heading', { name: people[2] }).waitFor();
    expect(await page.getByRole('list', { name: 'Credentials' }).textContent()).toContain(`password ${people[2]}`);
    // No secret on the page: not the hash, not the password.
    expect(await page.content()).not.toMatch(/argon2|\$2[aby]\$|correct horse/);
    const sessions = page.getByRole('table', { name: 'Sessions' }).locator('tbody tr');
    await expect.poll(() => sessions.count()).toBe(2); // registration and login each made one
    await shot(page, 'project-user');
    await page.getByRole('button', { name: /^Revoke session/ }).first().click();
    await expect.poll(() => page.getByRole('table', { name: 'Sessions' }).getByText('Ended', { exact: true }).count()).toBe(1);
  });

  it('creates an OAuth2 client (secret shown once), edits it, rotates the secret and deletes it', async () => {
    await page.goto(at('clients'));
    await page.getByText('No OAuth2 clients yet.').waitFor();
    await page.getByRole('button', { name: 'Create client' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create an OAuth2 client' });
    await dialog.getByLabel('Client name').fill('Billing worker');
    await dialog.getByLabel('Authorization code').uncheck();
    await dialog.getByLabel('Refresh token').uncheck();
    await dialog.getByLabel('Client credentials').check();
    await dialog.getByLabel('Scope').fill('invoices');
    await dialog.getByRole('button', { name: 'Create client' }).click();
    const prompt = page.getByRole('alertdialog', { name: 'Client secret of “Billing worker”' });
    const secret = await prompt.getByLabel('Client secret').inputValue();
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Copy');
    await prompt.getByRole('button', { name: 'I have copied it' }).click();
    const row = page.getByRole('table', { name: 'OAuth2 clients' }).locator('tbody tr').filter({ hasText: 'Billing worker' });
    await row.waitFor();
    const clientId = (await row.locator('td').nth(1).textContent())!;
    expect(await row.locator('td').nth(2).textContent()).toBe('Client credentials');
    expect(await page.content()).not.toContain(secret);
    const token = (s: string) =>
      fetch(`${server.url}/p/${slug}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(s)}`).toString('base64')}` }, body: 'grant_type=client_credentials&scope=invoices' });
    expect((await token(secret)).status).toBe(200);

    await page.getByRole('button', { name: 'Edit client Billing worker' }).click();
    await page.getByRole('dialog', { name: 'Edit client' }).getByLabel('Client name').fill('Billing');
    await page.getByRole('dialog', { name: 'Edit client' }).getByRole('button', { name: 'Save client' }).click();
    await page.getByRole('cell', { name: 'Billing', exact: true }).waitFor();
    expect((await (await admin(`/admin/clients/${clientId}`)).json()).client_name).toBe('Billing');

    await page.getByRole('button', { name: 'Rotate the secret of client Billing' }).click();
    await page.getByRole('dialog', { name: 'Rotate the client secret?' }).getByRole('button', { name: 'Rotate secret' }).click();
    const next = await page.getByRole('alertdialog', { name: 'Client secret of “Billing”' }).getByLabel('Client secret').inputValue();
    expect(next).not.toBe(secret);
    expect((await token(next)).status).toBe(200);
    await page.getByRole('button', { name: 'Close: the key will not be shown again' }).click();
    await shot(page, 'project-oauth2-clients');

    await page.getByRole('button', { name: 'Delete client Billing' }).click();
    await page.getByRole('dialog', { name: 'Delete this client?' }).getByRole('button', { name: 'Delete client' }).click();
    await page.getByText('No OAuth2 clients yet.').waitFor();
    expect((await admin(`/admin/clients/${clientId}`)).status).toBe(404);
  });

  it('adds, filters and deletes relationships, and checks a permission with its expand tree', async () => {
    await page.goto(at('relationships'));
    const rows = page.getByRole('table', { name: 'Relationships' }).locator('tbody tr');
    await page.getByText('No relationships match.').waitFor();
    const add = async (namespace: string, object: string, relation: string, subject: string) => {
      await page.getByRole('button', { name: 'Add relationship' }).click();
      const d = page.getByRole('dialog', { name: 'Add a relationship' });
      await d.getByLabel('Namespace').selectOption(namespace);
      await d.getByLabel('Object').fill(object);
      await d.getByLabel('Relation').fill(relation);
      await d.getByLabel('Subject').fill(subject);
      await d.getByRole('button', { name: 'Add relationship' }).click();
      await expect.poll(() => page.getByRole('dialog', { name: 'Add a relationship' }).count()).toBe(0);
    };
    await add('groups', 'admins', 'member', 'jane');
    await add('documents', 'readme', 'viewer', 'groups:admins#member');
    await add('documents', 'plan', 'viewer', 'omar');
    await expect.poll(() => rows.count()).toBe(3);

    const filter = page.getByRole('form', { name: 'Filter relationships' });
    await filter.getByLabel('Namespace').selectOption('documents');
    await filter.getByLabel('Object').fill('readme');
    await filter.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => rows.locator('td').allTextContents()).toEqual(['documents', 'readme', 'viewer', 'groups:admins#member', 'Delete']);

    const check = page.getByRole('region', { name: 'Check a permission' });
    await check.getByLabel('Namespace').selectOption('documents');
    await check.getByLabel('Object').fill('readme');
    await check.getByLabel('Relation').fill('viewer');
    await check.getByLabel('Subject').fill('jane');
    await check.getByRole('button', { name: 'Check' }).click();
    await check.getByRole('status').getByText('Allowed', { exact: true }).waitFor();
    const tree = check.getByRole('list', { name: 'Expand tree' });
    await tree.getByText('jane', { exact: true }).waitFor();
    expect(await tree.textContent()).toContain('groups:admins#member');
    await shot(page, 'project-permissions');
    await check.getByLabel('Subject').fill('omar');
    await check.getByRole('button', { name: 'Check' }).click();
    await check.getByRole('status').getByText('Not allowed', { exact: true }).waitFor();

    await page.getByRole('button', { name: 'Delete documents:readme#viewer@groups:admins#member' }).click();
    await page.getByRole('dialog', { name: 'Delete this relationship?' }).getByRole('button', { name: 'Delete relationship' }).click();
    await page.getByText('No relationships match.').waitFor();
    const left = await (await admin('/relation-tuples?namespace=documents')).json();
    expect(left.relation_tuples.map((t: { object: string }) => t.object)).toEqual(['plan']);
  });

  it('shows each key’s use and refusals, and the overview’s charts', async () => {
    // A user key verified twice and refused once (an address outside its allowlist); the project key used above.
    const issued = await (await admin('/v2alpha1/admin/issuedApiKeys', { method: 'POST', body: JSON.stringify({ name: 'partner', actor_id: 'partner_1', ip_restriction: { allowed_cidrs: ['203.0.113.0/24'] } }) })).json();
    for (const xff of ['203.0.113.9', '203.0.113.10', '198.51.100.1']) await admin('/v2alpha1/admin/apiKeys:verify', { method: 'POST', headers: { 'x-forwarded-for': xff }, body: JSON.stringify({ credential: issued.secret }) });
    await admin('/admin/identities/00000000-0000-0000-0000-000000000000'); // an error for the error rate
    // A workspace key (made by the owner) used twice on the Management API.
    const csrf = (await (await owner.request.get(`${server.url}/console/api/session`)).json()).session.csrf_token;
    const wk = (await (await owner.request.post(`${server.url}/workspaces/${wsId}/tokens`, { data: { name: 'deploy bot' }, headers: { 'x-csrf-token': csrf } })).json()).value;
    for (let i = 0; i < 2; i++) expect((await fetch(`${server.url}/projects/${projectId}`, { headers: { authorization: `Bearer ${wk}` } })).status).toBe(200);
    await server.registry.usage.flush();

    await page.goto(at('usage'));
    const row = (name: string) => page.getByRole('table', { name: 'Keys in use' }).locator('tbody tr').filter({ hasText: name });
    await row('partner').waitFor();
    const cells = await row('partner').locator('td').allTextContents();
    // Requests are the accepted uses, refusals the others; per day over the 7 days shown by default.
    expect(cells.slice(1)).toEqual(['User key', expect.not.stringMatching(/^Never$/), '2', '0.3', '1']);
    const backend = await row('backend').locator('td').allTextContents();
    expect(backend[1]).toBe('Project key');
    expect(Number(backend[3])).toBeGreaterThan(5);
    const bot = await row('deploy bot').locator('td').allTextContents();
    expect(bot.slice(1, 2).concat(bot.slice(3))).toEqual(['Workspace key', '2', '0.3', '0']);
    await page.getByRole('link', { name: 'Activity' }).first().waitFor();
    await shot(page, 'project-keys-in-use');

    await page.getByRole('navigation', { name: 'Project' }).getByRole('link', { name: 'Overview' }).click();
    const figure = (name: string) => page.getByRole('figure', { name });
    await figure('Sign-ups').getByText('3 in the last 24 hours').waitFor();
    await figure('Logins').getByText('3 in the last 24 hours').waitFor();
    expect(await figure('API requests').locator('figcaption').textContent()).toMatch(/API requests \d+ in the last 24 hours/);
    expect(await figure('Error rate').locator('figcaption').textContent()).toMatch(/\d+\.\d% of \d+ requests failed/);
    // The charts are drawn (uPlot, loaded with the first chart) and their numbers are there as a table too.
    await expect.poll(() => page.locator('.chart[data-ready="true"] canvas').count()).toBe(5);
    await shot(page, 'project-overview');
    await figure('Sign-ups').getByText('Show the numbers').click();
    expect(await figure('Sign-ups').getByRole('table').locator('tbody tr').count()).toBeGreaterThanOrEqual(24);
    await page.getByLabel('Period').selectOption({ label: 'Last 7 days' });
    await figure('Sign-ups').getByText('3 in the last 7 days').waitFor();
    expect(await figure('Sign-ups').getByRole('table').locator('tbody tr').count()).toBeGreaterThanOrEqual(7);
  });

  it('shows a viewer every page, with nothing to change', async () => {
    const p = await viewer.newPage();
    p.setDefaultTimeout(8_000);
    try {
      await p.goto(at('users'));
      await expect.poll(() => p.getByRole('table', { name: 'Users' }).locator('tbody tr').count()).toBe(25);
      await p.getByText('You are a viewer: you can see this project’s data but not change it.').waitFor();
      expect(await p.getByRole('button', { name: 'Create user' }).count()).toBe(0);
      await p.getByRole('link', { name: people[2] }).or(p.getByRole('table', { name: 'Users' }).getByRole('link').first()).first().click();
      await p.getByRole('table', { name: 'Sessions' }).or(p.getByText('No sessions.')).first().waitFor();
      for (const name of ['Edit', 'Delete', 'Deactivate', 'Send recovery code']) expect(await p.getByRole('button', { name, exact: true }).count(), name).toBe(0);
      expect(await p.getByRole('button', { name: /^Revoke session/ }).count()).toBe(0);

      await p.goto(at('clients'));
      await p.getByRole('heading', { name: 'OAuth2 clients' }).waitFor();
      expect(await p.getByRole('button', { name: 'Create client' }).count()).toBe(0);

      await p.goto(at('relationships'));
      await expect.poll(() => p.getByRole('table', { name: 'Relationships' }).locator('tbody tr').count()).toBe(2);
      expect(await p.getByRole('button', { name: 'Add relationship' }).count()).toBe(0);
      expect(await p.getByRole('button', { name: /^Delete / }).count()).toBe(0);
      // A check is a read: a viewer may ask.
      const check = p.getByRole('region', { name: 'Check a permission' });
      await check.getByLabel('Namespace').selectOption('groups');
      await check.getByLabel('Object').fill('admins');
      await check.getByLabel('Relation').fill('member');
      await check.getByLabel('Subject').fill('jane');
      await check.getByRole('button', { name: 'Check' }).click();
      await check.getByRole('status').getByText('Allowed', { exact: true }).waitFor();

      await p.goto(at('overview'));
      await p.getByRole('figure', { name: 'Sign-ups' }).waitFor();
      await p.goto(at('usage'));
      await p.getByRole('table', { name: 'Keys in use' }).waitFor();
      await p.getByRole('table', { name: 'Keys in use' }).getByText('deploy bot').waitFor();

      // And the server refuses a viewer's change made by hand.
      const csrf = (await (await viewer.request.get(`${server.url}/console/api/session`)).json()).session.csrf_token;
      const res = await viewer.request.post(`${server.url}/p/${slug}/admin/identities`, { data: { schema_id: 'preset://email', traits: { email: 'x@shop.example' } }, headers: { 'x-csrf-token': csrf } });
      expect(res.status()).toBe(403);
    } finally {
      await p.close();
    }
  });
});
