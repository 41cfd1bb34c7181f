import { LRUCache } from 'lru-cache';
import type { Notifier } from '../platform/db/notifier.js';
import type { Kysely, Transaction } from 'kysely';
import type { Config } from '../platform/config/config.js';
import type { Database } from '../platform/db/schema.js';
import { isUniqueViolation } from '../platform/db/database.js';
import { ErrorId, OryError, badRequest, notFound } from '../platform/errors/errors.js';
import { isUuid, newId, nowIso } from '../platform/ids.js';
import type { ResolvedProject } from '../tenancy/project-resolver.js';
import { rowToCredentials, rowToIdentity, type Identity, type IdentityCredentials, type RecoveryIdentityAddress, type VerifiableIdentityAddress } from './models.js';
import { BCRYPT_MAX_BYTES, MAX_PASSWORD_BYTES, hashPassword, importedHashKind, verifyPasswordHash } from './passwords.js';
import { projectPublicBase } from './public-url.js';
import { preparedQuery } from './prepared.js';
import { identityJson } from './wire-json.js';
import { normalizeIdentifier, type SchemaService, type TraitExtensions } from './schemas.js';
import type { IdentitiesTable } from './tables.js';

/** What creating (or fully replacing) an identity takes; the shape of Ory's `CreateIdentityBody`. */
export interface CreateIdentityInput {
  /** Defaults to the project's `identity.default_schema_id`. */
  schema_id?: string;
  traits: Record<string, unknown>;
  state?: 'active' | 'inactive';
  metadata_public?: unknown;
  metadata_admin?: unknown;
  external_id?: string;
  organization_id?: string | null;
  credentials?: { password?: { config?: { password?: string; hashed_password?: string; use_password_migration_hook?: boolean } } };
  verifiable_addresses?: { value: string; via: string; verified?: boolean; status?: string; verified_at?: string }[];
  recovery_addresses?: { value: string; via: string }[];
}

/** A full replacement (PUT, JSON Patch). Omitted metadata becomes null, as in Kratos. */
export interface ReplaceIdentityInput {
  schema_id: string;
  traits: Record<string, unknown>;
  state: 'active' | 'inactive';
  metadata_public?: unknown;
  metadata_admin?: unknown;
  external_id?: string | null;
  organization_id?: string | null;
  credentials?: CreateIdentityInput['credentials'];
  verifiable_addresses?: CreateIdentityInput['verifiable_addresses'];
  recovery_addresses?: CreateIdentityInput['recovery_addresses'];
}

export interface ListIdentitiesOptions {
  pageSize: number;
  /** Exclusive lower bound on the id (keyset pagination). */
  after?: string;
  /** Legacy offset pagination (`page`); keyset (`after`) is preferred. */
  offset?: number;
  ids?: string[];
  credentialsIdentifier?: string;
  includeCredentials?: string[];
  organizationId?: string;
}

export interface IdentityServiceDeps {
  db: Kysely<Database>;
  schemas: SchemaService;
  config: Pick<Config, 'baseDomain' | 'port'>;
  /**
   * Serve repeated admin reads (`getJson`) and whoami from bounded in-process caches (1 s TTL),
   * dropped on every identity or session write on any node: at once on the writing node, through
   * the notifier on the others. While the notifier cannot hear other nodes, the caches are bypassed.
   */
  cacheReads?: boolean;
  notifier?: Notifier;
}

type Db = Kysely<Database> | Transaction<Database>;

const IDENTIFIER_CONFLICT = 'This identity conflicts with another identity that already exists.';

/**
 * Identities of a project: create, read, replace, delete, passwords and addresses. Every query is
 * filtered by the project id given by the caller (never one from a request body). Identifier and
 * address uniqueness is per project and enforced by unique indexes; violations become 409.
 */
export class IdentityService {
  private readonly slugs = new LRUCache<string, string>({ max: 10_000 });
  /**
   * Bumped after every write to identities (and by the session service after session writes):
   * in-process read caches (whoami) drop whatever they cached under an older value.
   */
  generation = 0;
  private readonly readCache = new LRUCache<string, { generation: number; body: string }>({ max: 10_000, ttl: 1000, ttlAutopurge: false });

  // The admin read's one query: identity joined to its credentials, compiled once.
  private readonly getQuery;

  constructor(private readonly d: IdentityServiceDeps) {
    d.notifier?.subscribe((m) => {
      if (m.type === 'identity-write') this.generation++;
    });
    this.getQuery = preparedQuery(d.db, (db) =>
      db
        .selectFrom('identities as i')
        .leftJoin('identity_credentials as c', (j) => j.onRef('c.identity_id', '=', 'i.id').onRef('c.project_id', '=', 'i.project_id'))
        .selectAll('i')
        .select(['c.type as c_type', 'c.identifiers as c_identifiers', 'c.version as c_version', 'c.created_at as c_created_at', 'c.updated_at as c_updated_at', 'c.config as c_config'])
        .where('i.project_id', '=', '')
        .where('i.id', '=', ''),
    );
  }

  /** Invalidates every node's cached identity and session reads after a write. */
  bump(): void {
    this.generation++;
    void this.d.notifier?.publish({ type: 'identity-write' }).catch(() => {});
  }

  /** Whether the read caches may be used right now (see `cacheReads`). */
  get cachesUsable(): boolean {
    return this.d.cacheReads === true && (this.d.notifier?.isLive() ?? true);
  }

  // ---------------------------------------------------------------- reads

  /**
   * One identity of a project, or null (also for another project's id). One indexed query.
   * Credentials metadata is always included; `config` only for the types in `includeCredentials`.
   */
  async get(projectId: string, id: string, opts: { includeCredentials?: string[]; admin?: boolean } = {}): Promise<Identity | null> {
    if (!isUuid(id)) return null;
    const rows = (await this.getQuery([projectId, id])).rows;
    if (rows.length === 0) return null;
    const identity = rowToIdentity(rows[0], await this.base(projectId), { admin: opts.admin !== false });
    const include = new Set(opts.includeCredentials ?? []);
    const credentials: Record<string, IdentityCredentials> = {};
    for (const r of rows) {
      if (!r.c_type) continue;
      credentials[r.c_type] = rowToCredentials(
        { type: r.c_type, identifiers: r.c_identifiers!, version: r.c_version!, created_at: r.c_created_at!, updated_at: r.c_updated_at!, config: r.c_config! },
        include.has(r.c_type),
      );
    }
    identity.credentials = credentials;
    return identity;
  }

  /**
   * The same document as `get` (admin view), as ready JSON text built from the stored JSON without
   * a parse/stringify round trip: the admin read's hot path. Null if not in the project.
   */
  async getJson(projectId: string, id: string, includeCredentials: string[] = []): Promise<string | null> {
    if (!isUuid(id)) return null;
    const key = this.cachesUsable ? `${projectId}:${id}:${includeCredentials.join(',')}` : null;
    if (key) {
      const hit = this.readCache.get(key);
      if (hit && hit.generation === this.generation) return hit.body;
    }
    const generation = this.generation;
    const rows = (await this.getQuery([projectId, id])).rows;
    if (rows.length === 0) return null;
    const include = new Set(includeCredentials);
    const credentials: Record<string, IdentityCredentials> = {};
    for (const r of rows) {
      if (!r.c_type) continue;
      credentials[r.c_type] = rowToCredentials(
        { type: r.c_type, identifiers: r.c_identifiers!, version: r.c_version!, created_at: r.c_created_at!, updated_at: r.c_updated_at!, config: r.c_config! },
        include.has(r.c_type),
      );
    }
    const body = identityJson(rows[0], await this.base(projectId), { admin: true, credentials: JSON.stringify(credentials) });
    if (key && includeCredentials.length <= 4) this.readCache.set(key, { generation, body });
    return body;
  }

  /** The identity with this external id in the project, or null. */
  async getByExternalId(projectId: string, externalId: string, opts: { includeCredentials?: string[] } = {}): Promise<Identity | null> {
    const row = await this.d.db.selectFrom('identities').select('id').where('project_id', '=', projectId).where('external_id', '=', externalId).executeTakeFirst();
    return row ? this.get(projectId, row.id, opts) : null;
  }

  /** The identity whose password credential lists `identifier` (case-insensitive), or null. */
  async findByPasswordIdentifier(projectId: string, identifier: string): Promise<Identity | null> {
    const row = await this.d.db
      .selectFrom('identity_credential_identifiers')
      .select('identity_id')
      .where('project_id', '=', projectId)
      .where('type', '=', 'password')
      .where('identifier', '=', normalizeIdentifier(identifier))
      .executeTakeFirst();
    return row ? this.get(projectId, row.identity_id) : null;
  }

  /** The identity owning a verifiable (`kind: 'verifiable'`) or recovery address, or null. */
  async findByAddress(projectId: string, kind: 'verifiable' | 'recovery', value: string): Promise<Identity | null> {
    const trimmed = value.trim();
    const row = await this.d.db
      .selectFrom('identity_addresses')
      .select('identity_id')
      .where('project_id', '=', projectId)
      .where('kind', '=', kind)
      .where('value', 'in', [trimmed.toLowerCase(), trimmed])
      .executeTakeFirst();
    return row ? this.get(projectId, row.identity_id) : null;
  }

  /** A page of identities in id (creation) order; fetches `pageSize + 1` rows to know if there is more. */
  async list(projectId: string, o: ListIdentitiesOptions): Promise<{ identities: Identity[]; hasMore: boolean }> {
    const { page, hasMore, credentials } = await this.listRows(projectId, o);
    const base = await this.base(projectId);
    const identities = page.map((r) => rowToIdentity(r, base, { admin: true }));
    if (credentials) for (const i of identities) i.credentials = credentials.get(i.id) ?? {};
    return { identities, hasMore };
  }

  /**
   * `list` as ready JSON text (an array of the same documents), built by splicing stored JSON: a
   * page of 250 identities costs no parse/stringify round trip. `lastId` feeds the next page token.
   */
  async listJson(projectId: string, o: ListIdentitiesOptions): Promise<{ body: string; lastId?: string; hasMore: boolean }> {
    const { page, hasMore, credentials } = await this.listRows(projectId, o);
    const base = await this.base(projectId);
    const parts = page.map((r) => identityJson(r, base, { admin: true, credentials: credentials ? JSON.stringify(credentials.get(r.id) ?? {}) : undefined }));
    return { body: `[${parts.join(',')}]`, lastId: page.at(-1)?.id, hasMore };
  }

  private async listRows(projectId: string, o: ListIdentitiesOptions): Promise<{ page: IdentitiesTable[]; hasMore: boolean; credentials?: Map<string, Record<string, IdentityCredentials>> }> {
    let q = this.d.db.selectFrom('identities as i').selectAll('i').where('i.project_id', '=', projectId);
    if (o.after) q = q.where('i.id', '>', o.after);
    let ids = o.ids?.filter(isUuid);
    if (o.credentialsIdentifier !== undefined) {
      // Resolved first through the identifier index, so the page query stays a primary-key lookup.
      const hits = await this.d.db
        .selectFrom('identity_credential_identifiers')
        .select('identity_id')
        .where('project_id', '=', projectId)
        .where('type', '=', 'password')
        .where('identifier', '=', normalizeIdentifier(o.credentialsIdentifier))
        .execute();
      const found = [...new Set(hits.map((h) => h.identity_id))];
      ids = ids ? ids.filter((id) => found.includes(id)) : found;
    }
    if (ids) {
      if (ids.length === 0) return { page: [], hasMore: false };
      q = q.where('i.id', 'in', ids);
    }
    if (o.organizationId !== undefined) q = q.where('i.organization_id', '=', o.organizationId);
    let ordered = q.orderBy('i.id').limit(o.pageSize + 1);
    if (o.offset) ordered = ordered.offset(o.offset);
    const rows = await ordered.execute();
    const hasMore = rows.length > o.pageSize;
    const page = hasMore ? rows.slice(0, o.pageSize) : rows;
    if (!o.includeCredentials?.length || page.length === 0) return { page, hasMore };
    const include = new Set(o.includeCredentials);
    const creds = await this.d.db
      .selectFrom('identity_credentials')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('identity_id', 'in', page.map((r) => r.id))
      .execute();
    const credentials = new Map<string, Record<string, IdentityCredentials>>();
    for (const c of creds) {
      let m = credentials.get(c.identity_id);
      if (!m) credentials.set(c.identity_id, (m = {}));
      m[c.type] = rowToCredentials(c, include.has(c.type));
    }
    return { page, hasMore, credentials };
  }

  // ---------------------------------------------------------------- writes

  /**
   * Creates an identity: validates traits against the project's schema, hashes the password (or
   * imports a bcrypt/argon2 hash), extracts identifiers and addresses from the `ory.sh/kratos`
   * extension. 400 for invalid input, 409 (`identity_already_exists`) for a taken identifier,
   * address or external id.
   */
  async create(project: ResolvedProject, input: CreateIdentityInput): Promise<Identity> {
    this.remember(project);
    const cfg = project.services.identity.config;
    const desired: ReplaceIdentityInput = {
      schema_id: input.schema_id || this.d.schemas.defaultSchemaId(cfg),
      traits: input.traits,
      state: input.state ?? 'active',
      metadata_public: input.metadata_public,
      metadata_admin: input.metadata_admin,
      external_id: input.external_id,
      organization_id: input.organization_id,
      credentials: input.credentials,
      verifiable_addresses: input.verifiable_addresses,
      recovery_addresses: input.recovery_addresses,
    };
    const id = await this.save(project, null, desired);
    return (await this.get(project.id, id))!;
  }

  /** Replaces an identity (PUT semantics). 404 if it is not in the project; 400/409 as `create`. */
  async replace(project: ResolvedProject, id: string, input: ReplaceIdentityInput): Promise<Identity> {
    this.remember(project);
    const existing = await this.row(project.id, id);
    if (!existing) throw notFound('Unable to locate the resource');
    await this.save(project, existing, input);
    return (await this.get(project.id, id))!;
  }

  /** Changes only the traits (self-service settings), re-deriving identifiers and addresses. */
  async updateTraits(project: ResolvedProject, identityId: string, traits: Record<string, unknown>): Promise<Identity> {
    this.remember(project);
    const existing = await this.row(project.id, identityId);
    if (!existing) throw notFound('Unable to locate the resource');
    await this.save(project, existing, {
      schema_id: existing.schema_id,
      traits,
      state: existing.state,
      metadata_public: existing.metadata_public === null ? undefined : JSON.parse(existing.metadata_public),
      metadata_admin: existing.metadata_admin === null ? undefined : JSON.parse(existing.metadata_admin),
      external_id: existing.external_id,
      organization_id: existing.organization_id,
    });
    return (await this.get(project.id, identityId))!;
  }

  /** Deletes an identity with its credentials, addresses and sessions. False if it is not in the project. */
  async delete(projectId: string, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    return this.d.db.transaction().execute(async (trx) => {
      const found = await trx.selectFrom('identities').select('id').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
      if (!found) return false;
      await this.deleteChildren(trx, projectId, id);
      await trx.deleteFrom('identities').where('project_id', '=', projectId).where('id', '=', id).execute();
      return true;
    }).finally(() => this.bump());
  }

  /**
   * Removes one credential type of an identity. 404 if the identity or credential does not exist.
   * Password identifiers are re-created empty on the next traits change.
   */
  async deleteCredential(projectId: string, id: string, type: string): Promise<void> {
    if (!isUuid(id)) throw notFound('Unable to locate the resource');
    const done = await this.d.db.transaction().execute(async (trx) => {
      const cred = await trx.selectFrom('identity_credentials').select('id').where('project_id', '=', projectId).where('identity_id', '=', id).where('type', '=', type).executeTakeFirst();
      if (!cred) return false;
      await trx.deleteFrom('identity_credential_identifiers').where('project_id', '=', projectId).where('credential_id', '=', cred.id).execute();
      await trx.deleteFrom('identity_credentials').where('project_id', '=', projectId).where('id', '=', cred.id).execute();
      await trx.updateTable('identities').set({ updated_at: nowIso() }).where('project_id', '=', projectId).where('id', '=', id).execute();
      return true;
    }).finally(() => this.bump());
    if (!done) throw notFound(`You tried to remove a ${type} credential but this user has no ${type} credential set up.`);
  }

  /**
   * Checks a password against the identity's password credential. Does the same hashing work when
   * the identity or its hash does not exist, so timing reveals nothing. Never throws.
   */
  async verifyPassword(projectId: string, identityId: string, password: string): Promise<boolean> {
    let hashed: string | null = null;
    if (isUuid(identityId)) {
      const row = await this.d.db
        .selectFrom('identity_credentials')
        .select('config')
        .where('project_id', '=', projectId)
        .where('identity_id', '=', identityId)
        .where('type', '=', 'password')
        .executeTakeFirst();
      try {
        const cfg = row ? JSON.parse(row.config) : null;
        hashed = typeof cfg?.hashed_password === 'string' ? cfg.hashed_password : null;
      } catch {
        hashed = null;
      }
    }
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) hashed = null;
    return verifyPasswordHash(hashed, password);
  }

  /**
   * Sets (or replaces) the identity's password; identifiers come from its current traits. The
   * caller checks the password policy first (`checkPasswordPolicy`). 400 for a password beyond the
   * hash input limit, 404 for an identity not in the project.
   */
  async setPassword(project: ResolvedProject, identityId: string, password: string): Promise<void> {
    this.remember(project);
    const existing = await this.row(project.id, identityId);
    if (!existing) throw notFound('Unable to locate the resource');
    await this.save(project, existing, {
      ...this.rowAsInput(existing),
      credentials: { password: { config: { password } } },
    });
  }

  /** Marks one verifiable address of the identity verified (`status: completed`). No-op if absent. */
  async markAddressVerified(projectId: string, identityId: string, value: string): Promise<void> {
    if (!isUuid(identityId)) return;
    await this.d.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('identities').select(['verifiable_addresses']).where('project_id', '=', projectId).where('id', '=', identityId).executeTakeFirst();
      if (!row) return;
      const list = JSON.parse(row.verifiable_addresses) as VerifiableIdentityAddress[];
      const now = nowIso();
      const wanted = value.trim().toLowerCase();
      let changed = false;
      for (const a of list) {
        if (a.value.toLowerCase() === wanted && !a.verified) {
          a.verified = true;
          a.status = 'completed';
          a.verified_at = now;
          a.updated_at = now;
          changed = true;
        }
      }
      if (changed) {
        await trx.updateTable('identities').set({ verifiable_addresses: JSON.stringify(list), updated_at: now }).where('project_id', '=', projectId).where('id', '=', identityId).execute();
      }
    }).finally(() => this.bump());
  }

  // ---------------------------------------------------------------- internals

  /** The project's public base URL (for `schema_url`); slugs never change, so they are cached. */
  async base(projectId: string): Promise<string> {
    let slug = this.slugs.get(projectId);
    if (!slug) {
      const row = await this.d.db.selectFrom('projects').select('slug').where('id', '=', projectId).executeTakeFirst();
      slug = row?.slug ?? projectId;
      this.slugs.set(projectId, slug);
    }
    return projectPublicBase(this.d.config, slug);
  }

  /** Primes the slug cache from a resolved project (free: every project request has one). */
  remember(project: Pick<ResolvedProject, 'id' | 'slug'>): void {
    if (!this.slugs.has(project.id)) this.slugs.set(project.id, project.slug);
  }

  private async row(projectId: string, id: string): Promise<IdentitiesTable | undefined> {
    if (!isUuid(id)) return undefined;
    return this.d.db.selectFrom('identities').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
  }

  /** The input that re-saves an identity unchanged (used by setPassword). */
  rowAsInput(row: IdentitiesTable): ReplaceIdentityInput {
    return {
      schema_id: row.schema_id,
      traits: JSON.parse(row.traits),
      state: row.state,
      metadata_public: row.metadata_public === null ? undefined : JSON.parse(row.metadata_public),
      metadata_admin: row.metadata_admin === null ? undefined : JSON.parse(row.metadata_admin),
      external_id: row.external_id,
      organization_id: row.organization_id,
    };
  }

  private async deleteChildren(trx: Db, projectId: string, id: string): Promise<void> {
    await trx.deleteFrom('sessions').where('project_id', '=', projectId).where('identity_id', '=', id).execute();
    await trx.deleteFrom('identity_addresses').where('project_id', '=', projectId).where('identity_id', '=', id).execute();
    await trx.deleteFrom('identity_credential_identifiers').where('project_id', '=', projectId).where('identity_id', '=', id).execute();
    await trx.deleteFrom('identity_credentials').where('project_id', '=', projectId).where('identity_id', '=', id).execute();
  }

  /** Validates and writes one identity (insert when `existing` is null). Returns its id. */
  /** An identity may only belong to an organization (B2B SSO) of its own project. */
  private async requireOrganization(projectId: string, organizationId: string): Promise<void> {
    const found =
      isUuid(organizationId) &&
      (await this.d.db.selectFrom('organizations').select('id').where('project_id', '=', projectId).where('id', '=', organizationId).executeTakeFirst());
    if (!found) throw badRequest(`organization_id ${JSON.stringify(organizationId.slice(0, 64))} is not an organization of this project.`);
  }

  private async save(project: ResolvedProject, existing: IdentitiesTable | null, input: ReplaceIdentityInput): Promise<string> {
    const cfg = project.services.identity.config;
    if (!input.traits || typeof input.traits !== 'object' || Array.isArray(input.traits)) throw badRequest('traits must be a JSON object.');
    const schema = this.d.schemas.require(cfg, input.schema_id);
    const result = this.d.schemas.validateTraits(schema, input.traits);
    if (!result.ok) throw badRequest(result.message, ErrorId.validationFailed);
    const ext = result.extensions;
    const newHash = await this.passwordHashFrom(input.credentials);
    const externalId = input.external_id === '' ? null : input.external_id ?? null;
    if (externalId !== null && externalId.length > 256) throw badRequest('external_id must be at most 256 characters.');
    const organizationId = input.organization_id || null;
    if (organizationId !== null && organizationId !== existing?.organization_id) await this.requireOrganization(project.id, organizationId);
    const now = nowIso();
    const id = existing?.id ?? newId();
    const prevVerifiable = existing ? (JSON.parse(existing.verifiable_addresses) as VerifiableIdentityAddress[]) : [];
    const prevRecovery = existing ? (JSON.parse(existing.recovery_addresses) as RecoveryIdentityAddress[]) : [];
    const verifiable = buildVerifiable(ext, prevVerifiable, input.verifiable_addresses, now);
    const recovery = buildRecovery(ext, prevRecovery, now);
    const state = input.state ?? 'active';
    const row: IdentitiesTable = {
      id,
      project_id: project.id,
      schema_id: schema.id,
      traits: JSON.stringify(input.traits),
      state,
      state_changed_at: existing ? (existing.state !== state ? now : existing.state_changed_at) : now,
      metadata_public: input.metadata_public === undefined || input.metadata_public === null ? null : JSON.stringify(input.metadata_public),
      metadata_admin: input.metadata_admin === undefined || input.metadata_admin === null ? null : JSON.stringify(input.metadata_admin),
      external_id: externalId,
      organization_id: organizationId,
      verifiable_addresses: JSON.stringify(verifiable),
      recovery_addresses: JSON.stringify(recovery),
      created_at: existing?.created_at ?? now,
      updated_at: now,
    };
    try {
      await this.d.db.transaction().execute(async (trx) => {
        if (existing) {
          const { id: _id, project_id: _p, created_at: _c, ...changes } = row;
          await trx.updateTable('identities').set(changes).where('project_id', '=', project.id).where('id', '=', id).execute();
        } else {
          await trx.insertInto('identities').values(row).execute();
        }
        await this.syncPassword(trx, project.id, id, ext.passwordIdentifiers, newHash, now);
        await trx.deleteFrom('identity_addresses').where('project_id', '=', project.id).where('identity_id', '=', id).execute();
        const addresses = [
          ...verifiable.map((a) => ({ project_id: project.id, kind: 'verifiable' as const, via: a.via, value: a.value, identity_id: id })),
          ...recovery.map((a) => ({ project_id: project.id, kind: 'recovery' as const, via: a.via, value: a.value, identity_id: id })),
        ];
        if (addresses.length) await trx.insertInto('identity_addresses').values(addresses).execute();
      });
    } catch (err) {
      this.bump();
      if (isUniqueViolation(err)) {
        const reason = /external_id/i.test(String((err as Error).message)) && externalId !== null
          ? 'An identity with the same external_id exists already.'
          : IDENTIFIER_CONFLICT;
        throw new OryError(409, 'The resource could not be created due to a conflict', reason, ErrorId.identityExists);
      }
      throw err;
    }
    this.bump();
    return id;
  }

  /** Keeps the password credential's identifiers in step with the traits; stores a new hash if given. */
  private async syncPassword(trx: Db, projectId: string, identityId: string, identifiers: string[], newHash: string | null, now: string): Promise<void> {
    const cred = await trx
      .selectFrom('identity_credentials')
      .select(['id', 'config', 'identifiers'])
      .where('project_id', '=', projectId)
      .where('identity_id', '=', identityId)
      .where('type', '=', 'password')
      .executeTakeFirst();
    if (!cred && identifiers.length === 0 && newHash === null) return;
    const config = newHash !== null ? JSON.stringify({ hashed_password: newHash }) : cred?.config ?? '{}';
    const credId = cred?.id ?? newId();
    if (cred) {
      await trx.updateTable('identity_credentials').set({ identifiers: JSON.stringify(identifiers), config, updated_at: now }).where('project_id', '=', projectId).where('id', '=', credId).execute();
      if (cred.identifiers === JSON.stringify(identifiers)) return;
      await trx.deleteFrom('identity_credential_identifiers').where('project_id', '=', projectId).where('credential_id', '=', credId).execute();
    } else {
      await trx
        .insertInto('identity_credentials')
        .values({ id: credId, project_id: projectId, identity_id: identityId, type: 'password', identifiers: JSON.stringify(identifiers), config, version: 0, created_at: now, updated_at: now })
        .execute();
    }
    if (identifiers.length) {
      await trx
        .insertInto('identity_credential_identifiers')
        .values(identifiers.map((identifier) => ({ project_id: projectId, type: 'password', identifier, identity_id: identityId, credential_id: credId })))
        .execute();
    }
  }

  /** The hash to store for `credentials.password.config`, or null when no password is given. */
  private async passwordHashFrom(credentials: CreateIdentityInput['credentials']): Promise<string | null> {
    const cfg = credentials?.password?.config;
    if (!cfg) return null;
    if (typeof cfg.hashed_password === 'string' && cfg.hashed_password !== '') {
      if (!importedHashKind(cfg.hashed_password)) {
        throw badRequest('The hashed password is not in a supported format: use bcrypt ($2a$, $2b$, cost at most 15) or argon2 ($argon2id$, at most m=131072,t=16,p=16) in PHC form.');
      }
      return cfg.hashed_password;
    }
    if (typeof cfg.password === 'string' && cfg.password !== '') {
      if (Buffer.byteLength(cfg.password, 'utf8') > BCRYPT_MAX_BYTES) {
        throw badRequest(`The password must be at most ${BCRYPT_MAX_BYTES} characters long, but got ${Buffer.byteLength(cfg.password, 'utf8')}.`);
      }
      return hashPassword(cfg.password);
    }
    return null;
  }
}

function buildVerifiable(ext: TraitExtensions, prev: VerifiableIdentityAddress[], imported: CreateIdentityInput['verifiable_addresses'], now: string): VerifiableIdentityAddress[] {
  return ext.verifiable.map(({ via, value }) => {
    const old = prev.find((a) => a.via === via && a.value === value);
    const imp = imported?.find((a) => a && a.via === via && typeof a.value === 'string' && a.value.trim().toLowerCase() === value.toLowerCase());
    if (imp) {
      const verified = imp.verified === true;
      const out: VerifiableIdentityAddress = {
        id: old?.id ?? newId(),
        value,
        verified,
        via,
        status: typeof imp.status === 'string' && imp.status ? imp.status.slice(0, 16) : verified ? 'completed' : 'pending',
        created_at: old?.created_at ?? now,
        updated_at: now,
      };
      if (verified) out.verified_at = typeof imp.verified_at === 'string' && !Number.isNaN(Date.parse(imp.verified_at)) ? new Date(imp.verified_at).toISOString() : now;
      return out;
    }
    if (old) return old;
    return { id: newId(), value, verified: false, via, status: 'pending', created_at: now, updated_at: now };
  });
}

function buildRecovery(ext: TraitExtensions, prev: RecoveryIdentityAddress[], now: string): RecoveryIdentityAddress[] {
  return ext.recovery.map(({ via, value }) => prev.find((a) => a.via === via && a.value === value) ?? { id: newId(), value, via, created_at: now, updated_at: now });
}

