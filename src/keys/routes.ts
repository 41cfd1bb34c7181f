import { Type, type TObject } from '@sinclair/typebox';
import type { Registry } from '../registry.js';
import { defineRoute, type RouteSpec } from '../platform/http/route-table.js';
import { badRequest, notFound } from '../platform/errors/errors.js';
import { isUuid } from '../platform/ids.js';
import { DateTime, Id, Name } from '../platform/http/schemas.js';
import { requireWorkspace } from '../tenancy/access.js';
import type { Principal } from '../platform/auth/principal.js';
import type { KeyScope } from './key-store.js';
import type { KeyService } from './key-service.js';
import { actorOf, type AuditLog } from '../audit/audit-log.js';

const CreateKeyBody = Type.Object({ name: Name, expires_at: Type.Optional(DateTime) }, { additionalProperties: false });

// The response schemas strip anything undeclared: a key's hash can never leave the server, and
// `value` is declared only on the create response.
const keyFields = {
  id: Type.String(),
  name: Type.String(),
  owner_id: Type.String(),
  last_characters: Type.String(),
  created_at: Type.String(),
  updated_at: Type.String(),
  expires_at: Type.Optional(Type.String()),
  last_used_at: Type.Optional(Type.String()),
};
const WorkspaceKey = Type.Object({ ...keyFields, workspace_id: Type.String() });
const ProjectKey = Type.Object({ ...keyFields, project_id: Type.String() });

function ownerOf(principal: Principal): string {
  if (principal.kind === 'console-user') return principal.userId;
  if (principal.kind === 'workspace-key') return principal.ownerId;
  throw notFound();
}

function checkExpiry(expiresAt: string | undefined): string | undefined {
  if (expiresAt === undefined) return undefined;
  const ms = Date.parse(expiresAt);
  if (Number.isNaN(ms)) throw badRequest('expires_at must be an RFC 3339 date-time.');
  if (ms <= Date.now()) throw badRequest('expires_at must be in the future.');
  return new Date(ms).toISOString();
}

/** One kind of key owner (a workspace or a project): its keys' model and how a caller gets their scope. */
interface KeyOwner {
  /** The owner's kind; it names the URL (`/workspaces/:workspace/tokens`) and the operations (`listWorkspaceApiKeys`). */
  kind: 'workspace' | 'project';
  Key: TObject;
  /** The scope of the owner's keys, once `principal` may `read` them or `change` them (issue, revoke). */
  scope(principal: Principal, ownerId: string, need: 'read' | 'change'): Promise<KeyScope>;
}

/** List, create and delete of one owner kind's keys. */
function keyRoutesOf(keys: KeyService, audit: AuditLog, o: KeyOwner): RouteSpec[] {
  const m = { plane: 'management', credential: 'management' } as const;
  const url = `/${o.kind}s/:${o.kind}/tokens`;
  const Kind = o.kind === 'workspace' ? 'Workspace' : 'Project';
  const params = Type.Object({ [o.kind]: Id });
  const ownerIdOf = (req: { params: unknown }) => (req.params as Record<string, string>)[o.kind];
  return [
    defineRoute({
      method: 'GET', url, ...m, operation: `list${Kind}ApiKeys`,
      schema: { params, response: { 200: Type.Array(o.Key) } },
      handler: async (req) => keys.list(await o.scope(req.principal, ownerIdOf(req), 'read')),
    }),
    defineRoute({
      method: 'POST', url, ...m, operation: `create${Kind}ApiKey`,
      schema: { params, body: CreateKeyBody, response: { 201: Type.Object({ ...o.Key.properties, value: Type.String() }) } },
      handler: async (req, reply) => {
        const scope = await o.scope(req.principal, ownerIdOf(req), 'change');
        const key = await keys.issue(scope, { name: req.body.name.trim(), ownerId: ownerOf(req.principal), expiresAt: checkExpiry(req.body.expires_at) });
        await audit.record({ workspaceId: scope.workspaceId, projectId: scope.kind === 'project' ? scope.projectId : null, event: 'api_key.created', actor: actorOf(req.principal), clientAddress: req.ip, target: { type: 'api_key', id: key.id, name: key.name }, details: { kind: scope.kind, last_characters: key.last_characters, ...(key.expires_at ? { expires_at: key.expires_at } : {}) } });
        return reply.status(201).send(key);
      },
    }),
    defineRoute({
      method: 'DELETE', url: `${url}/:token_id`, ...m, operation: `delete${Kind}ApiKey`,
      schema: { params: Type.Object({ [o.kind]: Id, token_id: Id }) },
      handler: async (req, reply) => {
        const scope = await o.scope(req.principal, ownerIdOf(req), 'change');
        if (!isUuid(req.params.token_id) || !(await keys.revoke(scope, req.params.token_id))) throw notFound();
        await audit.record({ workspaceId: scope.workspaceId, projectId: scope.kind === 'project' ? scope.projectId : null, event: 'api_key.deleted', actor: actorOf(req.principal), clientAddress: req.ip, target: { type: 'api_key', id: req.params.token_id }, details: { kind: scope.kind } });
        return reply.status(204).send();
      },
    }),
  ];
}

export function keyRoutes(r: Registry): RouteSpec[] {
  const { db, keys, tenancy, audit } = r;
  return [
    ...keyRoutesOf(keys, audit, {
      kind: 'workspace',
      Key: WorkspaceKey,
      // A workspace key acts with an owner's rights in its workspace (tenancy/access.ts), so issuing or
      // revoking one needs the owner role: a developer must not be able to mint their way to owner.
      async scope(principal, workspaceId, need) {
        if (!isUuid(workspaceId)) throw notFound();
        await requireWorkspace(db, principal, workspaceId, need === 'read' ? 'read' : 'admin');
        return { kind: 'workspace', workspaceId };
      },
    }),
    ...keyRoutesOf(keys, audit, {
      kind: 'project',
      Key: ProjectKey,
      async scope(principal, projectId, need) {
        const project = await tenancy.projects.authorize(principal, projectId, need === 'read' ? 'read' : 'manage');
        return { kind: 'project', workspaceId: project.workspace_id, projectId: project.id };
      },
    }),
  ];
}
