import { Type } from '@sinclair/typebox';
import type { Registry } from '../registry.js';
import { defineRoute, type RouteSpec } from '../platform/http/route-table.js';
import { DateTime, Id } from '../platform/http/schemas.js';
import { PageQuery, pageParams, setPageLinks } from '../platform/http/pagination.js';
import { badRequest, notFound } from '../platform/errors/errors.js';
import { isUuid } from '../platform/ids.js';
import { requireWorkspace } from '../tenancy/access.js';

const DEFAULT_AUDIT_PAGE_SIZE = 100;
const EVENT_TYPE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const AuditEvent = Type.Object(
  {
    id: Type.String(),
    workspace_id: Type.String(),
    project_id: Nullable(Type.String()),
    occurred_at: Type.String({ format: 'date-time', description: 'When it happened (RFC 3339, UTC).' }),
    event: Type.String({ description: 'What happened, such as project.created or api_key.revoked.' }),
    actor: Type.Object({
      kind: Type.Union([Type.Literal('user'), Type.Literal('api_key'), Type.Literal('anonymous')]),
      id: Nullable(Type.String()),
      name: Nullable(Type.String({ description: "A console user's email or a key's name." })),
    }),
    client_address: Nullable(Type.String()),
    target: Type.Object({ type: Type.String(), id: Type.String(), name: Nullable(Type.String()) }),
    outcome: Type.Union([Type.Literal('success'), Type.Literal('refused')]),
    details: Type.Record(Type.String(), Type.Unknown()),
  },
  { description: 'One entry of the audit log. Never contains a secret.' },
);

const AuditQuery = Type.Object(
  {
    ...PageQuery,
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Only events of this actor (a user or key id).' })),
    target: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Only events about this target id.' })),
    event: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'Only these event types, comma-separated.' })),
    since: Type.Optional(DateTime),
    until: Type.Optional(DateTime),
  },
  { additionalProperties: false },
);

/** An RFC 3339 bound as stored (ISO-8601 UTC with milliseconds), or a 400 naming the parameter. */
function bound(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw badRequest(`${name} must be an RFC 3339 date-time.`);
  return new Date(ms).toISOString();
}

function eventTypes(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const types = value.split(',').map((t) => t.trim()).filter((t) => t !== '');
  const bad = types.find((t) => !EVENT_TYPE.test(t) || t.length > 64);
  if (bad !== undefined || types.length === 0 || types.length > 50) throw badRequest(`event must be a comma-separated list of event types such as project.created${bad ? `; "${bad.slice(0, 64)}" is not one` : ''}.`);
  return types;
}

/** `GET /workspaces/{workspace}/audit-events`: the workspace's audit log, for its owners and its keys. */
export function auditRoutes(r: Registry): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET', url: '/workspaces/:workspace/audit-events', plane: 'management', credential: 'management', scope: 'workspace:read', operation: 'listWorkspaceAuditEvents',
      schema: { params: Type.Object({ workspace: Id }), querystring: AuditQuery, response: { 200: Type.Array(AuditEvent) } },
      handler: async (req, reply) => {
        const workspaceId = req.params.workspace;
        if (!isUuid(workspaceId)) throw notFound();
        // Owners only (a workspace key acts as an owner): the log names every member and key.
        await requireWorkspace(r.db, req.principal, workspaceId, 'admin');
        const q = req.query;
        const since = bound('since', q.since);
        const until = bound('until', q.until);
        if (since && until && since > until) throw badRequest('since must not be after until.');
        const { size, after } = pageParams(q, DEFAULT_AUDIT_PAGE_SIZE);
        if (after !== undefined && !isUuid(after)) throw badRequest('The page_token is not valid.');
        const page = await r.audit.list(workspaceId, { actorId: q.actor, targetId: q.target, events: eventTypes(q.event), since, until }, size, after);
        setPageLinks(req, reply, size, page.events, page.hasMore);
        return page.events;
      },
    }),
  ];
}
