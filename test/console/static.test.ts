import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedTenant, type TestContext } from '../helpers/context.js';

/** The console's pages and assets, served by the same server (a stand-in build in a temp folder). */
describe('console static serving', () => {
  let ctx: TestContext;
  let dir: string;
  const js = 'console.log("gatehouse console");'.repeat(40);
  const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-console-assets-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Gatehouse console</title><div id="root"></div>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), js);
    writeFileSync(join(dir, 'assets', 'index-abc123.js.br'), brotliCompressSync(js));
    writeFileSync(join(dir, 'assets', 'index-abc123.js.gz'), gzipSync(js));
    process.env.CONSOLE_ASSETS_DIR = dir;
    ctx = await createTestContext();
    delete process.env.CONSOLE_ASSETS_DIR;
  });
  afterAll(async () => {
    await ctx.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page at / and at console paths to browsers, with a strict CSP and no caching', async () => {
    for (const url of ['/', '/sign-in', '/w/0190b5d8-0000-7000-8000-000000000000/settings/api-keys', '/invite']) {
      const res = await ctx.app.inject({ method: 'GET', url, headers: html });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.body).toContain('Gatehouse console');
      expect(res.headers['content-security-policy']).toMatch(/script-src 'self'/);
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cache-control']).toBe('no-cache');
    }
  });

  it('keeps Ory JSON 404s for API clients, API routes, project hosts and the API host', async () => {
    const api = await ctx.app.inject({ method: 'GET', url: '/no/such/route', headers: { accept: 'application/json' } });
    expect(api.statusCode).toBe(404);
    expect(api.json().error).toMatchObject({ code: 404, status: 'Not Found' });
    // A real API route answers as the API even to a browser.
    const mgmt = await ctx.app.inject({ method: 'GET', url: '/workspaces', headers: html });
    expect(mgmt.statusCode).toBe(401);
    expect(mgmt.json().error.code).toBe(401);
    const t = await seedTenant(ctx.registry);
    const onProjectHost = await ctx.app.inject({ method: 'GET', url: '/nothing-here', headers: { ...html, host: `${t.projectSlug}.projects.gatehouse.test` } });
    expect(onProjectHost.statusCode).toBe(404);
    expect(onProjectHost.json().error.code).toBe(404);
    const viaMount = await ctx.app.inject({ method: 'GET', url: `/p/${t.projectSlug}/nothing-here`, headers: html });
    expect(viaMount.json().error.code).toBe(404);
    const apiHost = await ctx.app.inject({ method: 'GET', url: '/', headers: { ...html, host: 'api.console.gatehouse.test' } });
    expect(apiHost.json().error.code).toBe(404);
    const consoleHost = await ctx.app.inject({ method: 'GET', url: '/', headers: { ...html, host: 'console.gatehouse.test' } });
    expect(consoleHost.body).toContain('Gatehouse console');
  });

  it('serves hashed assets precompressed, cached for a year', async () => {
    const br = await ctx.app.inject({ method: 'GET', url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.statusCode).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/text\/javascript/);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(js);
    expect(br.rawPayload.length).toBeLessThan(js.length / 5);
    const gz = await ctx.app.inject({ method: 'GET', url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    const plain = await ctx.app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(js);
    for (const bad of ['/assets/missing.js', '/assets/..%2Findex.html', '/assets/%2e%2e/%2e%2e/package.json', '/assets/index-abc123.js.br']) {
      const res = await ctx.app.inject({ method: 'GET', url: bad, headers: { accept: 'application/json' } });
      expect(res.statusCode, bad).toBe(404);
      expect(res.body).not.toContain('"gatehouse"');
      expect(res.json().error.code).toBe(404);
    }
  });
});
