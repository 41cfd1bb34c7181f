import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Registry } from '../registry.js';
import type { RouteSpec, Scope } from '../platform/http/route-table.js';
import { bearerToken } from '../platform/http/bearer.js';
import { NO_CONSOLE_SESSION, NO_KEY, NO_MANAGEMENT_CREDENTIAL, consoleUser, withKey } from './credentials.js';
import { assertPlane, mountRoutes, type CredentialCheck } from './mount.js';
import type { ManagementPrincipal } from '../platform/auth/principal.js';
import type { KeyPolicyCheck } from './key-policy.js';

export interface ManagementPlaneOptions {
  registry: Pick<Registry, 'keys' | 'consoleSessions'>;
  /** A key's own limits (scopes, addresses, rate), checked once its workspace is known. */
  policy: KeyPolicyCheck;
  routes: RouteSpec[];
}

type ManagementRequest = FastifyRequest & { principal: ManagementPrincipal | null };

/**
 * The Management API (workspaces, projects, members, organizations, keys) on the console host. Its
 * routes need a workspace API key or a console session, and the handler then checks the tenant and
 * the role; a project key is refused like an unknown one.
 */
export async function managementPlane(app: FastifyInstance, o: ManagementPlaneOptions): Promise<void> {
  assertPlane(o.routes, 'management');
  app.decorateRequest('principal', null);
  const { keys, consoleSessions } = o.registry;

  const workspaceKeyOrSession = (scope: Scope | undefined): CredentialCheck => (req, reply) => {
    const token = bearerToken(req);
    if (!token) return consoleUser(consoleSessions, req, NO_MANAGEMENT_CREDENTIAL);
    return withKey(keys, token, (key) => {
      if (key.kind !== 'workspace') return NO_KEY;
      (req as ManagementRequest).principal = { kind: 'workspace-key', keyId: key.id, keyName: key.name, workspaceId: key.workspaceId, ownerId: key.ownerId };
      return o.policy(key, req, reply, scope);
    });
  };
  const session: CredentialCheck = (req) => consoleUser(consoleSessions, req, NO_CONSOLE_SESSION);

  mountRoutes(app, o.routes, (spec) => {
    switch (spec.credential) {
      case 'none':
        return null;
      case 'management':
        return workspaceKeyOrSession(spec.scope);
      case 'console':
        return session;
      case 'project':
        throw new Error(`${spec.method} ${spec.url}: the management plane does not accept project keys`);
    }
  });
}
