import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Registry } from '../registry.js';
import { notFound } from '../platform/errors/errors.js';

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

  await app.register(fastifyStatic, {
    root: join(dir, 'assets'),
    prefix: '/assets/',
    preCompressed: true,
    immutable: true,
    maxAge: '365d',
    index: false,
    decorateReply: false,
    wildcard: true,
    // A build that is missing now may appear later (tests build it once); never fail startup.
    serveDotFiles: false,
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
  app.get('/*', async (req, reply) => {
    if (!isConsoleNavigation(req)) throw notFound(`No route ${req.method} ${req.url.split('?')[0]}.`);
    return servePage(req, reply);
  });

  // Small static files at the root of the build (favicon).
  app.get('/favicon.svg', async (_req, reply) => {
    const file = join(dir, 'favicon.svg');
    if (!existsSync(file)) throw notFound();
    return reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(readFileSync(file));
  });
}
