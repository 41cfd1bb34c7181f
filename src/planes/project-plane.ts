import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from '../registry.js';
import type { RouteSpec, Scope } from '../platform/http/route-table.js';
import { forbidden, notFound, type OryError } from '../platform/errors/errors.js';
import { bearerToken } from '../platform/http/bearer.js';
import { sendError } from '../platform/http/send-error.js';
import type { ResolvedProject } from '../tenancy/project-resolver.js';
import { OAuth2Error } from '../oauth2/errors.js';
import { SESSION_COOKIE } from '../console/session-service.js';
import { workspaceRole } from '../tenancy/access.js';
import { NO_KEY, consoleUser, withKey } from './credentials.js';
import { assertPlane, mountRoutes, type CredentialCheck, type Outcome } from './mount.js';
import type { ConsoleUserPrincipal, ProjectKeyPrincipal } from './contexts.js';
import type { KeyPolicyCheck } from './key-policy.js';

export interface ProjectPlaneOptions {
  registry: Pick<Registry, 'projects' | 'keys' | 'consoleSessions' | 'db' | 'usage'>;
  /** A key's own limits (scopes, addresses, rate), checked once its project is known. */
  policy: KeyPolicyCheck;
  /** The plane's routes that answer errors in Ory's shape. */
  routes: RouteSpec[];
  /** OAuth2's RFC 6749 endpoints: their scope answers every error, the framework's too, in RFC 6749's shape. */
  oauth2Protocol: RouteSpec[];
}

const NO_PROJECT = notFound('No project is reachable at this address.');

/** The decorations as this plane fills them in, before a handler may rely on them. */
type Decorated = FastifyRequest & { project: ResolvedProject | null; principal: ProjectKeyPrincipal | ConsoleUserPrincipal | null };

const VIEWER_MAY_NOT = forbidden('This action needs the developer role in the workspace.');

/**
 * The project plane, mounted under `/p/:slug` (project hosts are rewritten onto it). Every request
 * first resolves its project (an unknown, halted or deleted one answers 404 on every route) and
 * decorates the request with it; admin routes then need a project key of exactly that project, or
 * the console session of a member of the project's workspace (how the console shows a project's
 * data): a viewer may call the routes whose scope is `:read`, a developer or owner all of them. A
 * workspace key, a key of another project, an expired, revoked, unknown or malformed key, the
 * session of someone outside the workspace: all the same 401.
 */
export async function projectPlane(app: FastifyInstance, o: ProjectPlaneOptions): Promise<void> {
  assertPlane([...o.routes, ...o.oauth2Protocol], 'project');
  app.decorateRequest('project', null);
  app.decorateRequest('principal', null);
  const { projects, keys, consoleSessions, db, usage } = o.registry;

  // Every answer of a known project counts toward its API requests (and errors): a map increment.
  app.addHook('onResponse', (req, reply, done) => {
    const project = (req as Decorated).project;
    if (project) {
      usage.count(project.workspaceId, project.id, 'api_requests');
      if (reply.statusCode >= 400) usage.count(project.workspaceId, project.id, 'api_errors');
    }
    done();
  });

  /** A console user's session: a member of the project's workspace, with the role the route needs. */
  const member = async (req: Decorated, project: ResolvedProject, scope: Scope | undefined): Promise<Outcome> => {
    const refusal = await consoleUser(consoleSessions, req, NO_KEY);
    if (refusal) return refusal;
    const role = await workspaceRole(db, req.principal as ConsoleUserPrincipal, project.workspaceId);
    if (!role) {
      req.principal = null;
      return NO_KEY;
    }
    return role === 'viewer' && !scope?.endsWith(':read') ? VIEWER_MAY_NOT : null;
  };
  const projectKey = (req: Decorated, reply: FastifyReply, project: ResolvedProject, scope: Scope | undefined): Outcome | Promise<Outcome> => {
    const token = bearerToken(req);
    if (!token) return req.cookies?.[SESSION_COOKIE] ? member(req, project, scope) : NO_KEY;
    return withKey(keys, token, (key) => {
      if (key.kind !== 'project' || key.projectId !== project.id) return NO_KEY;
      req.principal = { kind: 'project-key', keyId: key.id, keyName: key.name, projectId: key.projectId, workspaceId: key.workspaceId, ownerId: key.ownerId };
      return o.policy(key, req, reply, scope);
    });
  };
  const checkFor = (spec: RouteSpec): CredentialCheck => {
    if (spec.credential !== 'none' && spec.credential !== 'project') throw new Error(`${spec.method} ${spec.url}: the project plane does not accept ${spec.credential} credentials`);
    const credential = spec.credential === 'project' ? projectKey : null;
    const withProject = (req: Decorated, reply: FastifyReply, project: ResolvedProject | null): Outcome | Promise<Outcome> => {
      if (!project) return NO_PROJECT;
      req.project = project;
      return credential ? credential(req, reply, project, spec.scope) : null;
    };
    return (req, reply) => {
      const slug = (req.params as { slug?: string }).slug ?? '';
      const cached = projects.peek(slug);
      if (cached !== undefined) return withProject(req as Decorated, reply, cached);
      return projects.bySlug(slug).then((project) => withProject(req as Decorated, reply, project));
    };
  };

  mountRoutes(app, o.routes, checkFor);
  await app.register(async (oauth2) => {
    oauth2.setErrorHandler((err: FastifyError, req, reply) => sendError(err, req, reply, asOAuth2Error));
    mountRoutes(oauth2, o.oauth2Protocol, checkFor);
  });
}

/** An error as RFC 6749's `{"error","error_description"}`: `invalid_request`, or `server_error` for a 5xx. */
function asOAuth2Error(ory: OryError): OAuth2Error {
  if (ory instanceof OAuth2Error) return ory;
  const description = ory.code === 415 ? 'The request must be sent as application/x-www-form-urlencoded.' : (ory.reason ?? ory.message);
  return new OAuth2Error(ory.code >= 500 ? 'server_error' : 'invalid_request', description, ory.code, ory.headers);
}
