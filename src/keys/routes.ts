import { Type, type Static, type TObject } from '@sinclair/typebox';
import type { Registry } from '../registry.js';
import { defineRoute, type RouteSpec } from '../platform/http/route-table.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, notFound, tooManyRequests } from '../platform/errors/errors.js';
import { isUuid } from '../platform/ids.js';
import { DateTime, Id, Name } from '../platform/http/schemas.js';
import { requireWorkspace } from '../tenancy/access.js';
import type { Principal } from '../platform/auth/principal.js';
import type { KeyScope } from './key-store.js';
import type { KeyPolicy, KeyService } from './key-service.js';
import type { KeyKind } from './format.js';
import { MAX_SCOPES, parseScopes } from './scopes.js';
import { MAX_CIDRS, parseAddressRanges } from '../platform/net/cidr.js';
import { parseGoDuration } from '../platform/duration.js';
import { actorOf, type AuditLog } from '../audit/audit-log.js';

const RateLimitBody = Type.Object(
  { requests: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }), per: Type.String({ minLength: 1, maxLength: 32 }) },
  { additionalProperties: false },
);
const CreateKeyBody = Type.Object(
  {
    name: Name,
    expires_at: Type.Optional(DateTime),
    scopes: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: MAX_SCOPES })),
    allowed_cidrs: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: MAX_CIDRS })),
    rate_limit: Type.Optional(RateLimitBody),
  },
  { additionalProperties: false },
);
const RotateKeyBody = Type.Object({ grace_period: Type.Optional(Type.String({ maxLength: 32 })) }, { additionalProperties: false });

/** Rate-limit windows from a second to a day; grace periods from none to 30 days. */
const MIN_WINDOW_MS = 1000;
const MAX_WINDOW_MS = 24 * 3_600_000;
const MAX_GRACE_MS = 30 * 24 * 3_600_000;

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
  scopes: Type.Optional(Type.Array(Type.String())),
  allowed_cidrs: Type.Optional(Type.Array(Type.String())),
  rate_limit: Type.Optional(Type.Object({ requests: Type.Integer(), per: Type.String() })),
  replaced_by: Type.Optional(Type.String()),
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

/** The policy of a new key of `kind` from its create body; a 400 naming the first bad field. */
function policyOf(kind: KeyKind, body: Static<typeof CreateKeyBody>): KeyPolicy {
  const policy: KeyPolicy = {};
  if (body.scopes !== undefined) {
    const scopes = parseScopes(kind, body.scopes);
    if (typeof scopes === 'string') throw badRequest(`scopes: ${scopes}.`);
    policy.scopes = scopes;
  }
  if (body.allowed_cidrs !== undefined) {
    const ranges = parseAddressRanges(body.allowed_cidrs);
    if (typeof ranges === 'string') throw badRequest(`allowed_cidrs: ${ranges}.`);
    policy.allowedCidrs = [...ranges.cidrs];
  }
  if (body.rate_limit !== undefined) {
    const ms = parseGoDuration(body.rate_limit.per);
    if (ms === null || ms < MIN_WINDOW_MS || ms > MAX_WINDOW_MS) throw badRequest('rate_limit.per must be a duration from 1s to 24h, such as "1m" or "1h".');
    policy.rateLimit = { requests: body.rate_limit.requests, per: body.rate_limit.per };
  }
  return policy;
}

function gracePeriodOf(text: string | undefined): number {
  if (text === undefined) return 0;
  const ms = parseGoDuration(text);
  if (ms === null || ms > MAX_GRACE_MS) throw badRequest('grace_period must be a duration from 0 to 720h (30 days), such as "24h".');
  return ms;
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
      method: 'GET', url, ...m, scope: 'api_keys:read', operation: `list${Kind}ApiKeys`,
      schema: { params, response: { 200: Type.Array(o.Key) } },
      handler: async (req) => keys.list(await o.scope(req.principal, ownerIdOf(req), 'read')),
    }),
    defineRoute({
      method: 'POST', url, ...m, scope: 'api_keys:write', operation: `create${Kind}ApiKey`,
      schema: { params, body: CreateKeyBody, response: { 201: Type.Object({ ...o.Key.properties, value: Type.String() }) } },
      handler: async (req, reply) => {
        const scope = await o.scope(req.principal, ownerIdOf(req), 'change');
        const policy = policyOf(o.kind, req.body);
        const key = await keys.issue(scope, { name: req.body.name.trim(), ownerId: ownerOf(req.principal), expiresAt: checkExpiry(req.body.expires_at), ...policy });
        await audit.record({ workspaceId: scope.workspaceId, projectId: scope.kind === 'project' ? scope.projectId : null, event: 'api_key.created', actor: actorOf(req.principal), clientAddress: req.ip, target: { type: 'api_key', id: key.id, name: key.name }, details: { kind: scope.kind, last_characters: key.last_characters, ...(key.expires_at ? { expires_at: key.expires_at } : {}) } });
        return reply.status(201).send(key);
      },
    }),
    defineRoute({
      method: 'POST', url: `${url}/:token_id/rotate`, ...m, scope: 'api_keys:write',
      schema: { params: Type.Object({ [o.kind]: Id, token_id: Id }), body: Type.Optional(RotateKeyBody), response: { 201: Type.Object({ ...o.Key.properties, value: Type.String() }) } },
      handler: async (req, reply) => {
        const graceMs = gracePeriodOf(req.body?.grace_period);
        const scope = await o.scope(req.principal, ownerIdOf(req), 'change');
        const rotated = isUuid(req.params.token_id) ? await keys.rotate(scope, req.params.token_id, { ownerId: ownerOf(req.principal), graceMs }) : undefined;
        if (!rotated) throw notFound();
        await audit.record({ workspaceId: scope.workspaceId, projectId: scope.kind === 'project' ? scope.projectId : null, event: 'api_key.rotated', actor: actorOf(req.principal), clientAddress: req.ip, target: { type: 'api_key', id: rotated.previous.id, name: rotated.previous.name }, details: { kind: scope.kind, replaced_by: rotated.key.id, ...(rotated.previous.expires_at ? { old_key_ends_at: rotated.previous.expires_at } : { old_key_ends_at: 'now' }) } });
        return reply.status(201).send(rotated.key);
      },
    }),
    defineRoute({
      method: 'DELETE', url: `${url}/:token_id`, ...m, scope: 'api_keys:write', operation: `delete${Kind}ApiKey`,
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

/** Reports of leaked keys from one client address: enough for a scanner's batches, too few to probe with. */
export const LEAK_REPORTS_PER_MINUTE = 60;
const MAX_LEAKED_KEYS = 1000;
const LeakReportBody = Type.Object({ keys: Type.Array(Type.String({ maxLength: 512 }), { minItems: 1, maxItems: MAX_LEAKED_KEYS }) }, { additionalProperties: false });

/**
 * `POST /api-keys/revoke`, on the console host and every project host: anyone who finds a Gatehouse
 * key in public (a secret scanner, GitHub's partner programme) can revoke it. The answer is always
 * 202 with no body, so it tells nothing about which keys exist; per client address it is rate-limited.
 */
function leakReportRoutes(r: Pick<Registry, 'keys' | 'quotas' | 'audit'>): RouteSpec[] {
  const handler = async (req: FastifyRequest<{ Body: Static<typeof LeakReportBody> }>, reply: FastifyReply) => {
    const quota = await r.quotas.take(`leak-report:${req.ip}`, { limit: LEAK_REPORTS_PER_MINUTE, windowMs: 60_000 });
    if (!quota.allowed) throw tooManyRequests((quota.resetAtMs - Date.now()) / 1000);
    const leaked = await r.keys.revokeLeaked(req.body.keys);
    for (const key of leaked) {
      await r.audit.record({ workspaceId: key.workspaceId, projectId: key.projectId, event: 'api_key.revoked_by_leak', actor: { kind: 'anonymous' }, clientAddress: req.ip, target: { type: 'api_key', id: key.id, name: key.name }, details: { kind: key.kind } });
    }
    return reply.status(202).send();
  };
  const spec = { method: 'POST', url: '/api-keys/revoke', credential: 'none', schema: { body: LeakReportBody }, bodyLimit: 1024 * 1024, handler } as const;
  return [defineRoute({ ...spec, plane: 'management' }), defineRoute({ ...spec, plane: 'project' })];
}

export function keyRoutes(r: Registry): RouteSpec[] {
  const { db, keys, tenancy, audit } = r;
  return [
    ...leakReportRoutes(r),
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
