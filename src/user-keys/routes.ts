import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Registry } from '../registry.js';
import { defineRoute, type RouteSpec } from '../platform/http/route-table.js';
import { badRequest, tooManyRequests } from '../platform/errors/errors.js';
import { PageQuery, pageParams, encodePageToken } from '../platform/http/pagination.js';
import { isUuid } from '../platform/ids.js';
import { notFound } from '../platform/errors/errors.js';
import { REVOCATION_REASON, TOKEN_ALGORITHM, VISIBILITY } from './model.js';
import { isJwt } from './derived.js';
import { MACAROON_PREFIX } from './macaroon.js';
import type { CacheMode, VerifyResponse } from './user-key-service.js';
import type { UserKeyKind } from './tables.js';

// Ory's ApiKeysApi (@ory/client 1.22, /v2alpha1/...) on the project plane. Custom-method paths
// (`/issuedApiKeys/{key_id}:rotate`) are written with a regex key_id and an escaped colon: Fastify
// reads `::` as a literal `:`, and the regex keeps `:rotate` out of the id.

const literals = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));
const Visibility = literals(VISIBILITY);
const Reason = literals(REVOCATION_REASON);
const Str = (max = 256) => Type.String({ maxLength: max });
const Scopes = Type.Array(Type.String({ maxLength: 128 }), { maxItems: 100 });
const Metadata = Type.Object({}, { additionalProperties: true });
const Policy = Type.Object({ quota: Type.Optional(Type.Union([Type.String({ maxLength: 16 }), Type.Integer()])), window: Type.Optional(Str(64)), unit: Type.Optional(Str(64)) }, { additionalProperties: false });
const IpRestriction = Type.Object({ allowed_cidrs: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 1000 })) }, { additionalProperties: false });

const keyFields = {
  name: Type.Optional(Str()),
  actor_id: Type.Optional(Str()),
  scopes: Type.Optional(Scopes),
  metadata: Type.Optional(Metadata),
  rate_limit_policy: Type.Optional(Policy),
  ip_restriction: Type.Optional(IpRestriction),
  visibility: Type.Optional(Visibility),
};
const IssueBody = Type.Object({ ...keyFields, ttl: Type.Optional(Str(64)), request_id: Type.Optional(Str(128)) }, { additionalProperties: false });
const ImportBody = Type.Object({ ...keyFields, ttl: Type.Optional(Str(64)), request_id: Type.Optional(Str(128)), raw_key: Type.Optional(Type.String({ maxLength: 4096 })) }, { additionalProperties: false });
const BatchImportBody = Type.Object({ requests: Type.Array(ImportBody, { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false });
/** The resource itself (AIP-134), as the SDK sends it; output-only fields are accepted and ignored. */
const resourceFields = {
  ...keyFields,
  key_id: Type.Optional(Str()),
  create_time: Type.Optional(Str(64)),
  update_time: Type.Optional(Str(64)),
  expire_time: Type.Optional(Str(64)),
  last_used_time: Type.Optional(Str(64)),
  status: Type.Optional(Str(64)),
  revocation_reason: Type.Optional(Str(64)),
  revocation_description: Type.Optional(Str(1024)),
};
const Resource = Type.Object(resourceFields, { additionalProperties: false });
const UpdateBody = (wrapper: string) => Type.Object({ ...resourceFields, [wrapper]: Type.Optional(Resource) }, { additionalProperties: false });
const RevokeBody = Type.Object({ reason: Type.Optional(Reason), description: Type.Optional(Str(1024)) }, { additionalProperties: false });
const RotateBody = Type.Object(keyFields, { additionalProperties: false });
const VerifyBody = Type.Object({ credential: Type.Optional(Type.String({ maxLength: 16_384 })) }, { additionalProperties: false });
const BatchVerifyBody = Type.Object({ requests: Type.Array(VerifyBody, { minItems: 1, maxItems: 100 }) }, { additionalProperties: false });
const DeriveBody = Type.Object({
  credential: Type.Optional(Type.String({ maxLength: 4096 })),
  algorithm: Type.Optional(literals(TOKEN_ALGORITHM)),
  scopes: Type.Optional(Scopes),
  ttl: Type.Optional(Str(64)),
  custom_claims: Type.Optional(Metadata),
}, { additionalProperties: false });
const SelfRevokeBody = Type.Object({ credential: Type.String({ minLength: 1, maxLength: 4096 }), reason: Type.Optional(Reason) }, { additionalProperties: false });
const KeyParams = Type.Object({ key_id: Type.String({ maxLength: 128 }) });
const ListQuery = Type.Object({ ...PageQuery, filter: Type.Optional(Type.String({ maxLength: 1024 })) });
const UpdateQuery = Type.Object({ update_mask: Type.Optional(Type.String({ maxLength: 1024 })) });

/** Cache-Control: no-cache / no-store and Pragma: no-cache, as the SDK documents for verification. */
function cacheMode(req: FastifyRequest): CacheMode {
  const cc = String(req.headers['cache-control'] ?? '').toLowerCase();
  if (cc.includes('no-store')) return 'no-store';
  if (cc.includes('no-cache') || String(req.headers.pragma ?? '').toLowerCase().includes('no-cache')) return 'no-cache';
  return 'default';
}

/**
 * The end user's address for IP restrictions: the verifier passes it as the leftmost
 * `X-Forwarded-For` entry (its own client's address); without one, the verifier's own address.
 */
function clientAddress(req: FastifyRequest): string {
  const xff = req.headers['x-forwarded-for'];
  const first = (Array.isArray(xff) ? xff[0] : xff)?.split(',')[0]?.trim();
  return first || req.ip;
}

const read = { plane: 'project', credential: 'project', scope: 'api_keys:read' } as const;
const write = { plane: 'project', credential: 'project', scope: 'api_keys:write' } as const;
const BASE = '/v2alpha1/admin';
const ID = ':key_id(^[^:/]+)';

/** A key id from a path: anything but a UUID is a key that does not exist. */
function keyId(params: { key_id: string }): string {
  if (!isUuid(params.key_id)) throw notFound();
  return params.key_id;
}

export function userKeyRoutes(r: Registry): RouteSpec[] {
  const { userKeys: keys, derivedTokens: derived } = r;
  /** Verifies a key or derived token; the answer counts toward the key's use (or refusals) when it names one. */
  const verifyOne = async (project: { id: string; slug: string; workspaceId: string }, credential: unknown, o: { address: string; cache: CacheMode }): Promise<VerifyResponse> => {
    const derivedToken = typeof credential === 'string' && (isJwt(credential) || credential.startsWith(MACAROON_PREFIX));
    const answer = await (derivedToken ? derived.verify(project, credential, o) : keys.verify(project.id, credential, o));
    if (answer.key_id) r.usage.count(project.workspaceId, project.id, answer.is_valid ? 'key_requests' : 'key_refusals', answer.key_id);
    return answer;
  };

  const kindRoutes = (kind: UserKeyKind): RouteSpec[] => {
    const path = `${BASE}/${kind === 'issued' ? 'issuedApiKeys' : 'importedApiKeys'}`;
    const Kind = kind === 'issued' ? 'Issued' : 'Imported';
    const listField = kind === 'issued' ? 'issued_api_keys' : 'imported_api_keys';
    const wrapper = kind === 'issued' ? 'issued_api_key' : 'imported_api_key';
    return [
      defineRoute({
        method: 'GET', url: `${path}/:key_id`, ...read, operation: `adminGet${Kind}ApiKey`,
        schema: { params: KeyParams },
        handler: async (req) => keys.get(req.project.id, kind, keyId(req.params)),
      }),
      defineRoute({
        method: 'GET', url: path, ...read, operation: `adminList${Kind}ApiKeys`,
        schema: { querystring: ListQuery },
        handler: async (req) => {
          const { size, after } = pageParams(req.query, 50);
          const page = await keys.list(req.project.id, kind, { size, after, filter: req.query.filter });
          return { [listField]: page.keys, ...(page.nextAfter ? { next_page_token: encodePageToken(page.nextAfter) } : {}) };
        },
      }),
      defineRoute({
        method: 'PATCH', url: `${path}/:key_id`, ...write, operation: `adminUpdate${Kind}ApiKey`,
        schema: { params: KeyParams, querystring: UpdateQuery, body: UpdateBody(wrapper) as TSchema },
        handler: async (req) => {
          const body = (req.body ?? {}) as Record<string, unknown>;
          const resource = (body[wrapper] as Record<string, unknown> | undefined) ?? body;
          return keys.update(req.project.id, kind, keyId(req.params), resource, req.query.update_mask);
        },
      }),
      defineRoute({
        method: 'POST', url: `${path}/${ID}::revoke`, ...write, operation: `adminRevoke${Kind}ApiKey`,
        schema: { params: KeyParams, body: RevokeBody },
        handler: async (req) => {
          await keys.revoke(req.project.id, kind, keyId(req.params), req.body?.reason, req.body?.description);
          return {};
        },
      }),
    ];
  };

  return [
    defineRoute({
      method: 'POST', url: `${BASE}/issuedApiKeys`, ...write, operation: 'adminIssueApiKey',
      schema: { body: IssueBody },
      handler: async (req) => keys.issue(req.project.id, req.body ?? {}),
    }),
    defineRoute({
      method: 'POST', url: `${BASE}/issuedApiKeys/${ID}::rotate`, ...write, operation: 'adminRotateIssuedApiKey',
      schema: { params: KeyParams, body: RotateBody },
      handler: async (req) => keys.rotate(req.project.id, keyId(req.params), req.body ?? {}),
    }),
    ...kindRoutes('issued'),
    defineRoute({
      method: 'POST', url: `${BASE}/importedApiKeys`, ...write, operation: 'adminImportApiKey',
      schema: { body: ImportBody },
      handler: async (req) => keys.importKey(req.project.id, req.body ?? {}),
    }),
    defineRoute({
      method: 'POST', url: `${BASE}/importedApiKeys::batchCreate`, ...write, operation: 'adminBatchCreateImportedApiKeys',
      schema: { body: BatchImportBody },
      bodyLimit: 8 * 1024 * 1024,
      handler: async (req, reply) => {
        const result = await keys.batchImport(req.project.id, req.body.requests);
        if (result.success_count === 0) throw badRequest('No key of the batch could be imported; see details.', undefined, { results: result.results });
        return reply.send(result);
      },
    }),
    defineRoute({
      method: 'DELETE', url: `${BASE}/importedApiKeys/:key_id`, ...write, operation: 'adminDeleteImportedApiKey',
      schema: { params: KeyParams },
      handler: async (req) => {
        await keys.deleteImported(req.project.id, keyId(req.params));
        return {};
      },
    }),
    ...kindRoutes('imported'),
    defineRoute({
      method: 'POST', url: `${BASE}/apiKeys::verify`, ...read, operation: 'adminVerifyApiKey',
      schema: { body: VerifyBody },
      handler: async (req) => verifyOne(req.project, req.body?.credential, { address: clientAddress(req), cache: cacheMode(req) }),
    }),
    defineRoute({
      method: 'POST', url: `${BASE}/apiKeys::batchVerify`, ...read, operation: 'adminBatchVerifyApiKeys',
      schema: { body: BatchVerifyBody },
      handler: async (req) => {
        const o = { address: clientAddress(req), cache: cacheMode(req) };
        return { results: await Promise.all(req.body.requests.map((q) => verifyOne(req.project, q.credential, o))) };
      },
    }),
    defineRoute({
      method: 'POST', url: `${BASE}/apiKeys::derive`, ...write, operation: 'adminDeriveToken',
      schema: { body: DeriveBody },
      handler: async (req) => derived.derive(req.project, (req.body ?? {}) as never),
    }),
    defineRoute({
      method: 'GET', url: '/v2alpha1/derivedKeys/jwks.json', plane: 'project', credential: 'none', operation: 'getJwks',
      // `keys` at the top too: what JWKS clients (jose's createRemoteJWKSet) read; `jwks` is the SDK's.
      handler: async (req) => {
        const list = await derived.jwks(req.project.id);
        return { keys: list, jwks: { keys: list } };
      },
    }),
    defineRoute({
      method: 'POST', url: '/v2alpha1/apiKeys::selfRevoke', plane: 'project', credential: 'none', operation: 'revokeApiKey',
      schema: { body: SelfRevokeBody },
      handler: async (req) => {
        const d = await keys.takeSelfRevoke(req.project.id, req.ip);
        if (!d.allowed) throw tooManyRequests((d.resetAtMs - Date.now()) / 1000);
        await keys.selfRevoke(req.project.id, req.body.credential, req.body.reason);
        return {};
      },
    }),
  ];
}
