import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import './platform/http/fastify-augment.js';
import './planes/contexts.js';
import type { Registry } from './registry.js';
import { OryError, ErrorId, badRequest, noRoute } from './platform/errors/errors.js';
import { validatorCompiler } from './platform/http/validation.js';
import { sendError } from './platform/http/send-error.js';
import { routeTable } from './routes.js';
import { AccessLog } from './platform/http/access-log.js';
import { LogWriter } from './platform/log-writer.js';
import { registerCookies } from './platform/http/cookies.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './platform/http/json-depth.js';
import { systemPlane } from './planes/system-plane.js';
import { consolePlane } from './planes/console-plane.js';
import { managementPlane } from './planes/management-plane.js';
import { projectPlane } from './planes/project-plane.js';
import { keyPolicy } from './planes/key-policy.js';

const PROJECT_HOST = (baseDomain: string) =>
  new RegExp(`^([a-z0-9][a-z0-9-]{0,62})\\.projects\\.${baseDomain.replace(/[.]/g, '\\.')}(?::\\d+)?$`, 'i');

export interface BuildOptions {
  /** false: no log lines at all (tests). */
  logger?: boolean;
  /** Where log lines go instead of stdout, and at which level (tests that read the logs). */
  log?: { stream: { write(line: string): unknown }; level?: string };
}

/** Builds the HTTP application: every plane, one route table, Ory's error shape everywhere. */
export async function buildApp(registry: Registry, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const { config } = registry;
  const projectHost = PROJECT_HOST(config.baseDomain);
  // Asynchronous, batched writes: logging must not stall the event loop on a slow stdout.
  const logStream = opts.log?.stream ?? (opts.logger === false ? null : new LogWriter());
  const logLevel = opts.log?.level ?? config.logLevel;
  const accessLog = new AccessLog(registry.metrics);
  const routerOptions = { ignoreTrailingSlash: true, maxParamLength: 500, useSemicolonDelimiter: false };
  // Project hosts are rewritten onto the `/p/{slug}` mount, so one route table serves both forms.
  const rewriteUrl = (req: IncomingMessage): string => {
    const url = req.url ?? '/';
    const m = projectHost.exec(req.headers.host ?? '');
    // Health checks answer on every host, so a load balancer can probe any of them.
    if (!m || url.startsWith('/health/')) return url;
    return `/p/${m[1].toLowerCase()}${url === '/' ? '' : url}`;
  };

  // Slowloris headers and bodies that never finish get a 408 within the timeout (plus the check
  // interval, 1 s), instead of holding a socket for as long as the client likes.
  const requestTimeout = config.requestTimeoutMs && config.requestTimeoutMs > 0 ? config.requestTimeoutMs : 30_000;
  const app = Fastify({
    requestTimeout,
    http: { headersTimeout: requestTimeout, requestTimeout, connectionsCheckingInterval: Math.min(1000, requestTimeout) },
    // Always a logger (silent when disabled): Fastify reports a finished request to the access log,
    // which also records the metrics, only when it has one.
    logger: {
      level: logStream ? logLevel : 'silent',
      ...(logStream ? { stream: logStream } : {}),
      // Never log secrets: no headers, no query strings (flows carry tokens there), no bodies.
      serializers: {
        req: (req) => ({ method: req.method, path: req.url.split('?')[0], host: req.headers?.host, remoteAddress: req.ip }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
    },
    logController: accessLog,
    bodyLimit: config.bodyLimit,
    clientErrorHandler,
    // A hop count trusts that many proxies nearest to us, as Fastify does for a number.
    trustProxy: typeof config.trustProxy === 'number' ? (_address: string, hop: number) => hop < (config.trustProxy as number) : config.trustProxy,
    genReqId: () => randomUUID(),
    routerOptions,
    rewriteUrl,
  });

  if (logStream instanceof LogWriter) app.addHook('onClose', async () => logStream.close());
  app.setValidatorCompiler(validatorCompiler);
  registerCookies(app);
  app.decorateRequest('routeTemplate', null);

  // NUL is never valid in any Gatehouse text, and PostgreSQL refuses it in text columns: it is refused
  // at the door, in paths, query strings and every body type, so no handler ever sees one.
  const NUL_REFUSED = badRequest('Requests must not contain NUL characters.');
  const TOO_DEEP = badRequest(`JSON bodies may nest arrays and objects at most ${MAX_JSON_DEPTH} levels deep.`, ErrorId.invalidJson);
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if ((body as string).includes('\\u0000')) return done(NUL_REFUSED, undefined);
    if (nestsDeeperThan(body as string)) return done(TOO_DEEP, undefined);
    // Generic clients send a JSON content type on every request; a DELETE has nothing to parse.
    if (body === '' && req.method === 'DELETE') return done(null, undefined);
    defaultJson(req, body as string, done);
  });
  // Form bodies (OAuth2 token endpoint, browser self-service flows) and plain text (OPL).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    if ((body as string).includes('%00') || (body as string).includes('\0')) return done(NUL_REFUSED, undefined);
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of new URLSearchParams(body as string)) {
      const prev = out[k];
      out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    done(null, out);
  });
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => {
    if ((body as string).includes('\0')) return done(NUL_REFUSED, undefined);
    done(null, body);
  });

  // Callback-style hooks: no promise per request on the hot path.
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    if (req.url.includes('%00')) {
      sendError(NUL_REFUSED, req, reply);
      return;
    }
    done();
  });

  // An answer sent before the body was read (a refusal, a 413) must reach the client: closing a socket
  // with unread bytes makes TCP send a reset, and the client loses the answer with it.
  app.addHook('onSend', (req, reply, payload, done) => {
    if (!req.raw.complete && !req.raw.readableEnded) drainBody(req.raw);
    done(null, payload);
  });

  app.setErrorHandler((err: FastifyError, req, reply) => sendError(err, req, reply));
  app.setNotFoundHandler((req, reply) => sendError(noRoute(req.method, req.url), req, reply));

  // Every route the app serves is recorded, so tests can prove none bypasses the route table.
  const served: { method: string; url: string; fromTable: boolean }[] = [];
  app.addHook('onRoute', (opts) => {
    const config = opts.config as { fromTable?: boolean; asset?: boolean } | undefined;
    for (const method of [opts.method].flat()) served.push({ method, url: opts.url, fromTable: config?.fromTable === true || config?.asset === true });
  });
  app.decorate('servedRoutes', served);

  // One encapsulated plugin per plane, each with its own credential hook and request decoration.
  const table = routeTable(registry);
  await app.register(systemPlane, { routes: table.system });
  await app.register(consolePlane, { registry, routes: table.console });
  const policy = keyPolicy({
    keys: registry.keys,
    quotas: registry.quotas,
    onAllowed: (key) => registry.usage.count(key.workspaceId, key.projectId ?? '', 'key_requests', key.id),
    // Repeats of one refusal are kept once a minute by the audit log, so an attack adds no row per request.
    onRefused: (key, reason, req, scope) => {
      registry.usage.count(key.workspaceId, key.projectId ?? '', 'key_refusals', key.id);
      void registry.audit.record({
        workspaceId: key.workspaceId, projectId: key.projectId, event: 'api_key.refused', outcome: 'refused',
        actor: { kind: 'api_key', id: key.id, name: key.name }, clientAddress: req.ip, target: { type: 'api_key', id: key.id, name: key.name },
        details: { reason, ...(reason === 'scope' && scope ? { required_scope: scope } : {}), route: `${req.method} ${req.routeOptions.url ?? ''}` },
      });
    },
  });
  await app.register(managementPlane, { registry, routes: table.management, policy });
  await app.register(projectPlane, { prefix: '/p/:slug', registry, routes: table.project, oauth2Protocol: table.oauth2Protocol, policy });
  return app;
}

/** How long an answered request's unread body is read and discarded before its connection is cut. */
const DRAIN_MS = 5_000;

/** Reads and discards the rest of a request body that will not be used, for at most `DRAIN_MS`. */
function drainBody(raw: IncomingMessage): void {
  const cut = setTimeout(() => raw.destroy(), DRAIN_MS).unref();
  raw.once('end', () => clearTimeout(cut));
  raw.once('close', () => clearTimeout(cut));
  raw.resume();
}

/**
 * Requests Node's HTTP parser refuses before any route sees them (headers over 16 KiB, malformed
 * request lines, timeouts) are answered in Ory's error shape too, then the connection is closed.
 */
function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, message] =
    err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'The request headers are too large (16 KiB at most)'] : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'The request took too long to arrive'] : [400, 'The request is not valid HTTP'];
  const body = new OryError(code, message, undefined, code === 400 ? ErrorId.badRequest : undefined).toJson(randomUUID());
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${code} ${STATUS_CODES[code]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}
