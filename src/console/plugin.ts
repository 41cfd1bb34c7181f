import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readFile } from 'node:fs/promises';
import type { Registry } from '../registry.js';
import { noRoute, notFound } from '../platform/errors/errors.js';

/**
 * Where the built web app lives: `web/dist` at the repository root. This file sits two levels below
 * the root both as source (`src/console/`) and compiled (`dist/console/`), so one relative path fits.
 */
export function consoleAssetsDir(): string {
  return process.env.CONSOLE_ASSETS_DIR || fileURLToPath(new URL('../../web/dist/', import.meta.url));
}

// What the console page may load: only its own scripts, styles and API; never framed; the invite
// token in a console URL never leaks through a Referer header.
const PAGE_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cache-control': 'no-cache',
};

const CONTENT_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  woff2: 'font/woff2',
  json: 'application/json; charset=utf-8',
};

interface Page {
  mtimeMs: number;
  raw: Buffer;
  br: Buffer;
  gzip: Buffer;
}

/**
 * The web console's server side: the Vite build's hashed assets (precompressed brotli/gzip, cached
 * for a year) under `/assets/`, and the single page for every other GET that asks for HTML on the
 * console host. Project hosts (rewritten to `/p/{slug}`) and the API host never get the page, and
 * anything that is not a browser navigation keeps Ory's JSON 404.
 */
export async function consolePlugin(app: FastifyInstance, opts: { registry: Registry }): Promise<void> {
  const dir = consoleAssetsDir();
  const base = opts.registry.config.baseDomain.toLowerCase();
  const apiHost = `api.console.${base}`;

  // Hashed build assets: the name changes with the content, so they are cached for a year. The
  // brotli/gzip files written at build time are sent as they are; nothing is compressed per request.
  app.get('/assets/*', { config: { asset: true } }, async (req, reply) => {
    const name = (req.params as { '*': string })['*'];
    const type = /^[A-Za-z0-9_.-]+$/.test(name) && !name.startsWith('.') ? CONTENT_TYPES[name.slice(name.lastIndexOf('.') + 1)] : undefined;
    const file = type ? join(dir, 'assets', name) : '';
    if (!type || !existsSync(file)) throw noRoute('GET', req.url);
    const accept = String(req.headers['accept-encoding'] ?? '');
    reply.header('cache-control', 'public, max-age=31536000, immutable').header('vary', 'accept-encoding').header('x-content-type-options', 'nosniff').type(type);
    for (const [enc, ext] of [['br', '.br'], ['gzip', '.gz']] as const) {
      if (new RegExp(`\\b${enc}\\b`).test(accept) && existsSync(file + ext)) return reply.header('content-encoding', enc).send(await readFile(file + ext));
    }
    return reply.send(await readFile(file));
  });

  let page: Page | null = null;
  const loadPage = (): Page | null => {
    const file = join(dir, 'index.html');
    if (!existsSync(file)) return null;
    const mtimeMs = statSync(file).mtimeMs;
    if (page && page.mtimeMs === mtimeMs) return page;
    const raw = readFileSync(file);
    page = {
      mtimeMs,
      raw,
      br: brotliCompressSync(raw, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } }),
      gzip: gzipSync(raw, { level: 9 }),
    };
    return page;
  };

  const isConsoleNavigation = (req: FastifyRequest): boolean => {
    const host = String(req.headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
    if (host === apiHost) return false;
    const path = req.url.split('?')[0];
    if (path.startsWith('/p/') || path === '/p' || path.startsWith('/assets/')) return false;
    return String(req.headers.accept ?? '').includes('text/html');
  };

  const servePage = (req: FastifyRequest, reply: FastifyReply) => {
    const p = loadPage();
    reply.headers(PAGE_HEADERS).header('vary', 'accept-encoding');
    if (!p) {
      return reply.status(503).type('text/html; charset=utf-8').send('<!doctype html><title>Gatehouse</title><p>The console has not been built. Run <code>npm run build</code> and restart.</p>');
    }
    const accept = String(req.headers['accept-encoding'] ?? '');
    reply.type('text/html; charset=utf-8');
    if (/\bbr\b/.test(accept)) return reply.header('content-encoding', 'br').send(p.br);
    if (/\bgzip\b/.test(accept)) return reply.header('content-encoding', 'gzip').send(p.gzip);
    return reply.send(p.raw);
  };

  // Unmatched GETs land here (find-my-way prefers every static and parametric route to a wildcard).
  app.get('/*', { config: { asset: true } }, async (req, reply) => {
    if (!isConsoleNavigation(req)) throw noRoute(req.method, req.url);
    return servePage(req, reply);
  });

  // Small static files at the root of the build (favicon).
  app.get('/favicon.svg', { config: { asset: true } }, async (_req, reply) => {
    const file = join(dir, 'favicon.svg');
    if (!existsSync(file)) throw notFound();
    return reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(readFileSync(file));
  });
}
