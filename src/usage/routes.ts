import { Type } from '@sinclair/typebox';
import type { Registry } from '../registry.js';
import { defineRoute, type RouteSpec } from '../platform/http/route-table.js';
import { DateTime, Id } from '../platform/http/schemas.js';
import { badRequest, notFound } from '../platform/errors/errors.js';
import { isUuid } from '../platform/ids.js';
import { requireWorkspace } from '../tenancy/access.js';
import { PROJECT_METRICS } from './usage-counters.js';

const DAY_MS = 24 * 3_600_000;
const MAX_SPAN_MS = 31 * DAY_MS;

const Window = {
  from: Type.Optional(DateTime),
  to: Type.Optional(DateTime),
};
const MetricsQuery = Type.Object(
  {
    metric: Type.Optional(Type.Union(PROJECT_METRICS.map((m) => Type.Literal(m)), { description: 'The metric; api_requests when not given.' })),
    ...Window,
    resolution: Type.Optional(Type.Union([Type.Literal('1h'), Type.Literal('1d')])),
    key_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false },
);
const WindowQuery = Type.Object(Window, { additionalProperties: false });
const Points = Type.Object({ data: Type.Array(Type.Object({ time: Type.String(), count: Type.Number() })) }, { description: "Ory's GetProjectMetrics: one point per bucket, oldest first." });
const KeyTotals = Type.Object({ keys: Type.Array(Type.Object({ key_id: Type.String(), requests: Type.Number(), refusals: Type.Number() })) });

/** The window a query names: the last 24 hours by default, at most 31 days, or a 400 naming the problem. */
function windowOf(q: { from?: string; to?: string }): { fromMs: number; toMs: number } {
  const toMs = q.to === undefined ? Date.now() : Date.parse(q.to);
  const fromMs = q.from === undefined ? toMs - DAY_MS : Date.parse(q.from);
  if (Number.isNaN(toMs)) throw badRequest('to must be an RFC 3339 date-time.');
  if (Number.isNaN(fromMs)) throw badRequest('from must be an RFC 3339 date-time.');
  if (fromMs >= toMs) throw badRequest('from must be before to.');
  if (toMs - fromMs > MAX_SPAN_MS) throw badRequest('The window may span at most 31 days.');
  return { fromMs, toMs };
}

/**
 * Usage of a project and of a workspace's keys, for the console's overview charts and its "keys in
 * use" table: readable by every member and by workspace keys.
 */
export function usageRoutes(r: Registry): RouteSpec[] {
  const { projects } = r.tenancy;
  return [
    defineRoute({
      method: 'GET', url: '/projects/:project_id/metrics', plane: 'management', credential: 'management', scope: 'projects:read', operation: 'getProjectMetrics',
      schema: { params: Type.Object({ project_id: Id }), querystring: MetricsQuery, response: { 200: Points } },
      handler: async (req) => {
        const project = await projects.authorize(req.principal, req.params.project_id, 'read');
        const q = req.query;
        const metric = q.metric ?? 'api_requests';
        if (q.key_id !== undefined && !metric.startsWith('key_')) throw badRequest('key_id narrows the key_requests and key_refusals metrics only.');
        const w = windowOf(q);
        const resolution = q.resolution ?? (w.toMs - w.fromMs <= 2 * DAY_MS ? '1h' : '1d');
        return { data: await r.usage.series({ workspaceId: project.workspace_id, projectId: project.id }, metric, { ...w, resolution, subject: q.key_id }) };
      },
    }),
    defineRoute({
      method: 'GET', url: '/projects/:project_id/metrics/keys', plane: 'management', credential: 'management', scope: 'api_keys:read', operation: 'getProjectKeyUsage',
      schema: { params: Type.Object({ project_id: Id }), querystring: WindowQuery, response: { 200: KeyTotals } },
      handler: async (req) => {
        const project = await projects.authorize(req.principal, req.params.project_id, 'read');
        return { keys: await r.usage.keyTotals({ workspaceId: project.workspace_id, projectId: project.id }, windowOf(req.query)) };
      },
    }),
    defineRoute({
      method: 'GET', url: '/workspaces/:workspace/metrics/keys', plane: 'management', credential: 'management', scope: 'api_keys:read', operation: 'getWorkspaceKeyUsage',
      schema: { params: Type.Object({ workspace: Id }), querystring: WindowQuery, response: { 200: KeyTotals } },
      handler: async (req) => {
        const workspaceId = req.params.workspace;
        if (!isUuid(workspaceId)) throw notFound();
        await requireWorkspace(r.db, req.principal, workspaceId, 'read');
        return { keys: await r.usage.keyTotals({ workspaceId, projectId: '' }, windowOf(req.query)) };
      },
    }),
  ];
}
