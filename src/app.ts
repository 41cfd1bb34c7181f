import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import pino from 'pino';
import './platform/http/fastify-augment.js';
import type { Registry } from './registry.js';
import type { ResolvedProject } from './tenancy/project-resolver.js';
import type { VerifyResult } from './keys/key-service.js';
import { OryError, ErrorId, badRequest, noRoute, notFound, unauthorized } from './platform/errors/errors.js';
import { mountedUrl, type RouteSpec } from './platform/http/route-table.js';
import { validatorCompiler } from './platform/http/validation.js';
import { bearerToken } from './platform/http/bearer.js';
import { allRoutes } from './routes.js';
import { AccessLog } from './platform/http/access-log.js';
import { LogWriter } from './platform/log-writer.js';
import { registerCookies } from './platform/http/cookies.js';
import { createEdgeGate, type Guard } from './platform/http/edge-gate.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './platform/http/json-depth.js';
import { consolePlugin } from './console/plugin.js';
import { OAuth2Error } from './oauth2/errors.js';

const PROJECT_HOST = (baseDomain: string) =>
  new RegExp(`^([a-z0-9][a-z0-9-]{0,62})\\.projects\\.${baseDomain.replace(/[.]/g, '\\.')}(?::\\d+)?$`, 'i');

/** Builds the HTTP application: every plane, one route table, Ory's error shape everywhere. */
export async function buildApp(registry: Registry, opts: { logger?: boolean } = {}): Promise<FastifyInstance> {
  const { config } = registry;
  const projectHost = PROJECT_HOST(config.baseDomain);
  // Asynchronous, batched writes: logging must not stall the event loop on a slow stdout.
  const logStream = opts.logger === false ? null : new LogWriter();
  const accessLines = logStream && pino.levels.values[config.logLevel] <= pino.levels.values.info ? logStream : null;
  const accessLog = new AccessLog(accessLines, registry.metrics);
  const trustProxy = process.env.TRUST_PROXY === 'true';
  const routerOptions = { ignoreTrailingSlash: true, maxParamLength: 500, useSemicolonDelimiter: false };
  // Project hosts are rewritten onto the `/p/{slug}` mount, so one route table serves both forms.
  const rewriteUrl = (req: IncomingMessage): string => {
    const url = req.url ?? '/';
    const m = projectHost.exec(req.headers.host ?? '');
    // Health checks answer on every host, so a load balancer can probe any of them.
    if (!m || url.startsWith('/health/')) return url;
    return `/p/${m[1].toLowerCase()}${url === '/' ? '' : url}`;
  };
  const routes = allRoutes(registry);
  const gate = createEdgeGate({
    rewriteUrl,
    peekProject: (slug) => registry.projects.peek(slug),
    refusal: NO_KEY,
    accessLog,
    trustProxy,
    routerOptions,
  });

  const app = Fastify({
    // Always a logger (silent when disabled): Fastify reports a finished request to the access log,
    // which also records the metrics, only when it has one.
    logger: {
      level: logStream ? config.logLevel : 'silent',
      ...(logStream ? { stream: logStream } : {}),
      // Never log secrets: no headers, no query strings (flows carry tokens there), no bodies.
      serializers: {
        req: (req) => ({ method: req.method, path: req.url.split('?')[0], host: req.headers?.host, remoteAddress: req.ip }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
    },
    logController: accessLog,
    serverFactory: (handler) => {
      const server = createServer((req, res) => gate.answer(req, res) || handler(req, res));
      // Fastify's own defaults, which it applies only to servers it creates: idle keep-alive
      // connections outlive a load balancer's (typically 60 s) idle timeout.
      server.keepAliveTimeout = 72_000;
      return server;
    },
    bodyLimit: config.bodyLimit,
    clientErrorHandler,
    trustProxy,
    genReqId: () => randomUUID(),
    routerOptions,
    rewriteUrl,
  });

  // While closing, Fastify answers 503 with `Connection: close` to drain keep-alive clients.
  app.addHook('preClose', (done) => {
    gate.close();
    done();
  });
  app.addHook('onClose', async () => logStream?.close());
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

  app.setErrorHandler((err: FastifyError, req, reply) => sendError(err, req, reply));
  app.setNotFoundHandler((req, reply) => sendError(noRoute(req.method, req.url), req, reply));

  // Every route the app serves is recorded, so tests can prove none bypasses the route table.
  const served: { method: string; url: string; fromTable: boolean }[] = [];
  app.addHook('onRoute', (opts) => {
    const config = opts.config as { fromTable?: boolean; asset?: boolean; guard?: Guard } | undefined;
    for (const method of [opts.method].flat()) {
      served.push({ method, url: opts.url, fromTable: config?.fromTable === true || config?.asset === true });
      // The edge gate mirrors every route, so its router matches exactly as Fastify's does.
      gate.route(method, opts.url, config?.guard ?? null);
    }
  });
  app.decorate('servedRoutes', served);

  await app.register(consolePlugin, { registry });

  for (const spec of routes) registerRoute(app, registry, spec);
  return app;
}

function registerRoute(app: FastifyInstance, registry: Registry, spec: RouteSpec): void {
  const template = mountedUrl(spec);
  app.route({
    method: spec.method,
    url: template,
    schema: spec.schema,
    bodyLimit: spec.bodyLimit,
    config: { fromTable: true, guard: spec.credential === 'management' || spec.credential === 'project' ? { plane: spec.plane } : null },
    // RFC 6749 endpoints answer every error in their own shape, framework ones (415, 413, bad body) too.
    ...(spec.oauth2Errors ? { errorHandler: (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => sendError(err, req, reply, asOAuth2Error) } : {}),
    // Credentials are checked before the body is even parsed: an unauthenticated caller learns
    // nothing about what the route would accept. Callback style: a cached credential answers
    // without a promise.
    onRequest: (req, reply, done) => {
      req.routeTemplate = template;
      const outcome = authenticate(registry, spec, req);
      if (outcome === null) return done();
      if (!(outcome instanceof Promise)) return void sendError(outcome, req, reply);
      outcome.then((refusal) => (refusal ? sendError(refusal, req, reply) : done()), done).catch(done);
    },
    handler: spec.handler as never,
  });
}

// Refusals are built once: the hot rejection path allocates no Error and captures no stack.
const NO_PROJECT = notFound('No project is reachable at this address.');
const NO_KEY = unauthorized();
const NO_MANAGEMENT_CREDENTIAL = unauthorized('The request could not be authorized: a workspace API key or a console session is required.');
const NO_CONSOLE_SESSION = unauthorized('A console session is required.');

type Outcome = OryError | null;

/**
 * Resolves the project (project plane) and the principal the route's credential demands. Returns the
 * refusal to send, or null when the request may proceed; a promise only when the answer is not in a
 * cache. A workspace key on a project route, a key of another project, an expired, revoked, unknown
 * or malformed key: all the same 401.
 */
function authenticate(registry: Registry, spec: RouteSpec, req: FastifyRequest): Outcome | Promise<Outcome> {
  if (spec.plane !== 'project') return checkCredential(registry, spec, req);
  const slug = (req.params as { slug?: string }).slug ?? '';
  const cached = registry.projects.peek(slug);
  if (cached !== undefined) return withProject(registry, spec, req, cached);
  return registry.projects.bySlug(slug).then((project) => withProject(registry, spec, req, project));
}

function withProject(registry: Registry, spec: RouteSpec, req: FastifyRequest, project: ResolvedProject | null): Outcome | Promise<Outcome> {
  if (!project) return NO_PROJECT;
  req.project = project;
  return checkCredential(registry, spec, req);
}

function checkCredential(registry: Registry, spec: RouteSpec, req: FastifyRequest): Outcome | Promise<Outcome> {
  switch (spec.credential) {
    case 'none':
      return null;
    case 'project':
    case 'management': {
      const token = bearerToken(req);
      if (!token) return spec.credential === 'project' ? NO_KEY : consoleUser(registry, req, NO_MANAGEMENT_CREDENTIAL);
      const cached = registry.keys.verifyCached(token);
      if (cached) return acceptKey(spec, req, cached);
      return registry.keys.verify(token).then((result) => acceptKey(spec, req, result));
    }
    case 'console':
      return consoleUser(registry, req, NO_CONSOLE_SESSION);
  }
}

function acceptKey(spec: RouteSpec, req: FastifyRequest, result: VerifyResult): Outcome {
  if (!result.ok) return NO_KEY;
  const key = result.key;
  if (spec.credential === 'project') {
    if (key.kind !== 'project' || key.projectId !== req.project!.id) return NO_KEY;
    req.principal = { kind: 'project-key', keyId: key.id, projectId: key.projectId, workspaceId: key.workspaceId, ownerId: key.ownerId };
    return null;
  }
  if (key.kind !== 'workspace') return NO_KEY;
  req.principal = { kind: 'workspace-key', keyId: key.id, workspaceId: key.workspaceId, ownerId: key.ownerId };
  return null;
}

async function consoleUser(registry: Registry, req: FastifyRequest, refusal: OryError): Promise<Outcome> {
  const user = await registry.consoleSessions.authenticate(req);
  if (!user) return refusal;
  req.principal = user;
  return null;
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

const asIs = (e: OryError): OryError => e;

/**
 * Renders any error in Ory's shape (or another, through `shape`). Unknown errors become a generic 500,
 * logged, never echoed.
 */
export function sendError(err: unknown, req: FastifyRequest, reply: FastifyReply, shape: (e: OryError) => OryError = asIs): FastifyReply {
  const ory = shape(toOryError(err));
  if (ory.code >= 500) req.log.error({ err }, 'unhandled error');
  if (ory.headers) reply.headers(ory.headers);
  return reply.status(ory.code).type('application/json; charset=utf-8').send(ory.toJson(req.id));
}

/** An error as RFC 6749's `{"error","error_description"}`: `invalid_request`, or `server_error` for a 5xx. */
function asOAuth2Error(ory: OryError): OAuth2Error {
  if (ory instanceof OAuth2Error) return ory;
  const description = ory.code === 415 ? 'The request must be sent as application/x-www-form-urlencoded.' : (ory.reason ?? ory.message);
  return new OAuth2Error(ory.code >= 500 ? 'server_error' : 'invalid_request', description, ory.code, ory.headers);
}

function toOryError(err: unknown): OryError {
  if (err instanceof OryError) return err;
  const e = err as FastifyError & { validation?: unknown; validationContext?: string };
  if (e?.validation) {
    const where = e.validationContext ?? 'request';
    return new OryError(400, 'The request was malformed or contained invalid parameters', `${where}${e.message.replace(/^(body|querystring|params|headers)/, '')}`.trim(), ErrorId.validationFailed);
  }
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new OryError(413, 'The request body is too large', 'The request body exceeds the size limit.', ErrorId.payloadTooLarge);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new OryError(415, 'Unsupported media type', 'This content type is not accepted here; send application/json.', ErrorId.unsupportedMediaType);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new OryError(400, 'The request was malformed or contained invalid parameters', 'The JSON body is empty.', ErrorId.invalidJson);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new OryError(400, 'The request was malformed or contained invalid parameters', 'The body is not valid JSON.', ErrorId.invalidJson);
  }
  if (err instanceof SyntaxError || e?.statusCode === 400) {
    return new OryError(400, 'The request was malformed or contained invalid parameters', 'The body could not be parsed.', ErrorId.invalidJson);
  }
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new OryError(e.statusCode, 'The request could not be processed', e.code ?? 'client_error', ErrorId.badRequest);
  }
  return new OryError(500, 'An internal server error occurred, please contact the system administrator', undefined, ErrorId.internal);
}
