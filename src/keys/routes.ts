import { Type } from '@sinclair/typebox';
import type { Registry } from '../registry.js';
import { defineRoute, type RouteSpec } from '../platform/http/route-table.js';
import { badRequest, notFound } from '../platform/errors/errors.js';
import { isUuid } from '../platform/ids.js';
import { DateTime, Id, Name } from '../platform/http/schemas.js';
import { requireWorkspace } from '../tenancy/access.js';
import type { Principal } from '../platform/auth/principal.js';
import type { KeyScope } from './key-service.js';

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

function ownerOf(principal: Principal | undefined): string {
  if (principal?.kind === 'console-user') return principal.userId;
  if (principal?.kind === 'workspace-key') return principal.ownerId;
  throw notFound();
}

function checkExpiry(expiresAt: string | undefined): string | undefined {
  if (expiresAt === undefined) return undefined;
  const ms = Date.parse(expiresAt);
  if (Number.isNaN(ms)) throw badRequest('expires_at must be an RFC 3339 date-time.');
  if (ms <= Date.now()) throw badRequest('expires_at must be in the future.');
  return new Date(ms).toISOString();
}

export function keyRoutes(r: Registry): RouteSpec[] {
  const { db, keys, tenancy } = r;

  // A workspace key acts with an owner's rights in its workspace (tenancy/access.ts), so issuing or
  // revoking one needs the owner role: a developer must not be able to mint their way to owner.
  async function workspaceScope(principal: Principal | undefined, workspaceId: string, need: 'read' | 'admin'): Promise<KeyScope> {
    if (!isUuid(workspaceId)) throw notFound();
    await requireWorkspace(db, principal, workspaceId, need);
    return { kind: 'workspace', workspaceId };
  }
  async function projectScope(principal: Principal | undefined, projectId: string, need: 'read' | 'manage'): Promise<KeyScope> {
    const project = await tenancy.projects.authorize(principal, projectId, need);
    return { kind: 'project', workspaceId: project.workspace_id, projectId: project.id };
  }

  return [
    defineRoute({
      method: 'GET', url: '/workspaces/:workspace/tokens', plane: 'management', credential: 'management', operation: 'listWorkspaceApiKeys',
      schema: { params: Type.Object({ workspace: Id }), response: { 200: Type.Array(WorkspaceKey) } },
      handler: async (req) => keys.list(await workspaceScope(req.principal, req.params.workspace, 'read')),
    }),
    defineRoute({
      method: 'POST', url: '/workspaces/:workspace/tokens', plane: 'management', credential: 'management', operation: 'createWorkspaceApiKey',
      schema: { params: Type.Object({ workspace: Id }), body: CreateKeyBody, response: { 201: Type.Object({ ...WorkspaceKey.properties, value: Type.String() }) } },
      handler: async (req, reply) => {
        const scope = await workspaceScope(req.principal, req.params.workspace, 'admin');
        const key = await keys.issue(scope, { name: req.body.name.trim(), ownerId: ownerOf(req.principal), expiresAt: checkExpiry(req.body.expires_at) });
        return reply.status(201).send(key);
      },
    }),
    defineRoute({
      method: 'DELETE', url: '/workspaces/:workspace/tokens/:token_id', plane: 'management', credential: 'management', operation: 'deleteWorkspaceApiKey',
      schema: { params: Type.Object({ workspace: Id, token_id: Id }) },
      handler: async (req, reply) => {
        const scope = await workspaceScope(req.principal, req.params.workspace, 'admin');
        if (!isUuid(req.params.token_id) || !(await keys.revoke(scope, req.params.token_id))) throw notFound();
        return reply.status(204).send();
      },
    }),
    defineRoute({
      method: 'GET', url: '/projects/:project/tokens', plane: 'management', credential: 'management', operation: 'listProjectApiKeys',
      schema: { params: Type.Object({ project: Id }), response: { 200: Type.Array(ProjectKey) } },
      handler: async (req) => keys.list(await projectScope(req.principal, req.params.project, 'read')),
    }),
    defineRoute({
      method: 'POST', url: '/projects/:project/tokens', plane: 'management', credential: 'management', operation: 'createProjectApiKey',
      schema: { params: Type.Object({ project: Id }), body: CreateKeyBody, response: { 201: Type.Object({ ...ProjectKey.properties, value: Type.String() }) } },
      handler: async (req, reply) => {
        const scope = await projectScope(req.principal, req.params.project, 'manage');
        const key = await keys.issue(scope, { name: req.body.name.trim(), ownerId: ownerOf(req.principal), expiresAt: checkExpiry(req.body.expires_at) });
        return reply.status(201).send(key);
      },
    }),
    defineRoute({
      method: 'DELETE', url: '/projects/:project/tokens/:token_id', plane: 'management', credential: 'management', operation: 'deleteProjectApiKey',
      schema: { params: Type.Object({ project: Id, token_id: Id }) },
      handler: async (req, reply) => {
        const scope = await projectScope(req.principal, req.params.project, 'manage');
        if (!isUuid(req.params.token_id) || !(await keys.revoke(scope, req.params.token_id))) throw notFound();
        return reply.status(204).send();
      },
    }),
  ];
}
