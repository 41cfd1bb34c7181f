import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import FindMyWay from 'find-my-way';
import { parseApiKey } from '../../keys/format.js';
import type { OryError } from '../errors/errors.js';
import type { AccessLog } from './access-log.js';
import { mountedUrl, type RouteSpec } from './route-table.js';
import { rawBearerToken } from './bearer.js';
import type { ResolvedProject } from '../../tenancy/project-resolver.js';

export interface EdgeGateOptions {
  routes: RouteSpec[];
  /** The same rewrite Fastify applies (project hosts onto `/p/{slug}`). */
  rewriteUrl(req: IncomingMessage): string;
  /** The cached project behind a slug: the project, null, or undefined when unknown to the cache. */
  peekProject(slug: string): ResolvedProject | null | undefined;
  /** The refusal the route's own credential check gives a malformed key. */
  refusal: OryError;
  accessLog: AccessLog;
  trustProxy: boolean;
  /** Router options identical to Fastify's, so both match the same URLs. */
  routerOptions: { ignoreTrailingSlash: boolean; maxParamLength: number };
}

interface Guarded {
  template: string;
  plane: RouteSpec['plane'];
}

/**
 * Refuses, before any framework work, a request whose bearer token can never be valid (no Gatehouse
 * key prefix, bad alphabet or a checksum that does not match) on a route that needs a key. This is
 * what the key checksum is for: a flood of forged or mistyped keys costs no lookup, no routing
 * lifecycle and no allocation beyond the answer.
 *
 * The answer is exactly the route's own (status, Ory error body, headers, access-log line, metrics);
 * anything the gate is not certain about (an unknown route, a project not in the resolver's cache, a
 * NUL in the URL) passes through to Fastify, which answers as it always does.
 */
export function createEdgeGate(o: EdgeGateOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const router = FindMyWay<FindMyWay.HTTPVersion.V1>({ ...o.routerOptions, caseSensitive: true });
  const noop = () => undefined;
  for (const spec of o.routes) {
    if (spec.credential !== 'management' && spec.credential !== 'project') continue;
    const template = mountedUrl(spec);
    router.on(spec.method.toUpperCase() as FindMyWay.HTTPMethod, template, noop, { template, plane: spec.plane } satisfies Guarded);
  }

  return (req, res) => {
    const started = performance.now();
    const token = rawBearerToken(req.headers.authorization);
    if (token === null || parseApiKey(token) !== null) return false;
    const url = o.rewriteUrl(req);
    if (url.includes('%00')) return false;
    const match = router.find(req.method as FindMyWay.HTTPMethod, url);
    if (!match) return false;
    const guarded = match.store as Guarded;
    if (guarded.plane === 'project' && !o.peekProject(match.params.slug ?? '')) return false;

    const requestId = randomUUID();
    const body = o.refusal.toJson(requestId);
    res.writeHead(o.refusal.code, ['x-request-id', requestId, 'content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(body))]);
    res.end(body);
    o.accessLog.record({
      requestId,
      method: req.method!,
      url,
      route: guarded.template,
      status: o.refusal.code,
      ms: performance.now() - started,
      host: req.headers.host,
      ip: clientIp(req, o.trustProxy),
    });
    return true;
  };
}

/** Fastify's `request.ip`: the socket's peer, or with a trusted proxy the first `X-Forwarded-For` hop. */
function clientIp(req: IncomingMessage, trustProxy: boolean): string | undefined {
  const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
  if (typeof forwarded === 'string' && forwarded.length > 0) return forwarded.split(',')[0].trim();
  return req.socket.remoteAddress;
}
