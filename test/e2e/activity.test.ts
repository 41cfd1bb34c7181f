import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { APIRequestContext, Browser, BrowserContext, Page } from 'playwright-core';
import { startHttpServer, type HttpTestServer } from '../helpers/http.js';
import { launchChromium, prepareBrowserTests, screenshotOnFailure } from './browser.js';

// The console's Activity page (the workspace's audit log) in a real headless Chromium, against the
// real server over HTTP. The workspace is set up through the API; the page is used as a person would.

const prepared = prepareBrowserTests();
const skipReason = prepared.skip;
if (skipReason) console.warn(`[e2e] activity browser tests skipped: ${skipReason}. The other tests still run.`);

const PASSWORD = 'e2e correct horse battery';
const uniq = () => `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;

describe.skipIf(!!skipReason)('console Activity page in a real browser', () => {
  let server: HttpTestServer;
  let browser: Browser;
  let owner: BrowserContext;
  let page: Page;
  let wsId = '';
  const ownerEmail = `activity-owner-${uniq()}@example.com`;
  const devEmail = `activity-dev-${uniq()}@example.com`;

  const newContext = () => browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', timezoneId: 'UTC' });
  /** Signs up through the console API in `ctx` (its cookie jar keeps the session); the CSRF token. */
  const signUp = async (req: APIRequestContext, email: string) => {
    const res = await req.post(`${server.url}/console/api/sign-up`, { data: { email, password: PASSWORD } });
    expect(res.status()).toBe(201);
    return (await res.json()).csrf_token as string;
  };
  const rows = () => page.getByRole('table', { name: 'Activity' }).locator('tbody tr');

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
    wsId = (await (await owner.request.post(`${server.url}/workspaces`, { data: { name: 'Audited' }, headers: h })).json()).id;
    const p1 = (await (await owner.request.post(`${server.url}/projects`, { data: { name: 'Login', environment: 'dev', workspace_id: wsId }, headers: h })).json()).id;
    expect((await owner.request.delete(`${server.url}/projects/${p1}`, { headers: h })).status()).toBe(204);
    const key = await (await owner.request.post(`${server.url}/workspaces/${wsId}/tokens`, { data: { name: 'ci' }, headers: h })).json();
    // The key acts too: its events name it.
    expect((await fetch(`${server.url}/projects`, { method: 'POST', headers: { authorization: `Bearer ${key.value}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'From CI', environment: 'dev', workspace_id: wsId }) })).status).toBe(201);
    expect((await owner.request.post(`${server.url}/workspaces/${wsId}/invites`, { data: { email: devEmail, role: 'developer' }, headers: h })).status()).toBe(201);
    // Older history, enough for a second page; ten of it from last week.
    const { user } = await server.registry.tenancy.users.findOrCreate(ownerEmail);
    for (let i = 0; i < 55; i++) await server.registry.audit.record({ workspaceId: wsId, event: 'project.config_changed', actor: { kind: 'user', id: user.id }, clientAddress: '203.0.113.5', target: { type: 'project', id: `old-${i}`, name: `Old ${i}` } });
    const old = await server.registry.db.selectFrom('audit_events').select('id').where('workspace_id', '=', wsId).where('target_id', 'like', 'old-%').orderBy('id').limit(10).execute();
    await server.registry.db.updateTable('audit_events').set({ occurred_at: new Date(Date.now() - 8 * 24 * 3600 * 1000).toISOString() }).where('id', 'in', old.map((r) => r.id)).execute();
  }, 60_000);
  afterEach((t) => screenshotOnFailure(page, t.task));
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the log newest first from the workspace navigation, and pages to older events', async () => {
    await page.goto(`${server.url}/w/${wsId}`);
    await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Activity' }).click();
    await page.getByRole('heading', { name: 'Activity', exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/w/${wsId}/activity`);
    await expect.poll(() => rows().count()).toBe(50);
    expect(await rows().first().locator('td').nth(1).textContent()).toBe('Project configured');
    expect(await rows().first().locator('td').nth(2).textContent()).toBe(ownerEmail);
    expect(await rows().first().locator('td').nth(4).textContent()).toBe('203.0.113.5');
    await page.getByRole('button', { name: 'Load older events' }).click();
    // 55 configured, 1 invite, 3 project events, 1 key: 60 in all.
    await expect.poll(() => rows().count()).toBe(60);
    expect(await page.getByRole('button', { name: 'Load older events' }).count()).toBe(0);
    const last = await rows().last().locator('td').allTextContents();
    expect(last.slice(1, 4)).toEqual(['Project created', ownerEmail, 'project Login']);
  });

  it('filters by event type, by actor and by time', async () => {
    await page.goto(`${server.url}/w/${wsId}/activity`);
    await expect.poll(() => rows().count()).toBe(50);
    await page.getByLabel('Event').selectOption({ label: 'Project deleted' });
    await expect.poll(() => rows().count()).toBe(1);
    expect(await rows().first().locator('td').nth(3).textContent()).toBe('project Login');

    await page.getByLabel('Event').selectOption({ label: 'All events' });
    await page.getByLabel('Actor').selectOption({ label: 'API key “ci”' });
    await expect.poll(() => rows().count()).toBe(1);
    expect(await rows().first().locator('td').allTextContents()).toEqual([expect.any(String), 'Project created', 'API key “ci”', 'project From CI', '127.0.0.1']);

    await page.getByLabel('Actor').selectOption({ label: 'Anyone' });
    await page.getByLabel('Time').selectOption({ label: 'Last 7 days' });
    // The ten events of last week drop out: the fifty left fit on one page.
    // (Unfiltered, the same screen offers a second page.)
    // Polled as one state: while the filtered page loads, the old list (or none) may be on screen.
    const state = async () => [await rows().count(), await page.getByText('project Old 9', { exact: true }).count(), await page.getByRole('button', { name: 'Load older events' }).count()];
    await expect.poll(state).toEqual([50, 0, 0]);
    expect(await page.getByText('project Old 10', { exact: true }).count()).toBe(1);

    await page.getByLabel('Event').selectOption({ label: 'API key revoked (leaked)' });
    await page.getByRole('heading', { name: 'No activity' }).waitFor();
  });

  it('tells a developer that only owners see the activity', async () => {
    const dev = await newContext();
    await signUp(dev.request, devEmail);
    const { user } = await server.registry.tenancy.users.findOrCreate(devEmail);
    await server.registry.db.insertInto('workspace_members').values({ workspace_id: wsId, user_id: user.id, role: 'developer', created_at: new Date().toISOString() }).execute();
    const p = await dev.newPage();
    await p.goto(`${server.url}/w/${wsId}/activity`);
    await p.getByRole('alert').getByText('Only owners of the workspace can see its activity.').waitFor();
    expect(await p.getByRole('table', { name: 'Activity' }).count()).toBe(0);
    await dev.close();
  });
});
