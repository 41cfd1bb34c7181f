import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { Registry } from '../registry.js';
import { defineRoute, type RouteSpec } from '../platform/http/route-table.js';
import { badRequest } from '../platform/errors/errors.js';
import { PageQuery } from '../platform/http/pagination.js';
import { PermissionService, type PermissionScope } from './permission-service.js';
import { MAX_BATCH_CHECK_SIZE } from './config.js';
import { MAX_OPL_LENGTH, parseOpl } from './opl.js';
import { queryFromUrl, toJson, tupleFromJson, tupleFromUrl, type Tuple, type UrlTupleQuery } from './tuples.js';

// Ory Keto's HTTP API as @ory/client 1.22 models it (RelationshipApi, PermissionApi). Every route is
// on the project plane and needs that project's API key, reads and checks included.

const Str = Type.String({ maxLength: 1024 });
const SubjectSetBody = Type.Object({ namespace: Str, object: Str, relation: Str }, { additionalProperties: false });
/** Keto's Relationship / CreateRelationshipBody / PostCheckPermissionBody: every field checked in code. */
const RelationshipBody = Type.Object(
  {
    namespace: Type.Optional(Str),
    object: Type.Optional(Str),
    relation: Type.Optional(Str),
    subject_id: Type.Optional(Str),
    subject_set: Type.Optional(SubjectSetBody),
  },
  { additionalProperties: false },
);
const Relationship = Type.Object({
  namespace: Type.String(),
  object: Type.String(),
  relation: Type.String(),
  subject_id: Type.Optional(Type.String()),
  subject_set: Type.Optional(Type.Object({ namespace: Type.String(), object: Type.String(), relation: Type.String() })),
});
const TupleQueryString = {
  namespace: Type.Optional(Str),
  object: Type.Optional(Str),
  relation: Type.Optional(Str),
  subject_id: Type.Optional(Str),
  'subject_set.namespace': Type.Optional(Str),
  'subject_set.object': Type.Optional(Str),
  'subject_set.relation': Type.Optional(Str),
};
/** Keto clamps max-depth to the configured limit; values outside 32-bit integers are refused. */
const MaxDepth = { 'max-depth': Type.Optional(Type.Integer({ minimum: -2147483648, maximum: 2147483647 })) };
const CheckResult = Type.Object({ allowed: Type.Boolean() });
/** The largest PATCH batch: bigger batches are a 400 (one transaction must stay short). */
export const MAX_PATCH_SIZE = 1000;

export function permissionRoutes(r: Registry): RouteSpec[] {
  const permissions = new PermissionService(r.db);
  const scope = (project: PermissionScope | undefined): PermissionScope => project!;

  async function check(project: PermissionScope | undefined, t: Tuple, maxDepth: number | undefined, reply: FastifyReply, mirror: boolean) {
    const allowed = await permissions.check(scope(project), t, maxDepth);
    return reply.status(mirror && !allowed ? 403 : 200).send({ allowed });
  }

  return [
    defineRoute({
      method: 'PUT', url: '/admin/relation-tuples', plane: 'project', credential: 'project', scope: 'relationships:write', operation: 'createRelationship',
      schema: { body: RelationshipBody, response: { 201: Relationship } },
      handler: async (req, reply) => {
        const t = tupleFromJson(req.body, 'relationship');
        await permissions.create(scope(req.project), t);
        return reply.status(201).send(toJson(t));
      },
    }),
    defineRoute({
      method: 'PATCH', url: '/admin/relation-tuples', plane: 'project', credential: 'project', scope: 'relationships:write', operation: 'patchRelationships',
      schema: {
        body: Type.Array(
          Type.Object({ action: Type.Optional(Type.String({ maxLength: 32 })), relation_tuple: Type.Optional(Type.Unknown()) }, { additionalProperties: false }),
          { maxItems: MAX_PATCH_SIZE },
        ),
      },
      bodyLimit: 2 * 1024 * 1024,
      handler: async (req, reply) => {
        const inserts: Tuple[] = [];
        const deletes: Tuple[] = [];
        for (const [i, d] of req.body.entries()) {
          if (d.relation_tuple === undefined || d.relation_tuple === null) throw badRequest(`Patch ${i}: relation_tuple is missing.`);
          if (d.action !== 'insert' && d.action !== 'delete') throw badRequest(`Patch ${i}: unknown action ${JSON.stringify(d.action ?? '')}; use "insert" or "delete".`);
          (d.action === 'insert' ? inserts : deletes).push(tupleFromJson(d.relation_tuple, `relation_tuple of patch ${i}`));
        }
        await permissions.transact(scope(req.project), inserts, deletes);
        return reply.status(204).send();
      },
    }),
    defineRoute({
      method: 'DELETE', url: '/admin/relation-tuples', plane: 'project', credential: 'project', scope: 'relationships:write', operation: 'deleteRelationships',
      schema: { querystring: Type.Object(TupleQueryString) },
      handler: async (req, reply) => {
        await permissions.deleteMatching(scope(req.project), queryFromUrl(req.query as UrlTupleQuery));
        return reply.status(204).send();
      },
    }),
    defineRoute({
      method: 'GET', url: '/relation-tuples', plane: 'project', credential: 'project', scope: 'relationships:read', operation: 'getRelationships',
      schema: {
        querystring: Type.Object({ ...TupleQueryString, ...PageQuery }),
        response: { 200: Type.Object({ relation_tuples: Type.Array(Relationship), next_page_token: Type.String() }) },
      },
      handler: async (req) => {
        const { page_size, page_token } = req.query;
        const { tuples, nextPageToken } = await permissions.list(scope(req.project), queryFromUrl(req.query as UrlTupleQuery), page_size, page_token);
        return { relation_tuples: tuples.map(toJson), next_page_token: nextPageToken };
      },
    }),
    defineRoute({
      method: 'GET', url: '/namespaces', plane: 'project', credential: 'project', scope: 'relationships:read', operation: 'listRelationshipNamespaces',
      schema: { response: { 200: Type.Object({ namespaces: Type.Array(Type.Object({ name: Type.String() })) }) } },
      handler: async (req) => ({ namespaces: permissions.namespaces(scope(req.project)) }),
    }),
    defineRoute({
      method: 'POST', url: '/opl/syntax/check', plane: 'project', credential: 'project', scope: 'relationships:read', operation: 'checkOplSyntax',
      bodyLimit: MAX_OPL_LENGTH * 4 + 1024,
      handler: async (req) => {
        if (typeof req.body !== 'string') throw badRequest('Send the OPL source as the text/plain body.');
        return { errors: parseOpl(req.body).errors };
      },
    }),
    defineRoute({
      method: 'GET', url: '/relation-tuples/check', plane: 'project', credential: 'project', scope: 'relationships:read', operation: 'checkPermissionOrError',
      schema: { querystring: Type.Object({ ...TupleQueryString, ...MaxDepth }), response: { 200: CheckResult, 403: CheckResult } },
      handler: async (req, reply) => check(req.project, tupleFromUrl(req.query as UrlTupleQuery), req.query['max-depth'], reply, true),
    }),
    defineRoute({
      method: 'GET', url: '/relation-tuples/check/openapi', plane: 'project', credential: 'project', scope: 'relationships:read', operation: 'checkPermission',
      schema: { querystring: Type.Object({ ...TupleQueryString, ...MaxDepth }), response: { 200: CheckResult } },
      handler: async (req, reply) => check(req.project, tupleFromUrl(req.query as UrlTupleQuery), req.query['max-depth'], reply, false),
    }),
    defineRoute({
      method: 'POST', url: '/relation-tuples/check', plane: 'project', credential: 'project', scope: 'relationships:read', operation: 'postCheckPermissionOrError',
      schema: { querystring: Type.Object(MaxDepth), body: RelationshipBody, response: { 200: CheckResult, 403: CheckResult } },
      handler: async (req, reply) => check(req.project, tupleFromJson(req.body), req.query['max-depth'], reply, true),
    }),
    defineRoute({
      method: 'POST', url: '/relation-tuples/check/openapi', plane: 'project', credential: 'project', scope: 'relationships:read', operation: 'postCheckPermission',
      schema: { querystring: Type.Object(MaxDepth), body: RelationshipBody, response: { 200: CheckResult } },
      handler: async (req, reply) => check(req.project, tupleFromJson(req.body), req.query['max-depth'], reply, false),
    }),
    defineRoute({
      method: 'POST', url: '/relation-tuples/batch/check', plane: 'project', credential: 'project', scope: 'relationships:read', operation: 'batchCheckPermission',
      schema: {
        querystring: Type.Object(MaxDepth),
        body: Type.Object({ tuples: Type.Optional(Type.Array(Type.Unknown(), { maxItems: MAX_BATCH_CHECK_SIZE })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ results: Type.Array(Type.Object({ allowed: Type.Boolean(), error: Type.Optional(Type.String()) })) }) },
      },
      handler: async (req) => {
        const project = scope(req.project);
        const items = req.body.tuples ?? [];
        const max = permissions.maxBatchCheckSize(project);
        if (items.length > max) throw badRequest(`batch exceeds max size of ${max}`);
        const results: { allowed: boolean; error?: string }[] = [];
        for (const item of items) {
          try {
            results.push({ allowed: await permissions.check(project, tupleFromJson(item), req.query['max-depth']) });
          } catch (err) {
            const reason = (err as { reason?: string }).reason;
            if (reason === undefined) throw err;
            results.push({ allowed: false, error: reason });
          }
        }
        return { results };
      },
    }),
    defineRoute({
      method: 'GET', url: '/relation-tuples/expand', plane: 'project', credential: 'project', scope: 'relationships:read', operation: 'expandPermissions',
      schema: { querystring: Type.Object({ namespace: Type.Optional(Str), object: Type.Optional(Str), relation: Type.Optional(Str), ...MaxDepth }) },
      handler: async (req) => {
        const q = queryFromUrl({ namespace: req.query.namespace, object: req.query.object, relation: req.query.relation });
        if (q.namespace === undefined || q.object === undefined || q.relation === undefined) throw badRequest('namespace, object and relation are required.');
        return permissions.expand(scope(req.project), { namespace: q.namespace, object: q.object, relation: q.relation }, req.query['max-depth']);
      },
    }),
  ];
}
