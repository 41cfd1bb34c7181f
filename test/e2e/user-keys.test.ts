import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { APIRequestContext, Browser, BrowserContext, Page } from 'playwright-core';
import { startHttpServer, type HttpTestServer } from '../helpers/http.js';
import { launchChromium, prepareBrowserTests, screenshotOnFailure } from './browser.js';

// The console's "API keys for your users" page (Ory's ApiKeysApi on the project plane, called with
// the console session) in a real headless Chromium. The workspace is set up through the API; the
// page is used as a person would, and what the page claims is checked against verification.

const prepared = prepareBrowserTests();
const skipReason = prepared.skip;
if (skipReason) console.warn(`[e2e] user-keys browser tests skipped: ${skipReason}. The other tests still run.`);

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'screenshots') : join(ROOT, 'test-results', 'screenshots');
const PASSWORD = 'e2e correct horse battery';
const uniq = () => `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;

describe.skipIf(!!skipReason)('console: API keys for your users, in a real browser', () => {
  let server: HttpTestServer;
  let browser: Browser;
  let owner: BrowserContext;
  let page: Page;
  let wsId = '';
  let projectId = '';
  let slug = '';
  let projectKey = '';
  // Readable in the docs' screenshot; unique otherwise (PostgreSQL runs share one database).
  const ownerEmail = process.env.UPDATE_SCREENSHOTS === '1' ? 'olivia@acme.example' : `userkeys-owner-${uniq()}@example.com`;
  const viewerEmail = `userkeys-viewer-${uniq()}@example.com`;

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
  /** What the project's backend would hear for this key (with a project key, as the SDK calls it). */
  const verify = async (credential: string) => {
    const res = await fetch(`${server.url}/p/${slug}/v2alpha1/admin/apiKeys:verify`, { method: 'POST', headers: { authorization: `Bearer ${projectKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ credential }) });
    expect(res.status).toBe(200);
    return (await res.json()) as { is_valid: boolean; error_code?: string; actor_id?: string };
  };
  const table = () => page.getByRole('table', { name: 'API keys for your users' });
  const rowsOf = (name: string) => table().locator('tbody tr').filter({ has: page.getByRole('cell', { name, exact: true }) });
  const url = () => `${server.url}/w/${wsId}/projects/${projectId}/user-api-keys`;

  /** Issues a key through the dialog and returns the secret read from the once-only prompt. */
  const issue = async (name: string, actor: string, scopes = '') => {
    await page.getByRole('button', { name: 'Issue API key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Issue an API key' });
    await dialog.getByLabel('Name').fill(name);
    await dialog.getByLabel('Actor ID').fill(actor);
    if (scopes) await dialog.getByLabel('Scopes (optional)').fill(scopes);
    await dialog.getByLabel('Expires after').selectOption({ label: '30 days' });
    await dialog.getByRole('button', { name: 'Issue key' }).click();
    const prompt = page.getByRole('alertdialog', { name: `API key “${name}” created` });
    await prompt.waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Copy');
    const secret = await prompt.getByLabel('Your new API key').inputValue();
    expect(secret).toMatch(/^ghk_v1_[0-9A-Za-z]{46}$/);
    return secret;
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
    wsId = (await (await owner.request.post(`${server.url}/workspaces`, { data: { name: 'Keys for users' }, headers: h })).json()).id;
    const project = await (await owner.request.post(`${server.url}/projects`, { data: { name: 'Storefront', environment: 'prod', workspace_id: wsId }, headers: h })).json();
    projectId = project.id;
    slug = project.slug;
    projectKey = (await (await owner.request.post(`${server.url}/projects/${projectId}/tokens`, { data: { name: 'backend' }, headers: h })).json()).value;
  }, 60_000);
  afterEach((t) => screenshotOnFailure(page, t.task));
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  let first = '';

  it('issues a key whose secret is shown once, and lists it as active with its actor, scopes, expiry and last use', async () => {
    await page.goto(`${server.url}/w/${wsId}/projects/${projectId}`);
    await page.getByRole('navigation', { name: 'Project settings' }).getByRole('link', { name: 'API keys for your users' }).click();
    await page.getByRole('heading', { name: 'API keys for your users' }).waitFor();
    await page.getByText('No keys issued yet.').waitFor();

    first = await issue('ci', 'customer_42', 'orders:read orders:write');
    expect(await verify(first)).toMatchObject({ is_valid: true, actor_id: 'customer_42' });
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await expect.poll(() => page.content()).not.toContain(first);

    await page.reload();
    const row = rowsOf('ci');
    await row.waitFor();
    expect(await page.content()).not.toContain(first);
    const cells = await row.locator('td').allTextContents();
    expect(cells.slice(0, 4)).toEqual(['ci', 'customer_42', 'Active', 'orders:read orders:write']);
    // Expires in 30 days; used by the verification above (the list reads the not yet flushed time too).
    expect(cells[4]).toMatch(new RegExp(new Date(Date.now() + 30 * 86_400_000).getUTCFullYear().toString()));
    expect(cells[5]).not.toBe('Never');
    expect(await row.locator('.badge', { hasText: 'Active' }).count()).toBe(1);
  });

  it('filters the list by actor, status and name', async () => {
    await page.goto(url());
    await rowsOf('ci').waitFor();
    const other = await issue('nightly batch', 'customer_7');
    await page.getByRole('button', { name: 'Close: the key will not be shown again' }).click();
    await rowsOf('nightly batch').waitFor();
    expect(await verify(other)).toMatchObject({ is_valid: true });
    const names = () => table().locator('tbody tr td:first-child').allTextContents().catch(() => []);
    await expect.poll(names).toEqual(expect.arrayContaining(['ci', 'nightly batch']));

    await page.getByLabel('Actor').fill('customer_7');
    await expect.poll(names).toEqual(['nightly batch']);
    await page.getByLabel('Actor').fill('');
    await page.getByLabel('Name starts with').fill('nigh');
    await expect.poll(names).toEqual(['nightly batch']);
    await page.getByLabel('Name starts with').fill('');
    await page.getByLabel('Status').selectOption({ label: 'Revoked' });
    await page.getByText('No keys match these filters.').waitFor();
    await page.getByLabel('Status').selectOption({ label: 'Active' });
    await expect.poll(async () => (await names()).sort()).toEqual(['ci', 'nightly batch']);
  });

  it('rotates a key: a new secret, shown once, and the old key revoked as superseded', async () => {
    await page.goto(url());
    await page.getByRole('button', { name: 'Rotate key ci' }).click();
    await page.getByRole('dialog', { name: 'Rotate this key?' }).getByRole('button', { name: 'Rotate key' }).click();
    const prompt = page.getByRole('alertdialog', { name: 'API key “ci” created' });
    const second = await prompt.getByLabel('Your new API key').inputValue();
    expect(second).not.toBe(first);
    await prompt.getByRole('button', { name: 'I have copied it' }).click();

    await expect.poll(() => rowsOf('ci').count()).toBe(2);
    const statuses = async () => (await rowsOf('ci').locator('td:nth-child(3)').allTextContents()).sort();
    await expect.poll(statuses).toEqual(['Active', 'Revoked (superseded)']);
    // The revoked one offers no more changes.
    expect(await page.getByRole('button', { name: 'Rotate key ci' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Revoke key ci' }).count()).toBe(1);
    expect(await verify(first)).toMatchObject({ is_valid: false, error_code: 'VERIFICATION_ERROR_REVOKED' });
    expect(await verify(second)).toMatchObject({ is_valid: true, actor_id: 'customer_42' });
    first = second;
  });

  it('revokes a key with a reason, which the list shows', async () => {
    await page.goto(url());
    await page.getByRole('button', { name: 'Revoke key ci' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke this key?' });
    await dialog.getByLabel('Reason').selectOption({ label: 'Access withdrawn (say why)' });
    await dialog.getByLabel('Why (optional, kept with the key)').fill('Customer closed their account');
    await dialog.getByRole('button', { name: 'Revoke key' }).click();
    await expect.poll(() => page.getByRole('dialog', { name: 'Revoke this key?' }).count()).toBe(0);
    const statuses = async () => (await rowsOf('ci').locator('td:nth-child(3)').allTextContents()).sort();
    await expect.poll(statuses).toEqual(['Revoked (access withdrawn)Customer closed their account', 'Revoked (superseded)']);
    expect(await page.getByRole('button', { name: 'Revoke key ci' }).count()).toBe(0);
    expect(await verify(first)).toMatchObject({ is_valid: false, error_code: 'VERIFICATION_ERROR_REVOKED' });
    await shot(page, 'user-api-keys');
  });

  it('shows a viewer the list, with no way to issue, rotate or revoke', async () => {
    const viewer = await newContext();
    await signUp(viewer.request, viewerEmail);
    const { user } = await server.registry.tenancy.users.findOrCreate(viewerEmail);
    await server.registry.db.insertInto('workspace_members').values({ workspace_id: wsId, user_id: user.id, role: 'viewer', created_at: new Date().toISOString() }).execute();
    const p = await viewer.newPage();
    p.setDefaultTimeout(8_000);
    try {
      await p.goto(url());
      const rows = p.getByRole('table', { name: 'API keys for your users' }).locator('tbody tr');
      await expect.poll(() => rows.count()).toBe(3);
      await p.getByText('Your role lets you see these keys but not issue, rotate or revoke them.').waitFor();
      expect(await p.getByRole('button', { name: 'Issue API key' }).count()).toBe(0);
      expect(await p.getByRole('button', { name: /^(Rotate|Revoke) key/ }).count()).toBe(0);
      // The server says no too: the same API, with the viewer's session.
      const csrf = (await (await viewer.request.get(`${server.url}/console/api/session`)).json()).session.csrf_token;
      const res = await viewer.request.post(`${server.url}/p/${slug}/v2alpha1/admin/issuedApiKeys`, { data: { name: 'sneaky', actor_id: 'x' }, headers: { 'x-csrf-token': csrf } });
      expect(res.status()).toBe(403);
    } finally {
      await viewer.close();
    }
  });
});
