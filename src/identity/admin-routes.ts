import { Type, type TSchema } from '@sinclair/typebox';
import jsonpatch from 'fast-json-patch';
import type { Registry } from '../registry.js';
import { defineRoute, type RouteSpec, type Scope } from '../platform/http/route-table.js';
import { ErrorId, OryError, badRequest } from '../platform/errors/errors.js';
import type { ResolvedProject } from '../tenancy/project-resolver.js';
import type { CreateIdentityInput, ReplaceIdentityInput } from './identity-service.js';
import type { Identity } from './models.js';
import { identityNotFound } from './http.js';
import { MAX_PAGE_SIZE, pageParams, setPageLinks } from '../platform/http/pagination.js';
import { IdentityResponse } from './response-schemas.js';
import { isUuid } from '../platform/ids.js';

const Opt = <T extends TSchema>(t: T) => Type.Optional(t);
const State = Type.Union([Type.Literal('active'), Type.Literal('inactive')]);
const Traits = Type.Object({}, { additionalProperties: true });
const AnyJson = Type.Unknown();
const CredentialType = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z_]+$' });

// Only password credentials can be set or imported; any other credential type is refused (400)
// rather than silently dropped.
const PasswordCredentials = Type.Object(
  {
    password: Opt(
      Type.Object(
        {
          config: Opt(
            Type.Object(
              {
                password: Opt(Type.String({ maxLength: 4096 })),
                hashed_password: Opt(Type.String({ maxLength: 1024 })),
                use_password_migration_hook: Opt(Type.Boolean()),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const VerifiableAddressIn = Type.Object(
  {
    id: Opt(Type.String()),
    value: Type.String({ maxLength: 1024 }),
    via: Type.String({ maxLength: 32 }),
    verified: Opt(Type.Boolean()),
    status: Opt(Type.String({ maxLength: 16 })),
    verified_at: Opt(Type.String({ maxLength: 64 })),
    created_at: Opt(Type.String()),
    updated_at: Opt(Type.String()),
  },
  { additionalProperties: false },
);
const RecoveryAddressIn = Type.Object(
  { id: Opt(Type.String()), value: Type.String({ maxLength: 1024 }), via: Type.String({ maxLength: 32 }), created_at: Opt(Type.String()), updated_at: Opt(Type.String()) },
  { additionalProperties: false },
);

const identityFields = {
  schema_id: Type.String({ maxLength: 512 }),
  traits: Traits,
  state: Opt(State),
  metadata_public: Opt(AnyJson),
  metadata_admin: Opt(AnyJson),
  external_id: Opt(Type.String({ maxLength: 256 })),
  organization_id: Opt(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
  region: Opt(Type.String({ maxLength: 32 })),
  credentials: Opt(PasswordCredentials),
};

const CreateIdentityBody = Type.Object(
  { ...identityFields, schema_id: Opt(Type.String({ maxLength: 512 })), verifiable_addresses: Opt(Type.Array(VerifiableAddressIn, { maxItems: 100 })), recovery_addresses: Opt(Type.Array(RecoveryAddressIn, { maxItems: 100 })) },
  { additionalProperties: false },
);
const UpdateIdentityBody = Type.Object({ ...identityFields, state: State }, { additionalProperties: false });

const JsonPatchOp = Type.Object(
  {
    op: Type.Union(['add', 'remove', 'replace', 'move', 'copy', 'test'].map((o) => Type.Literal(o))),
    path: Type.String({ maxLength: 1024 }),
    from: Opt(Type.String({ maxLength: 1024 })),
    value: Opt(AnyJson),
  },
  { additionalProperties: false },
);

const IdentityPatch = Type.Object({ create: Opt(CreateIdentityBody), patch_id: Opt(Type.String({ maxLength: 128 })) }, { additionalProperties: false });
const BatchBody = Type.Object({ identities: Type.Array(IdentityPatch, { maxItems: 1000 }) }, { additionalProperties: false });

const IdParams = Type.Object({ id: Type.String({ maxLength: 128 }) });
/** Ory's `manageSessions` body: one of `identities` (or `["*"]`) and `sessions`, at most 500 ids. */
const ManageSessionsBody = Type.Object(
  {
    action: Type.Union([Type.Literal('disable'), Type.Literal('delete')]),
    identities: Opt(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 500 })),
    sessions: Opt(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 500 })),
  },
  { additionalProperties: false },
);
/** `expand` of the admin session reads. */
const SessionExpand = Opt(Type.Array(Type.Union([Type.Literal('identity'), Type.Literal('devices')]), { maxItems: 2 }));
const IncludeCredential = Opt(Type.Array(CredentialType, { maxItems: 20 }));
const PageQuery = {
  page_size: Opt(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE })),
  per_page: Opt(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE })),
  page: Opt(Type.Integer({ minimum: 0 })),
  page_token: Opt(Type.String({ maxLength: 512 })),
};

/** Kratos limits plaintext-password imports per batch because each needs hashing. */
const MAX_BATCH_PLAINTEXT = 200;
/** Paths of an identity that JSON Patch may not touch. */
const FROZEN = /^\/(id|credentials|state_changed_at|created_at|updated_at|schema_url)(\/|$)/;

function toCreateInput(body: Record<string, any>): CreateIdentityInput {
  return {
    schema_id: body.schema_id,
    traits: body.traits,
    state: body.state,
    metadata_public: body.metadata_public,
    metadata_admin: body.metadata_admin,
    external_id: body.external_id,
    organization_id: body.organization_id,
    credentials: body.credentials,
    verifiable_addresses: body.verifiable_addresses,
    recovery_addresses: body.recovery_addresses,
  };
}

export function identityAdminRoutes(r: Registry): RouteSpec[] {
  const { identities, sessions, courier } = r;

  const include = (q: { include_credential?: string[] }) => q.include_credential ?? [];

  async function mustGet(project: ResolvedProject, id: string, includeCredentials: string[] = []): Promise<Identity> {
    identities.remember(project);
    const identity = await identities.get(project.id, id, { includeCredentials });
    if (!identity) throw identityNotFound();
    return identity;
  }

  /** A route acting on one object of the project by id: 204, or 404 when `act` finds nothing (falsy). */
  const noContentById = (method: 'DELETE' | 'PATCH', url: string, operation: string, scope: Scope, act: (project: ResolvedProject, id: string) => Promise<unknown>): RouteSpec =>
    defineRoute({
      method, url, plane: 'project', credential: 'project', scope, operation,
      schema: { params: IdParams },
      handler: async (req, reply) => {
        if (!(await act(req.project, req.params.id))) throw identityNotFound();
        return reply.status(204).send();
      },
    });

  return [
    // ------------------------------------------------------------------ identities
    defineRoute({
      method: 'POST', url: '/admin/identities', plane: 'project', credential: 'project', scope: 'identities:write', operation: 'createIdentity',
      schema: { body: CreateIdentityBody },
      handler: async (req, reply) => {
        const identity = await identities.create(req.project, toCreateInput(req.body));
        const path = ((req as { originalUrl?: string }).originalUrl ?? req.url).split('?')[0];
        return reply.status(201).header('location', `${path}/${identity.id}`).send(identity);
      },
    }),
    defineRoute({
      method: 'GET', url: '/admin/identities', plane: 'project', credential: 'project', scope: 'identities:read', operation: 'listIdentities',
      schema: {
        querystring: Type.Object({
          ...PageQuery,
          consistency: Opt(Type.String({ maxLength: 16 })),
          ids: Opt(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 500 })),
          credentials_identifier: Opt(Type.String({ maxLength: 1024 })),
          preview_credentials_identifier_similar: Opt(Type.String({ maxLength: 1024 })),
          include_credential: IncludeCredential,
          organization_id: Opt(Type.String({ maxLength: 64 })),
        }),
        response: { 200: Type.Array(IdentityResponse) },
      },
      handler: async (req, reply) => {
        const q = req.query;
        const filters = [q.ids, q.credentials_identifier, q.preview_credentials_identifier_similar].filter((f) => f !== undefined).length;
        if (filters > 1) throw badRequest('Only one of ids, credentials_identifier and preview_credentials_identifier_similar can be used.');
        const { size, after, offset } = pageParams(q);
        identities.remember(req.project);
        const { identities: page, hasMore } = await identities.list(req.project.id, {
          pageSize: size,
          after,
          offset,
          ids: q.ids,
          credentialsIdentifier: q.credentials_identifier ?? q.preview_credentials_identifier_similar,
          includeCredentials: q.include_credential,
          organizationId: q.organization_id,
        });
        setPageLinks(req, reply, size, page, hasMore);
        return page;
      },
    }),
    defineRoute({
      method: 'PATCH', url: '/admin/identities', plane: 'project', credential: 'project', scope: 'identities:write', operation: 'batchPatchIdentities',
      bodyLimit: 16 * 1024 * 1024,
      schema: { body: BatchBody },
      handler: async (req, reply) => {
        const patches = req.body.identities;
        const plaintext = patches.filter((p) => p.create?.credentials?.password?.config?.password).length;
        if (plaintext > MAX_BATCH_PLAINTEXT) throw badRequest(`A batch may import at most ${MAX_BATCH_PLAINTEXT} identities with plaintext passwords.`);
        const results: { action: 'create' | 'error'; identity?: string; patch_id?: string; error?: unknown }[] = [];
        // In order, one at a time: when two patches claim the same identifier, the first one wins on
        // every store (parallel workers made the winner depend on timing).
        const queue = patches.map((p, i) => ({ p, i }));
        const out = new Array<(typeof results)[number]>(patches.length);
        const worker = async () => {
          for (let next = queue.shift(); next; next = queue.shift()) {
            const { p, i } = next;
            const base = p.patch_id ? { patch_id: p.patch_id } : {};
            if (!p.create) {
              out[i] = { action: 'error', ...base, error: badRequest('The patch has nothing to create.').toBody(req.id).error };
              continue;
            }
            try {
              const identity = await identities.create(req.project, toCreateInput(p.create));
              out[i] = { action: 'create', identity: identity.id, ...base };
            } catch (err) {
              if (!(err instanceof OryError)) throw err;
              out[i] = { action: 'error', ...base, error: err.toBody(req.id).error };
            }
          }
        };
        await worker();
        results.push(...out);
        const failures = results.filter((x) => x.action === 'error');
        if (results.length > 0 && failures.length === results.length) {
          // Every patch failed: answer with the first failure's status, as Ory does.
          const first = failures[0].error as { code?: number; reason?: string };
          if (first.code === 409) throw new OryError(409, 'The resource could not be created due to a conflict', first.reason, ErrorId.identityExists, { identities: results });
          throw badRequest(first.reason ?? 'No identity could be created.', ErrorId.badRequest, { identities: results });
        }
        return reply.status(200).send({ identities: results });
      },
    }),
    defineRoute({
      method: 'GET', url: '/admin/identities/by/external/:externalID', plane: 'project', credential: 'project', scope: 'identities:read', operation: 'getIdentityByExternalID',
      schema: { params: Type.Object({ externalID: Type.String({ maxLength: 256 }) }), querystring: Type.Object({ include_credential: IncludeCredential }) },
      handler: async (req) => {
        identities.remember(req.project);
        const identity = await identities.getByExternalId(req.project.id, req.params.externalID, { includeCredentials: include(req.query) });
        if (!identity) throw identityNotFound();
        return identity;
      },
    }),
    defineRoute({
      method: 'GET', url: '/admin/identities/:id', plane: 'project', credential: 'project', scope: 'identities:read', operation: 'getIdentity',
      schema: { params: IdParams, querystring: Type.Object({ include_credential: IncludeCredential }), response: { 200: IdentityResponse } },
      handler: async (req) => {
        identities.remember(req.project);
        // Served as it is (the response schema serialises it), so the shared cached object is fine.
        const identity = await identities.get(req.project.id, req.params.id, { includeCredentials: include(req.query), cached: true });
        if (!identity) throw identityNotFound();
        return identity;
      },
    }),
    defineRoute({
      method: 'PUT', url: '/admin/identities/:id', plane: 'project', credential: 'project', scope: 'identities:write', operation: 'updateIdentity',
      schema: { params: IdParams, body: UpdateIdentityBody },
      handler: async (req) => {
        const b = req.body;
        const input: ReplaceIdentityInput = {
          schema_id: b.schema_id,
          traits: b.traits,
          state: b.state,
          metadata_public: b.metadata_public,
          metadata_admin: b.metadata_admin,
          credentials: b.credentials,
        };
        const existing = await mustGet(req.project, req.params.id);
        // external_id and organization_id are kept unless the body sets them.
        input.external_id = b.external_id !== undefined ? b.external_id : existing.external_id ?? null;
        input.organization_id = b.organization_id !== undefined ? b.organization_id : existing.organization_id;
        input.verifiable_addresses = existing.verifiable_addresses;
        return identities.replace(req.project, req.params.id, input);
      },
    }),
    defineRoute({
      method: 'PATCH', url: '/admin/identities/:id', plane: 'project', credential: 'project', scope: 'identities:write', operation: 'patchIdentity',
      schema: { params: IdParams, body: Type.Array(JsonPatchOp, { maxItems: 1000 }) },
      handler: async (req) => {
        const existing = await mustGet(req.project, req.params.id);
        for (const op of req.body) {
          if (FROZEN.test(op.path) || (op.from !== undefined && (op.op === 'move') && FROZEN.test(op.from))) {
            throw badRequest(`The JSON Patch may not change ${op.path}: id, credentials and state_changed_at are immutable here.`);
          }
        }
        const { credentials: _c, ...doc } = existing;
        let patched: Record<string, any>;
        try {
          patched = jsonpatch.applyPatch(doc, req.body as jsonpatch.Operation[], true, false).newDocument as Record<string, any>;
        } catch (err) {
          throw badRequest(`The JSON Patch could not be applied: ${String((err as Error)?.message ?? err).split('\n')[0].slice(0, 200)}`);
        }
        if (patched.state !== 'active' && patched.state !== 'inactive') throw badRequest('state must be "active" or "inactive".');
        if (typeof patched.schema_id !== 'string') throw badRequest('schema_id must be a string.');
        if (patched.external_id !== undefined && patched.external_id !== null && typeof patched.external_id !== 'string') throw badRequest('external_id must be a string.');
        if (patched.organization_id !== undefined && patched.organization_id !== null && typeof patched.organization_id !== 'string') throw badRequest('organization_id must be a string.');
        const verifiable = Array.isArray(patched.verifiable_addresses) ? patched.verifiable_addresses.filter((a: any) => a && typeof a.value === 'string' && typeof a.via === 'string') : undefined;
        return identities.replace(req.project, req.params.id, {
          schema_id: patched.schema_id,
          traits: patched.traits,
          state: patched.state,
          metadata_public: patched.metadata_public,
          metadata_admin: patched.metadata_admin,
          external_id: patched.external_id ?? null,
          organization_id: patched.organization_id ?? null,
          verifiable_addresses: verifiable,
        });
      },
    }),
    noContentById('DELETE', '/admin/identities/:id', 'deleteIdentity', 'identities:write', (project, id) => identities.delete(project.id, id)),
    defineRoute({
      method: 'DELETE', url: '/admin/identities/:id/credentials/:type', plane: 'project', credential: 'project', scope: 'identities:write', operation: 'deleteIdentityCredentials',
      schema: { params: Type.Object({ id: Type.String({ maxLength: 128 }), type: Type.String({ maxLength: 64 }) }), querystring: Type.Object({ identifier: Opt(Type.String({ maxLength: 1024 })) }) },
      handler: async (req, reply) => {
        const type = req.params.type;
        await mustGet(req.project, req.params.id);
        if (type === 'code' || type === 'passkey') throw badRequest(`You cannot remove ${type} credentials through this API.`);
        await identities.deleteCredential(req.project.id, req.params.id, type);
        return reply.status(204).send();
      },
    }),

    // ------------------------------------------------------------------ sessions
    defineRoute({
      method: 'GET', url: '/admin/sessions', plane: 'project', credential: 'project', scope: 'sessions:read', operation: 'listSessions',
      schema: {
        querystring: Type.Object({
          page_size: PageQuery.page_size, page_token: PageQuery.page_token,
          active: Opt(Type.Boolean()),
          expand: SessionExpand,
        }),
      },
      handler: async (req, reply) => {
        const { size, after, offset } = pageParams(req.query);
        const expand = new Set(req.query.expand ?? []);
        identities.remember(req.project);
        const { sessions: page, hasMore } = await sessions.list(req.project.id, {
          pageSize: size, after, offset, active: req.query.active, expandIdentity: expand.has('identity'), expandDevices: expand.has('devices'),
        });
        setPageLinks(req, reply, size, page, hasMore);
        return page;
      },
    }),
    defineRoute({
      method: 'POST', url: '/admin/sessions', plane: 'project', credential: 'project', scope: 'sessions:write', operation: 'manageSessions',
      schema: { body: ManageSessionsBody },
      handler: async (req) => {
        const { action, identities: identityIds, sessions: sessionIds } = req.body;
        if ((identityIds === undefined) === (sessionIds === undefined)) throw badRequest('Exactly one of "identities" or "sessions" must be provided.');
        const ids = identityIds ?? sessionIds!;
        if (ids.length === 0) throw badRequest(`"${identityIds ? 'identities' : 'sessions'}" must not be empty.`);
        if (sessionIds?.includes('*')) throw badRequest('The wildcard "*" is only accepted as identities: ["*"].');
        if (identityIds?.includes('*') && identityIds.length > 1) throw badRequest('The wildcard "*" must appear alone in "identities".');
        const bad = ids.find((id) => id !== '*' && !isUuid(id));
        if (bad !== undefined) throw badRequest(`"${bad.slice(0, 64)}" is not a valid UUID.`);
        const target = identityIds ? { identities: identityIds[0] === '*' ? ('*' as const) : identityIds } : { sessions: sessionIds! };
        return sessions.manage(req.project.id, action, target);
      },
    }),
    defineRoute({
      method: 'GET', url: '/admin/sessions/:id', plane: 'project', credential: 'project', scope: 'sessions:read', operation: 'getSession',
      schema: { params: IdParams, querystring: Type.Object({ expand: SessionExpand }) },
      handler: async (req) => {
        const expand = new Set(req.query.expand ?? []);
        identities.remember(req.project);
        const session = await sessions.get(req.project.id, req.params.id, { expandIdentity: expand.has('identity'), expandDevices: expand.has('devices') });
        if (!session) throw identityNotFound();
        return session;
      },
    }),
    noContentById('DELETE', '/admin/sessions/:id', 'disableSession', 'sessions:write', (project, id) => sessions.revoke(project.id, id)),
    noContentById('PATCH', '/admin/sessions/:id/extend', 'extendSession', 'sessions:write', (project, id) => sessions.extend(project, id)),
    defineRoute({
      method: 'GET', url: '/admin/identities/:id/sessions', plane: 'project', credential: 'project', scope: 'sessions:read', operation: 'listIdentitySessions',
      schema: { params: IdParams, querystring: Type.Object({ ...PageQuery, active: Opt(Type.Boolean()) }) },
      handler: async (req, reply) => {
        await mustGet(req.project, req.params.id);
        const { size, after, offset } = pageParams(req.query);
        const { sessions: page, hasMore } = await sessions.list(req.project.id, {
          pageSize: size, after, offset, identityId: req.params.id, active: req.query.active, expandIdentity: true, expandDevices: true,
        });
        setPageLinks(req, reply, size, page, hasMore);
        return page;
      },
    }),
    noContentById('DELETE', '/admin/identities/:id/sessions', 'deleteIdentitySessions', 'sessions:write', async (project, id) => {
      await mustGet(project, id);
      await sessions.deleteAllOfIdentity(project.id, id);
      return true;
    }),

    // ------------------------------------------------------------------ courier
    defineRoute({
      method: 'GET', url: '/admin/courier/messages', plane: 'project', credential: 'project', scope: 'courier:read', operation: 'listCourierMessages',
      schema: {
        querystring: Type.Object({
          page_size: PageQuery.page_size, page_token: PageQuery.page_token,
          status: Opt(Type.Union(['queued', 'sent', 'processing', 'abandoned'].map((s) => Type.Literal(s)))),
          recipient: Opt(Type.String({ maxLength: 1024 })),
        }),
      },
      handler: async (req, reply) => {
        const { size, after } = pageParams(req.query);
        const { messages, hasMore } = await courier.list(req.project.id, { pageSize: size, before: after, status: req.query.status, recipient: req.query.recipient });
        setPageLinks(req, reply, size, messages, hasMore);
        return messages;
      },
    }),
    defineRoute({
      method: 'GET', url: '/admin/courier/messages/:id', plane: 'project', credential: 'project', scope: 'courier:read', operation: 'getCourierMessage',
      schema: { params: IdParams },
      handler: async (req) => {
        const message = await courier.get(req.project.id, req.params.id);
        if (!message) throw identityNotFound();
        return message;
      },
    }),
  ];
}
