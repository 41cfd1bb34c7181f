import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import FindMyWay from 'find-my-way';
import { parseApiKey } from '../../keys/format.js';
import type { OryError } from '../errors/errors.js';
import type { AccessLog } from './access-log.js';
import type { DurationSeries } from './metrics.js';
import type { Plane } from './route-table.js';
import { rawBearerToken } from './bearer.js';
import type { ResolvedProject } from '../../tenancy/project-resolver.js';

export interface EdgeGateOptions {
  /** The same rewrite Fastify applies (project hosts onto `/p/{slug}`). */
  rewriteUrl(req: IncomingMessage): string;
  /** The cached project behind a slug: the project, null, or undefined when unknown to the cache. */
  peekProject(slug: string): ResolvedProject | null | undefined;
  /** The refusal the route's own credential check gives a malformed key. */
  refusal: OryError;
  accessLog: AccessLog;
  trustProxy: boolean;
  /** Router options identical to Fastify's, so both match the same URLs. */
  routerOptions: { ignoreTrailingSlash: boolean; maxParamLength: number; useSemicolonDelimiter: boolean };
}

/** What the gate knows of a route: null for one it never answers for (no key needed, or not a table route). */
export type Guard = { plane: Plane } | null;

interface Entry {
  template: string;
  guard: Guard;
  /** The metrics series of this route's refusal, found on its first refusal. */
  series?: DurationSeries;
}

export interface EdgeGate {
  /** Mirrors one route Fastify registers (call it from `onRoute`), so both routers match alike. */
  route(method: string, url: string, guard: Guard): void;
  /** Answers the request and returns true, or returns false to let Fastify answer it. */
  answer(req: IncomingMessage, res: ServerResponse): boolean;
  /** From now on every request goes to Fastify (which drains connections while closing). */
  close(): void;
}

/**
 * Refuses, before any framework work, a request whose bearer token can never be valid (no Gatehouse
 * key prefix, bad alphabet or a checksum that does not match) on a route that needs a key. This is
 * what the key checksum is for: a flood of forged or mistyped keys costs no lookup, no routing
 * lifecycle and no allocation beyond the answer.
 *
 * The gate's router holds every route Fastify holds, so the same route matches in both; the answer
 * is exactly the route's own (status, Ory error body, headers, access-log line, metrics). Anything
 * the gate is not certain about (a route needing no key, HEAD, an unknown route, a project not in the
 * resolver's cache, a NUL in the URL, a server shutting down) passes through to Fastify.
 */
export function createEdgeGate(o: EdgeGateOptions): EdgeGate {
  const router = FindMyWay<FindMyWay.HTTPVersion.V1>({ ...o.routerOptions, caseSensitive: true });
  const noop = () => undefined;
  let closing = false;
  // The refusal is the same bytes on every request but for its request id (a UUID, always 36 ASCII
  // characters): its two halves and its length are computed once.
  const SAMPLE_ID = '00000000-0000-0000-0000-000000000000';
  const sample = o.refusal.toJson(SAMPLE_ID);
  const idAt = sample.indexOf(SAMPLE_ID);
  const [bodyHead, bodyTail] = [sample.slice(0, idAt), sample.slice(idAt + SAMPLE_ID.length)];
  const contentLength = String(Buffer.byteLength(sample));

  return {
    route(method, url, guard) {
      const m = method.toUpperCase() as FindMyWay.HTTPMethod;
      router.on(m, url, noop, { template: url, guard: m === 'HEAD' ? null : guard } satisfies Entry);
    },
    close() {
      closing = true;
    },
    answer(req, res) {
      if (closing) return false;
      const token = rawBearerToken(req.headers.authorization);
      if (token === null || parseApiKey(token) !== null) return false;
      const url = o.rewriteUrl(req);
      if (url.includes('%00')) return false;
      const match = router.find(req.method as FindMyWay.HTTPMethod, url);
      const entry = match?.store as Entry | undefined;
      if (!entry?.guard) return false;
      if (entry.guard.plane === 'project' && !o.peekProject(match!.params.slug ?? '')) return false;

      // Timed from here: requests that pass through (most of them) pay for no clock read.
      const started = performance.now();
      const requestId = randomUUID();
      res.writeHead(o.refusal.code, ['x-request-id', requestId, 'content-type', 'application/json; charset=utf-8', 'content-length', contentLength]);
      res.end(bodyHead + requestId + bodyTail);
      const method = req.method!;
      o.accessLog.record(
        { requestId, method, url, route: entry.template, status: o.refusal.code, ms: performance.now() - started, host: req.headers.host, ip: clientIp(req, o.trustProxy) },
        (entry.series ??= o.accessLog.series(method, entry.template, o.refusal.code)),
      );
      return true;
    },
  };
}

/** Fastify's `request.ip`: the socket's peer, or with a trusted proxy the first `X-Forwarded-For` hop. */
function clientIp(req: IncomingMessage, trustProxy: boolean): string | undefined {
  const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
  if (typeof forwarded === 'string' && forwarded.length > 0) return forwarded.split(',')[0].trim();
  return req.socket.remoteAddress;
}
