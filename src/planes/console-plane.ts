import type { FastifyInstance } from 'fastify';
import type { Registry } from '../registry.js';
import type { RouteSpec } from '../platform/http/route-table.js';
import { consolePlugin } from '../console/plugin.js';
import { NO_CONSOLE_SESSION, consoleUser } from './credentials.js';
import { assertPlane, mountRoutes, type CredentialCheck } from './mount.js';

export interface ConsolePlaneOptions {
  registry: Registry;
  routes: RouteSpec[];
}

/**
 * The web console's own server side on the console host: its API for people (sign-in, sessions,
 * invites), which needs a console session where it needs anything, and the built web app.
 */
export async function consolePlane(app: FastifyInstance, o: ConsolePlaneOptions): Promise<void> {
  assertPlane(o.routes, 'console');
  app.decorateRequest('principal', null);
  const session: CredentialCheck = (req) => consoleUser(o.registry.consoleSessions, req, NO_CONSOLE_SESSION);
  mountRoutes(app, o.routes, (spec) => {
    if (spec.credential === 'none') return null;
    if (spec.credential === 'console') return session;
    throw new Error(`${spec.method} ${spec.url}: the console plane accepts only console sessions`);
  });
  await app.register(consolePlugin, { registry: o.registry });
}
