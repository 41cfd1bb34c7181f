import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from '../registry.js';
import { defineRoute, type RouteSpec } from '../platform/http/route-table.js';
import { Email, Id, Name, Role } from '../platform/http/schemas.js';
import { PageQuery } from '../platform/http/pagination.js';
import { deleteProjectData } from '../database.js';
import { notFound } from '../platform/errors/errors.js';
import { isUuid } from '../platform/ids.js';
import type { ManagementPrincipal } from '../platform/auth/principal.js';
import { actorOf, type AuditEventInput, type AuditLog } from '../audit/audit-log.js';

const Environment = Type.Union([Type.Literal('prod'), Type.Literal('stage'), Type.Literal('dev')]);
const HomeRegion = Type.Union(['eu-central', 'asia-northeast', 'us-east', 'us-west', 'eu', 'asia', 'us', 'global'].map((r) => Type.Literal(r)));
const Cors = Type.Object({ enabled: Type.Optional(Type.Boolean()), origins: Type.Optional(Type.Array(Type.String({ maxLength: 2048 }), { maxItems: 100 })) }, { additionalProperties: false });
const ServiceConfig = Type.Object({ config: Type.Record(Type.String(), Type.Unknown()) }, { additionalProperties: false });
const JsonPatch = Type.Array(
  Type.Object(
    {
      op: Type.Union([Type.Literal('add'), Type.Literal('remove'), Type.Literal('replace'), Type.Literal('move'), Type.Literal('copy'), Type.Literal('test')]),
      path: Type.String({ maxLength: 1024 }),
      from: Type.Optional(Type.String({ maxLength: 1024 })),
      value: Type.Optional(Type.Unknown()),
    },
    { additionalProperties: false },
  ),
  { minItems: 1, maxItems: 500 },
);
const OrganizationBody = Type.Object(
  {
    label: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    domains: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { maxItems: 100 })),
    session_lifespan: Type.Optional(Type.String({ maxLength: 32, pattern: '^([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))+$' })),
    default_region: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { additionalProperties: false },
);
const ProjectParams = Type.Object({ project_id: Id });

/** A handler that does `action` and answers 204 No Content. */
const noContent =
  <R>(action: (req: R) => Promise<unknown>) =>
  async (req: R, reply: FastifyReply) => {
    await action(req);
    return reply.status(204).send();
  };

/** Records a management change made by the request's principal, from the request's client address. */
function auditOf(audit: AuditLog) {
  return (req: FastifyRequest & { principal: ManagementPrincipal }, e: Omit<AuditEventInput, 'actor' | 'clientAddress'>) => audit.record({ ...e, actor: actorOf(req.principal), clientAddress: req.ip });
}

/** The paths a JSON Patch touches: what a config change's audit record says (never the values, which may be secrets). */
const patchedPaths = (ops: { path: string; from?: string }[]) => [...new Set(ops.flatMap((o) => (o.from === undefined ? [o.path] : [o.from, o.path])))].slice(0, 100);

export function tenancyRoutes(r: Registry): RouteSpec[] {
  const { workspaces, projects, members, organizations } = r.tenancy;
  const audit = auditOf(r.audit);
  return [
    // Workspaces
    defineRoute({
      method: 'POST', url: '/workspaces', plane: 'management', credential: 'management', scope: 'workspace:write', operation: 'createWorkspace',
      schema: { body: Type.Object({ name: Name }, { additionalProperties: false }) },
      handler: async (req, reply) => reply.status(201).send(await workspaces.create(req.principal, req.body.name)),
    }),
    defineRoute({
      method: 'GET', url: '/workspaces', plane: 'management', credential: 'management', scope: 'workspace:read', operation: 'listWorkspaces',
      schema: { querystring: Type.Object(PageQuery, { additionalProperties: false }) },
      handler: async (req) => workspaces.list(req.principal, req.query.page_size, req.query.page_token),
    }),
    defineRoute({
      method: 'GET', url: '/workspaces/:workspace', plane: 'management', credential: 'management', scope: 'workspace:read', operation: 'getWorkspace',
      schema: { params: Type.Object({ workspace: Id }) },
      handler: async (req) => (isUuid(req.params.workspace) ? workspaces.get(req.principal, req.params.workspace) : Promise.reject(notFound())),
    }),
    defineRoute({
      method: 'PUT', url: '/workspaces/:workspace', plane: 'management', credential: 'management', scope: 'workspace:write', operation: 'updateWorkspace',
      schema: {
        params: Type.Object({ workspace: Id }),
        body: Type.Object({ name: Name, access_policy: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false }),
      },
      handler: async (req) => {
        if (!isUuid(req.params.workspace)) throw notFound();
        const ws = await workspaces.rename(req.principal, req.params.workspace, req.body.name);
        await audit(req, { workspaceId: ws.id, event: 'workspace.renamed', target: { type: 'workspace', id: ws.id, name: ws.name } });
        return ws;
      },
    }),
    defineRoute({
      method: 'GET', url: '/workspaces/:workspace/projects', plane: 'management', credential: 'management', scope: 'projects:read', operation: 'listWorkspaceProjects',
      schema: { params: Type.Object({ workspace: Id }), querystring: Type.Object(PageQuery) },
      handler: async (req) => projects.listOfWorkspace(req.principal, req.params.workspace),
    }),

    // Workspace members and invites (no SDK call; Gatehouse's own, in Ory's conventions)
    defineRoute({
      method: 'GET', url: '/workspaces/:workspace/members', plane: 'management', credential: 'management', scope: 'members:read',
      schema: { params: Type.Object({ workspace: Id }) },
      handler: async (req) => members.list(req.principal, req.params.workspace),
    }),
    defineRoute({
      method: 'PUT', url: '/workspaces/:workspace/members/:member', plane: 'management', credential: 'management', scope: 'members:write',
      schema: { params: Type.Object({ workspace: Id, member: Id }), body: Type.Object({ role: Role }, { additionalProperties: false }) },
      handler: async (req) => {
        const member = await members.changeRole(req.principal, req.params.workspace, req.params.member, req.body.role);
        await audit(req, { workspaceId: req.params.workspace, event: 'member.role_changed', target: { type: 'member', id: member.id, name: member.email }, details: { role: req.body.role } });
        return member;
      },
    }),
    defineRoute({
      method: 'DELETE', url: '/workspaces/:workspace/members/:member', plane: 'management', credential: 'management', scope: 'members:write',
      schema: { params: Type.Object({ workspace: Id, member: Id }) },
      handler: noContent(async (req) => {
        await members.remove(req.principal, req.params.workspace, req.params.member);
        await audit(req, { workspaceId: req.params.workspace, event: 'member.removed', target: { type: 'member', id: req.params.member } });
      }),
    }),
    defineRoute({
      method: 'GET', url: '/workspaces/:workspace/invites', plane: 'management', credential: 'management', scope: 'members:read',
      schema: { params: Type.Object({ workspace: Id }) },
      handler: async (req) => members.listInvites(req.principal, req.params.workspace),
    }),
    defineRoute({
      method: 'POST', url: '/workspaces/:workspace/invites', plane: 'management', credential: 'management', scope: 'members:write',
      schema: { params: Type.Object({ workspace: Id }), body: Type.Object({ email: Email, role: Role }, { additionalProperties: false }) },
      handler: async (req, reply) => {
        const invite = await members.invite(req.principal, req.params.workspace, req.body);
        await audit(req, { workspaceId: invite.workspace_id, event: 'member.invited', target: { type: 'invite', id: invite.id, name: invite.email }, details: { role: invite.role } });
        return reply.status(201).send(invite);
      },
    }),
    defineRoute({
      method: 'DELETE', url: '/workspaces/:workspace/invites/:invite', plane: 'management', credential: 'management', scope: 'members:write',
      schema: { params: Type.Object({ workspace: Id, invite: Id }) },
      handler: noContent(async (req) => {
        await members.revokeInvite(req.principal, req.params.workspace, req.params.invite);
        await audit(req, { workspaceId: req.params.workspace, event: 'invite.revoked', target: { type: 'invite', id: req.params.invite } });
      }),
    }),

    // Projects
    defineRoute({
      method: 'POST', url: '/projects', plane: 'management', credential: 'management', scope: 'projects:write', operation: 'createProject',
      schema: {
        body: Type.Object({ name: Name, environment: Environment, workspace_id: Type.Optional(Id), home_region: Type.Optional(HomeRegion) }, { additionalProperties: false }),
      },
      handler: async (req, reply) => {
        const project = await projects.create(req.principal, req.body);
        await audit(req, { workspaceId: project.workspace_id, projectId: project.id, event: 'project.created', target: { type: 'project', id: project.id, name: project.name }, details: { environment: project.environment } });
        return reply.status(201).send(project);
      },
    }),
    defineRoute({
      method: 'GET', url: '/projects', plane: 'management', credential: 'management', scope: 'projects:read', operation: 'listProjects',
      handler: async (req) => projects.list(req.principal),
    }),
    defineRoute({
      method: 'GET', url: '/projects/:project_id', plane: 'management', credential: 'management', scope: 'projects:read', operation: 'getProject',
      schema: { params: ProjectParams },
      handler: (req, reply) => {
        const json = projects.getJson(req.principal, req.params.project_id);
        return typeof json === 'string' ? reply.type('application/json; charset=utf-8').send(json) : json.then((j) => reply.type('application/json; charset=utf-8').send(j));
      },
    }),
    defineRoute({
      method: 'PUT', url: '/projects/:project_id', plane: 'management', credential: 'management', scope: 'projects:write', operation: 'setProject',
      schema: {
        params: ProjectParams,
        body: Type.Object(
          {
            name: Name,
            cors_admin: Cors,
            cors_public: Cors,
            // Organizations are managed through their own endpoints; the list here is accepted and ignored.
            organizations: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 1000 })),
            // The read-only fields of a project as `getProject` returns it, so a read-modify-write
            // (GET, change, PUT) works as with Ory; they are ignored.
            ...Object.fromEntries(['id', 'slug', 'state', 'workspace_id', 'revision_id', 'environment', 'home_region', 'created_at', 'updated_at'].map((k) => [k, Type.Optional(Type.Unknown())])),
            services: Type.Object(
              {
                identity: Type.Optional(ServiceConfig),
                oauth2: Type.Optional(ServiceConfig),
                permission: Type.Optional(ServiceConfig),
                account_experience: Type.Optional(Type.Unknown()),
                talos: Type.Optional(Type.Unknown()),
              },
              { additionalProperties: false },
            ),
          },
          { additionalProperties: false },
        ),
      },
      handler: async (req) => {
        const current = await projects.get(req.principal, req.params.project_id);
        const s = req.body.services;
        const res = await projects.set(req.principal, req.params.project_id, {
          name: req.body.name,
          cors_admin: req.body.cors_admin,
          cors_public: req.body.cors_public,
          services: {
            identity: s.identity ?? current.services.identity,
            oauth2: s.oauth2 ?? current.services.oauth2,
            permission: s.permission ?? current.services.permission,
          },
        });
        const p = res.project;
        const services = (['identity', 'oauth2', 'permission'] as const).filter((k) => s[k] !== undefined);
        await audit(req, { workspaceId: p.workspace_id, projectId: p.id, event: 'project.config_changed', target: { type: 'project', id: p.id, name: p.name }, details: { method: 'PUT', services, revision_id: p.revision_id } });
        return res;
      },
    }),
    defineRoute({
      method: 'PATCH', url: '/projects/:project_id', plane: 'management', credential: 'management', scope: 'projects:write', operation: 'patchProject',
      schema: { params: ProjectParams, body: JsonPatch },
      handler: async (req) => {
        const res = await projects.patch(req.principal, req.params.project_id, req.body);
        await audit(req, { workspaceId: res.project.workspace_id, projectId: res.project.id, event: 'project.config_changed', target: { type: 'project', id: res.project.id, name: res.project.name }, details: { method: 'PATCH', paths: patchedPaths(req.body), revision_id: res.project.revision_id } });
        return res;
      },
    }),
    defineRoute({
      method: 'PATCH', url: '/projects/:project_id/revision/:revision_id', plane: 'management', credential: 'management', scope: 'projects:write', operation: 'patchProjectWithRevision',
      schema: { params: Type.Object({ project_id: Id, revision_id: Id }), body: JsonPatch },
      handler: async (req) => {
        const res = await projects.patch(req.principal, req.params.project_id, req.body, req.params.revision_id);
        await audit(req, { workspaceId: res.project.workspace_id, projectId: res.project.id, event: 'project.config_changed', target: { type: 'project', id: res.project.id, name: res.project.name }, details: { method: 'PATCH', paths: patchedPaths(req.body), revision_id: res.project.revision_id } });
        return res;
      },
    }),
    defineRoute({
      method: 'DELETE', url: '/projects/:project_id', plane: 'management', credential: 'management', scope: 'projects:write', operation: 'purgeProject',
      schema: { params: ProjectParams },
      handler: noContent(async (req) => {
        const p = await projects.purge(req.principal, req.params.project_id, deleteProjectData);
        await audit(req, { workspaceId: p.workspace_id, projectId: p.id, event: 'project.deleted', target: { type: 'project', id: p.id, name: p.name } });
      }),
    }),

    // Project members are the members of its workspace.
    defineRoute({
      method: 'GET', url: '/projects/:project/members', plane: 'management', credential: 'management', scope: 'members:read', operation: 'getProjectMembers',
      schema: { params: Type.Object({ project: Id }) },
      handler: async (req) => {
        const project = await projects.authorize(req.principal, req.params.project, 'read');
        return members.list(req.principal, project.workspace_id);
      },
    }),
    defineRoute({
      method: 'DELETE', url: '/projects/:project/members/:member', plane: 'management', credential: 'management', scope: 'members:write', operation: 'removeProjectMember',
      schema: { params: Type.Object({ project: Id, member: Id }) },
      handler: noContent(async (req) => {
        const project = await projects.authorize(req.principal, req.params.project, 'read');
        await members.remove(req.principal, project.workspace_id, req.params.member);
        await audit(req, { workspaceId: project.workspace_id, event: 'member.removed', target: { type: 'member', id: req.params.member } });
      }),
    }),

    // B2B SSO organizations
    defineRoute({
      method: 'GET', url: '/projects/:project_id/organizations', plane: 'management', credential: 'management', scope: 'organizations:read', operation: 'listOrganizations',
      schema: { params: ProjectParams, querystring: Type.Object({ ...PageQuery, domain: Type.Optional(Type.String({ maxLength: 253 })) }, { additionalProperties: false }) },
      handler: async (req) => organizations.list(req.principal, req.params.project_id, req.query),
    }),
    defineRoute({
      method: 'POST', url: '/projects/:project_id/organizations', plane: 'management', credential: 'management', scope: 'organizations:write', operation: 'createOrganization',
      schema: { params: ProjectParams, body: OrganizationBody },
      handler: async (req, reply) => reply.status(201).send(await organizations.create(req.principal, req.params.project_id, req.body)),
    }),
    defineRoute({
      method: 'GET', url: '/projects/:project_id/organizations/:organization_id', plane: 'management', credential: 'management', scope: 'organizations:read', operation: 'getOrganization',
      schema: { params: Type.Object({ project_id: Id, organization_id: Id }) },
      handler: async (req) => organizations.get(req.principal, req.params.project_id, req.params.organization_id),
    }),
    defineRoute({
      method: 'PUT', url: '/projects/:project_id/organizations/:organization_id', plane: 'management', credential: 'management', scope: 'organizations:write', operation: 'updateOrganization',
      schema: { params: Type.Object({ project_id: Id, organization_id: Id }), body: OrganizationBody },
      handler: async (req) => organizations.update(req.principal, req.params.project_id, req.params.organization_id, req.body),
    }),
    defineRoute({
      method: 'DELETE', url: '/projects/:project_id/organizations/:organization_id', plane: 'management', credential: 'management', scope: 'organizations:write', operation: 'deleteOrganization',
      schema: { params: Type.Object({ project_id: Id, organization_id: Id }) },
      handler: noContent((req) => organizations.delete(req.principal, req.params.project_id, req.params.organization_id)),
    }),
  ];
}
