import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Kysely } from 'kysely';
import jsonPatch from 'fast-json-patch';
import type { Database } from '../database.js';
import type { ProjectsTable } from './tables.js';
import type { Principal } from '../platform/auth/principal.js';
import type { Notifier } from '../platform/db/notifier.js';
import type { KeyService } from '../keys/key-service.js';
import { badRequest, conflict, ErrorId, notFound } from '../platform/errors/errors.js';
import { isUniqueViolation } from '../platform/db/database.js';
import { isUuid, newId, nowIso } from '../platform/ids.js';
import { configTypeProblem, type Plane as ConfigPlane } from './config-check.js';
import { requireRole, requireWorkspace, roleWithoutLookup, visibleWorkspaceIds, type Need } from './access.js';
import { domainsOf, parseServices, toProject, toProjectMetadata, type BasicOrganization } from './models.js';
import { OrganizationStore } from './organization-store.js';
import { scoped } from '../platform/db/scoped.js';
import { defaultCors, defaultIdentityConfig, defaultOAuth2Config, defaultPermissionConfig } from './default-config.js';

export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

/** The document a project patch operates on; only these paths may be patched. */
interface PatchableProject {
  name: string;
  cors_admin: unknown;
  cors_public: unknown;
  services: { identity: { config: unknown }; oauth2: { config: unknown }; permission: { config: unknown } };
}

const PATCHABLE = /^\/(name|cors_admin(\/.*)?|cors_public(\/.*)?|services\/(identity|oauth2|permission)\/config(\/.*)?)$/;

const SLUG_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `acme-login` + `-` + 8 random characters: readable, DNS-safe, and never reused (unique index). */
function newSlug(name: string): string {
  const base = name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '') || 'project';
  let suffix = '';
  for (const b of randomBytes(8)) suffix += SLUG_ALPHABET[b % SLUG_ALPHABET.length];
  return `${base}-${suffix}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class ProjectService {
  /**
   * Serialized `GET /projects/{id}` answers, the Management API's hottest read. Every change to a
   * project or its organizations publishes an invalidation (this node at once, others through the
   * notifier); the one-second TTL bounds staleness should a message be lost.
   */
  private readonly views = new LRUCache<string, { workspaceId: string; json: string }>({ max: 5000, ttl: 1000 });

  constructor(
    private readonly o: {
      db: Kysely<Database>;
      notifier: Notifier;
      keys: KeyService;
      baseDomain: string;
      /** A plane's own check of its config beyond types (the permission plane parses its OPL). */
      checkConfig?: (plane: ConfigPlane, config: unknown) => string | null;
      /** A plane's config as stored: secrets in it sealed (the identity plane's courier credentials). */
      sealConfig?: (plane: ConfigPlane, config: Record<string, unknown>) => Record<string, unknown>;
    },
  ) {
    o.notifier.subscribe((m) => {
      if (m.type === 'project') {
        if (m.id) this.views.delete(m.id);
        else this.views.clear();
      }
    });
  }

  /** Loads a live project and checks `principal` may do `need` in its workspace; 404 otherwise. */
  async authorize(principal: Principal, projectId: string, need: Need): Promise<ProjectsTable> {
    if (!isUuid(projectId)) throw notFound();
    const row = await this.o.db.selectFrom('projects').selectAll().where('id', '=', projectId).where('state', '!=', 'deleted').executeTakeFirst();
    if (!row) throw notFound();
    await requireWorkspace(this.o.db, principal, row.workspace_id, need);
    return row;
  }

  async create(principal: Principal, input: { name: string; environment: ProjectsTable['environment']; workspace_id?: string; home_region?: string }) {
    let workspaceId = input.workspace_id;
    if (!workspaceId) {
      if (principal.kind === 'workspace-key') workspaceId = principal.workspaceId;
      else {
        const ids = await visibleWorkspaceIds(this.o.db, principal);
        if (ids.length !== 1) throw badRequest('workspace_id is required when you belong to more than one workspace.');
        workspaceId = ids[0];
      }
    }
    if (!isUuid(workspaceId)) throw notFound();
    await requireWorkspace(this.o.db, principal, workspaceId, 'manage');
    const now = nowIso();
    for (let attempt = 0; ; attempt++) {
      const row: ProjectsTable = {
        id: newId(),
        workspace_id: workspaceId,
        slug: newSlug(input.name),
        name: input.name.trim(),
        environment: input.environment,
        home_region: input.home_region ?? 'eu-central',
        state: 'running',
        revision_id: newId(),
        identity_config: JSON.stringify(defaultIdentityConfig()),
        oauth2_config: JSON.stringify(defaultOAuth2Config()),
        permission_config: JSON.stringify(defaultPermissionConfig()),
        cors_admin: JSON.stringify(defaultCors()),
        cors_public: JSON.stringify(defaultCors()),
        created_at: now,
        updated_at: now,
      };
      try {
        await this.o.db.insertInto('projects').values(row).execute();
        return toProject(row, []);
      } catch (err) {
        if (isUniqueViolation(err) && attempt < 3) continue; // slug collision: draw another suffix
        throw err;
      }
    }
  }

  /** Every live project in the workspaces `principal` can see. */
  async list(principal: Principal) {
    const ids = await visibleWorkspaceIds(this.o.db, principal);
    if (ids.length === 0) return [];
    const rows = await this.o.db.selectFrom('projects').selectAll().where('workspace_id', 'in', ids).where('state', '!=', 'deleted').orderBy('id').execute();
    return rows.map((r) => toProjectMetadata(r, this.o.baseDomain));
  }

  async listOfWorkspace(principal: Principal, workspaceId: string) {
    if (!isUuid(workspaceId)) throw notFound();
    await requireWorkspace(this.o.db, principal, workspaceId, 'read');
    const rows = await this.o.db.selectFrom('projects').selectAll().where('workspace_id', '=', workspaceId).where('state', '!=', 'deleted').orderBy('id').execute();
    return { projects: rows.map((r) => toProjectMetadata(r, this.o.baseDomain)), has_next_page: false, next_page: '' };
  }

  async get(principal: Principal, projectId: string) {
    const row = await this.authorize(principal, projectId, 'read');
    return toProject(row, await this.organizationsOf(row.id));
  }

  /**
   * `get`, already serialized as JSON; served from the view cache when possible, and then, for an API
   * key (whose rights need no lookup), without a promise.
   */
  getJson(principal: Principal, projectId: string): string | Promise<string> {
    const view = this.views.get(projectId);
    const role = view && principal ? roleWithoutLookup(principal, view.workspaceId) : undefined;
    if (view && role !== undefined) {
      requireRole(role, 'read');
      return view.json;
    }
    return this.loadJson(principal, projectId);
  }

  private async loadJson(principal: Principal, projectId: string): Promise<string> {
    let view = this.views.get(projectId);
    if (!view) {
      if (!isUuid(projectId)) throw notFound();
      const row = await this.o.db.selectFrom('projects').selectAll().where('id', '=', projectId).where('state', '!=', 'deleted').executeTakeFirst();
      if (!row) throw notFound();
      view = { workspaceId: row.workspace_id, json: JSON.stringify(toProject(row, await this.organizationsOf(row.id))) };
      this.views.set(projectId, view);
    }
    await requireWorkspace(this.o.db, principal, view.workspaceId, 'read');
    return view.json;
  }

  /** Replaces name, CORS and services config (PUT). */
  async set(principal: Principal, projectId: string, body: PatchableProject) {
    const row = await this.authorize(principal, projectId, 'manage');
    return this.write(row, body);
  }

  /**
   * Applies a JSON Patch (RFC 6902) to name, CORS and services config. Unknown paths and failing
   * operations are a 400 and change nothing. With `expectedRevision`, a stale revision is a 409.
   */
  async patch(principal: Principal, projectId: string, ops: JsonPatchOp[], expectedRevision?: string) {
    const row = await this.authorize(principal, projectId, 'manage');
    if (expectedRevision !== undefined && expectedRevision !== row.revision_id) {
      throw conflict('The project was changed since that revision; fetch it and try again.', ErrorId.revisionMismatch);
    }
    const doc: PatchableProject = {
      name: row.name,
      cors_admin: JSON.parse(row.cors_admin),
      cors_public: JSON.parse(row.cors_public),
      services: parseServices(row),
    };
    for (const [i, op] of ops.entries()) {
      for (const p of [op.path, op.from].filter((x): x is string => x !== undefined)) {
        if (!PATCHABLE.test(p)) throw badRequest(`Patch operation ${i} targets "${p}", which cannot be changed. Patchable: /name, /cors_admin, /cors_public, /services/{identity,oauth2,permission}/config/...`);
      }
      if ((op.op === 'add' || op.op === 'replace') && op.value === undefined) throw badRequest(`Patch operation ${i} (${op.op}) needs a value.`);
      if ((op.op === 'move' || op.op === 'copy') && op.from === undefined) throw badRequest(`Patch operation ${i} (${op.op}) needs "from".`);
      ensureParents(doc, op);
    }
    let patched: PatchableProject;
    try {
      patched = jsonPatch.applyPatch(doc, ops as jsonPatch.Operation[], true, false).newDocument;
    } catch (err) {
      const e = err as { name?: string; message?: string };
      throw badRequest(`The patch could not be applied: ${(e.message ?? 'invalid operation').split('\n')[0]}`);
    }
    return this.write(row, patched);
  }

  private async write(row: ProjectsTable, doc: PatchableProject) {
    if (typeof doc.name !== 'string' || doc.name.trim().length === 0 || doc.name.length > 256) throw badRequest('name must be a non-empty string of at most 256 characters.');
    for (const s of ['identity', 'oauth2', 'permission'] as const) {
      const config = doc.services?.[s]?.config;
      if (!isObject(config)) throw badRequest(`services.${s}.config must be an object.`);
      const problem = configTypeProblem(s, config) ?? this.o.checkConfig?.(s, config) ?? null;
      if (problem) throw badRequest(problem, ErrorId.validationFailed);
      if (this.o.sealConfig) doc.services[s].config = this.o.sealConfig(s, config);
    }
    for (const c of ['cors_admin', 'cors_public'] as const) {
      const v = doc[c];
      if (!isObject(v) || ('enabled' in v && typeof v.enabled !== 'boolean') || ('origins' in v && !(Array.isArray(v.origins) && v.origins.every((o) => typeof o === 'string')))) {
        throw badRequest(`${c} must be {"enabled": boolean, "origins": [string]}.`);
      }
    }
    const serialized = {
      name: doc.name.trim(),
      identity_config: JSON.stringify(doc.services.identity.config),
      oauth2_config: JSON.stringify(doc.services.oauth2.config),
      permission_config: JSON.stringify(doc.services.permission.config),
      cors_admin: JSON.stringify(doc.cors_admin),
      cors_public: JSON.stringify(doc.cors_public),
    };
    if (Object.values(serialized).reduce((n, s) => n + s.length, 0) > 512 * 1024) throw badRequest('The project configuration is too large (512 KiB at most).');
    const updated = await this.o.db
      .updateTable('projects')
      .set({ ...serialized, revision_id: newId(), updated_at: nowIso() })
      .where('id', '=', row.id)
      .where('revision_id', '=', row.revision_id) // optimistic: a concurrent write makes this a 409
      .returningAll()
      .executeTakeFirst();
    if (!updated) throw conflict('The project was changed concurrently; try again.', ErrorId.revisionMismatch);
    await this.o.notifier.publish({ type: 'project', id: updated.id, slug: updated.slug });
    return { project: toProject(updated, await this.organizationsOf(updated.id)), warnings: [] as { code?: number; message?: string }[] };
  }

  /**
   * Purges a project: it stops answering at once on every plane, its keys are revoked and its data is
   * deleted. The row stays as a tombstone with state `deleted`, so its slug is never reused.
   * Returns the project as it was.
   */
  async purge(principal: Principal, projectId: string, deleteProjectData: (trx: Kysely<Database>, projectId: string) => Promise<void>): Promise<ProjectsTable> {
    const row = await this.authorize(principal, projectId, 'manage');
    await this.o.db.transaction().execute(async (trx) => {
      await trx.updateTable('projects').set({ state: 'deleted', updated_at: nowIso(), revision_id: newId() }).where('id', '=', row.id).execute();
      await deleteProjectData(trx, row.id);
    });
    await this.o.keys.revokeAllOfProject(row.id);
    await this.o.notifier.publish({ type: 'project', id: row.id, slug: row.slug });
    return row;
  }

  private async organizationsOf(projectId: string): Promise<BasicOrganization[]> {
    const store = new OrganizationStore(scoped(this.o.db, projectId));
    const orgs = await store.all();
    if (orgs.length === 0) return [];
    const domains = await store.domains();
    return orgs.map((o) => ({
      id: o.id,
      label: o.label,
      domains: domainsOf(domains, o.id),
      ...(o.session_lifespan ? { session_lifespan: o.session_lifespan } : {}),
    }));
  }
}

/**
 * Ory's project patch creates missing intermediate objects for `add`/`replace`, so
 * `/services/identity/config/session/lifespan` works on a config without `session`. A `replace` of a
 * missing member becomes an `add`.
 */
function ensureParents(doc: PatchableProject, op: JsonPatchOp): void {
  if (op.op !== 'add' && op.op !== 'replace') return;
  const parts = op.path.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node: unknown = doc;
  for (const part of parts.slice(0, -1)) {
    if (!isObject(node) && !Array.isArray(node)) return;
    const container = node as Record<string, unknown>;
    if (container[part] === undefined && isObject(node)) container[part] = {};
    node = container[part];
  }
  const last = parts[parts.length - 1];
  if (op.op === 'replace' && isObject(node) && !(last in node)) op.op = 'add';
}
