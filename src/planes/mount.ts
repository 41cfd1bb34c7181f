import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OryError } from '../platform/errors/errors.js';
import { mountedUrl, type RouteSpec } from '../platform/http/route-table.js';
import { sendError } from '../platform/http/send-error.js';
import { withPagination } from '../platform/http/pagination.js';

/** A refusal to send, or null to go on. */
export type Outcome = OryError | null;

/**
 * A route's credential check: the refusal or null, and a promise only when the answer is not in a
 * cache (callback-style hooks: a cached credential costs no promise).
 */
export type CredentialCheck = (req: FastifyRequest, reply: FastifyReply) => Outcome | Promise<Outcome>;

/**
 * Registers route-table routes in a plane's scope. The check runs in `onRequest`, before the body is
 * even parsed: an unauthenticated caller learns nothing about what the route would accept. Routes are
 * given relative to the scope's prefix (the project plane's `/p/:slug`).
 */
export function mountRoutes(app: FastifyInstance, specs: RouteSpec[], checkFor: (spec: RouteSpec) => CredentialCheck | null): void {
  for (const spec of specs) {
    const template = mountedUrl(spec);
    const check = checkFor(spec);
    app.route({
      method: spec.method,
      // Under a prefix, the empty path is the prefix itself (`/p/:slug`).
      url: spec.plane === 'project' && spec.url === '/' ? '' : spec.url,
      schema: spec.schema?.querystring ? { ...spec.schema, querystring: withPagination(spec.schema.querystring) } : spec.schema,
      bodyLimit: spec.bodyLimit,
      config: { fromTable: true },
      onRequest: (req, reply, done) => {
        req.routeTemplate = template;
        const outcome = check ? check(req, reply) : null;
        if (outcome === null) return done();
        if (!(outcome instanceof Promise)) return void sendError(outcome, req, reply);
        outcome.then((refusal) => (refusal ? sendError(refusal, req, reply) : done()), done).catch(done);
      },
      handler: spec.handler as never,
    });
  }
}

/** Throws at startup when a route is handed to a plane it does not declare. */
export function assertPlane(specs: RouteSpec[], plane: RouteSpec['plane']): void {
  const stray = specs.find((s) => s.plane !== plane);
  if (stray) throw new Error(`${stray.method} ${stray.url} declares the ${stray.plane} plane but was mounted on the ${plane} plane`);
}
