import { LRUCache } from 'lru-cache';
import type { Kysely } from 'kysely';
import type { Notifier } from '../platform/db/notifier.js';
import type { Config } from '../platform/config/config.js';
import type { Database } from '../database.js';
import { isUniqueViolation } from '../platform/db/database.js';
import { scoped } from '../platform/db/scoped.js';
import { ErrorId, OryError, badRequest, notFound } from '../platform/errors/errors.js';
import { isUuid, newId, nowIso } from '../platform/ids.js';
import type { ResolvedProject } from '../tenancy/project-resolver.js';
import { IdentityStore, type Scope } from './identity-store.js';
import { rowToCredentials, rowToIdentity, type Identity, type IdentityCredentials, type RecoveryIdentityAddress, type VerifiableIdentityAddress } from './models.js';
import { BCRYPT_MAX_BYTES, MAX_PASSWORD_BYTES, hashPassword, importedHashKind, verifyPasswordHash } from './passwords.js';
import { ProjectPublicBases } from './public-url.js';
import { normalizeIdentifier, type SchemaService, type TraitExtensions } from './schemas.js';
import { SessionStore } from './session-store.js';
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
   * Serve repeated admin reads (`get` with `cached`) and whoami from bounded in-process caches (1 s
   * TTL) of model objects, dropped on every identity or session write on any node: at once on the
   * writing node, through the notifier on the others. While the notifier cannot hear other nodes,
   * the caches are bypassed.
   */
  cacheReads?: boolean;
  notifier?: Notifier;
}

const IDENTIFIER_CONFLICT = 'This identity conflicts with another identity that already exists.';
/** Reads asking for more credential configs than this are not cached (bounds the key space). */
const MAX_CACHED_INCLUDES = 4;

/**
 * Identities of a project: create, read, replace, delete, passwords and addresses. Every query runs
 * in the scope of the project id given by the caller (never one from a request body). Identifier and
 * address uniqueness is per project and enforced by unique indexes; violations become 409.
 */
export class IdentityService {
  /**
   * Bumped after every write to identities (and by the session service after session writes):
   * in-process read caches drop whatever they cached under an older value.
   */
  generation = 0;
  private readonly readCache = new LRUCache<string, { generation: number; identity: Identity }>({ max: 10_000, ttl: 1000, ttlAutopurge: false });
  private readonly store: IdentityStore;
  private readonly sessionRows: SessionStore;
  /** Public base URLs of projects by id (for `schema_url`). */
  readonly publicBases: ProjectPublicBases;

  constructor(private readonly d: IdentityServiceDeps) {
    d.notifier?.subscribe((m) => {
      if (m.type === 'identity-write') this.generation++;
    });
    this.store = new IdentityStore(d.db);
    this.sessionRows = new SessionStore(d.db);
    this.publicBases = new ProjectPublicBases(d.config, (projectId) => this.store.projectSlug(d.db, projectId));
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

  /** Primes the public-URL memo from a resolved project (free: every project request has one). */
  remember(project: Pick<ResolvedProject, 'id' | 'slug'>): void {
    this.publicBases.remember(project);
  }

  private scope(projectId: string): Scope {
    return scoped(this.d.db, projectId);
  }

  // ---------------------------------------------------------------- reads

  /**
   * One identity of a project, or null (also for another project's id). One indexed query.
   * Credentials metadata is always included; `config` only for the types in `includeCredentials`.
   * With `cached`, an admin view may come from the read cache (see `cacheReads`): the object is then
   * shared, so the caller must not change it.
   */
  async get(projectId: string, id: string, opts: { includeCredentials?: string[]; admin?: boolean; cached?: boolean } = {}): Promise<Identity | null> {
    if (!isUuid(id)) return null;
    const include = opts.includeCredentials ?? [];
    const admin = opts.admin !== false;
    const key = opts.cached && admin && include.length <= MAX_CACHED_INCLUDES && this.cachesUsable ? `${projectId}:${id}:${include.join(',')}` : null;
    if (key) {
      const hit = this.readCache.get(key);
      if (hit && hit.generation === this.generation) return hit.identity;
    }
    // Cached under the generation read before the query: a write racing with it invalidates it.
    const generation = this.generation;
    const rows = await this.store.withCredentials(this.scope(projectId), id);
    if (rows.length === 0) return null;
    const identity = rowToIdentity(rows[0], await this.publicBases.of(projectId), { admin });
    const wanted = new Set(include);
    const credentials: Record<string, IdentityCredentials> = {};
    for (const r of rows) {
      if (!r.c_type) continue;
      credentials[r.c_type] = rowToCredentials(
        { type: r.c_type, identifiers: r.c_identifiers!, version: r.c_version!, created_at: r.c_created_at!, updated_at: r.c_updated_at!, config: r.c_config! },
        wanted.has(r.c_type),
      );
    }
    identity.credentials = credentials;
    if (key) this.readCache.set(key, { generation, identity });
    return identity;
  }

  /** Whether the identity exists in the project. */
  async exists(projectId: string, id: string): Promise<boolean> {
    return isUuid(id) && this.store.exists(this.scope(projectId), id);
  }

  /** The identity with this external id in the project, or null. */
  async getByExternalId(projectId: string, externalId: string, opts: { includeCredentials?: string[] } = {}): Promise<Identity | null> {
    const id = await this.store.idByExternalId(this.scope(projectId), externalId);
    return id ? this.get(projectId, id, opts) : null;
  }

  /** The identity whose password credential lists `identifier` (case-insensitive), or null. */
  async findByPasswordIdentifier(projectId: string, identifier: string): Promise<Identity | null> {
    const [id] = await this.store.idsByIdentifier(this.scope(projectId), 'password', normalizeIdentifier(identifier));
    return id ? this.get(projectId, id) : null;
  }

  /** The identity owning a verifiable (`kind: 'verifiable'`) or recovery address, or null. */
  async findByAddress(projectId: string, kind: 'verifiable' | 'recovery', value: string): Promise<Identity | null> {
    const trimmed = value.trim();
    const id = await this.store.idByAddress(this.scope(projectId), kind, [trimmed.toLowerCase(), trimmed]);
    return id ? this.get(projectId, id) : null;
  }

  /** A page of identities in id (creation) order; fetches `pageSize + 1` rows to know if there is more. */
  async list(projectId: string, o: ListIdentitiesOptions): Promise<{ identities: Identity[]; hasMore: boolean }> {
    const scope = this.scope(projectId);
    let ids = o.ids?.filter(isUuid);
    if (o.credentialsIdentifier !== undefined) {
      // Resolved first through the identifier index, so the page query stays a primary-key lookup.
      const found = [...new Set(await this.store.idsByIdentifier(scope, 'password', normalizeIdentifier(o.credentialsIdentifier)))];
      ids = ids ? ids.filter((id) => found.includes(id)) : found;
    }
    if (ids && ids.length === 0) return { identities: [], hasMore: false };
    const rows = await this.store.page(scope, { limit: o.pageSize + 1, after: o.after, offset: o.offset, ids, organizationId: o.organizationId });
    const hasMore = rows.length > o.pageSize;
    const page = hasMore ? rows.slice(0, o.pageSize) : rows;
    const base = await this.publicBases.of(projectId);
    const identities = page.map((r) => rowToIdentity(r, base, { admin: true }));
    if (o.includeCredentials?.length && page.length > 0) {
      const include = new Set(o.includeCredentials);
      const byIdentity = new Map<string, Record<string, IdentityCredentials>>();
      for (const c of await this.store.credentialsOf(scope, page.map((r) => r.id))) {
        let m = byIdentity.get(c.identity_id);
        if (!m) byIdentity.set(c.identity_id, (m = {}));
        m[c.type] = rowToCredentials(c, include.has(c.type));
      }
      for (const i of identities) i.credentials = byIdentity.get(i.id) ?? {};
    }
    return { identities, hasMore };
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
    const desired: ReplaceIdentityInput = {
      schema_id: input.schema_id || this.d.schemas.defaultSchemaId(project.services.identity.config),
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
    await this.save(project, await this.existing(project, id), input);
    return (await this.get(project.id, id))!;
  }

  /** Changes only the traits (self-service settings), re-deriving identifiers and addresses. 404 if absent. */
  async updateTraits(project: ResolvedProject, identityId: string, traits: Record<string, unknown>): Promise<Identity> {
    const existing = await this.existing(project, identityId);
    await this.save(project, existing, { ...this.rowAsInput(existing), traits });
    return (await this.get(project.id, identityId))!;
  }

  /** Deletes an identity with its credentials, addresses and sessions. False if it is not in the project. */
  async delete(projectId: string, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    return this.scope(projectId)
      .transaction(async (tx) => {
        if (!(await this.store.exists(tx, id))) return false;
        await this.sessionRows.delete(tx, { identityId: id });
        await this.store.delete(tx, id);
        return true;
      })
      .finally(() => this.bump());
  }

  /**
   * Removes one credential type of an identity. 404 if the identity or credential does not exist.
   * Password identifiers are re-created empty on the next traits change.
   */
  async deleteCredential(projectId: string, id: string, type: string): Promise<void> {
    if (!isUuid(id)) throw notFound('Unable to locate the resource');
    const done = await this.scope(projectId)
      .transaction(async (tx) => {
        const cred = await this.store.credential(tx, id, type);
        if (!cred) return false;
        await this.store.deleteCredential(tx, cred.id);
        await this.store.update(tx, id, { updated_at: nowIso() });
        return true;
      })
      .finally(() => this.bump());
    if (!done) throw notFound(`You tried to remove a ${type} credential but this user has no ${type} credential set up.`);
  }

  /**
   * Checks a password against the identity's password credential. Does the same hashing work when
   * the identity or its hash does not exist, so timing reveals nothing. Never throws.
   */
  async verifyPassword(projectId: string, identityId: string, password: string): Promise<boolean> {
    let hashed: string | null = null;
    if (isUuid(identityId)) {
      const row = await this.store.credential(this.scope(projectId), identityId, 'password');
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
    const existing = await this.existing(project, identityId);
    await this.save(project, existing, { ...this.rowAsInput(existing), credentials: { password: { config: { password } } } });
  }

  /** Marks one verifiable address of the identity verified (`status: completed`). No-op if absent. */
  async markAddressVerified(projectId: string, identityId: string, value: string): Promise<void> {
    if (!isUuid(identityId)) return;
    await this.scope(projectId)
      .transaction(async (tx) => {
        const row = await this.store.row(tx, identityId);
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
        if (changed) await this.store.update(tx, identityId, { verifiable_addresses: JSON.stringify(list), updated_at: now });
      })
      .finally(() => this.bump());
  }

  // ---------------------------------------------------------------- internals

  /** The input that re-saves an identity unchanged (setPassword and updateTraits change one part of it). */
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

  /** The stored row of an identity about to be changed; 404 if it is not in the project. */
  private async existing(project: ResolvedProject, id: string): Promise<IdentitiesTable> {
    this.remember(project);
    const row = isUuid(id) ? await this.store.row(this.scope(project.id), id) : undefined;
    if (!row) throw notFound('Unable to locate the resource');
    return row;
  }

  /** An identity may only belong to an organization (B2B SSO) of its own project. */
  private async requireOrganization(scope: Scope, organizationId: string): Promise<void> {
    const found = isUuid(organizationId) && (await this.store.organizationExists(scope, organizationId));
    if (!found) throw badRequest(`organization_id ${JSON.stringify(organizationId.slice(0, 64))} is not an organization of this project.`);
  }

  /** Validates and writes one identity (insert when `existing` is null). Returns its id. */
  private async save(project: ResolvedProject, existing: IdentitiesTable | null, input: ReplaceIdentityInput): Promise<string> {
    const scope = this.scope(project.id);
    if (!input.traits || typeof input.traits !== 'object' || Array.isArray(input.traits)) throw badRequest('traits must be a JSON object.');
    const schema = this.d.schemas.require(project.services.identity.config, input.schema_id);
    const result = this.d.schemas.validateTraits(schema, input.traits);
    if (!result.ok) throw badRequest(result.message, ErrorId.validationFailed);
    const ext = result.extensions;
    const newHash = await this.passwordHashFrom(input.credentials);
    const externalId = input.external_id === '' ? null : input.external_id ?? null;
    if (externalId !== null && externalId.length > 256) throw badRequest('external_id must be at most 256 characters.');
    const organizationId = input.organization_id || null;
    if (organizationId !== null && organizationId !== existing?.organization_id) await this.requireOrganization(scope, organizationId);
    const now = nowIso();
    const id = existing?.id ?? newId();
    const prevVerifiable = existing ? (JSON.parse(existing.verifiable_addresses) as VerifiableIdentityAddress[]) : [];
    const prevRecovery = existing ? (JSON.parse(existing.recovery_addresses) as RecoveryIdentityAddress[]) : [];
    const verifiable = buildVerifiable(ext, prevVerifiable, input.verifiable_addresses, now);
    const recovery = buildRecovery(ext, prevRecovery, now);
    const state = input.state ?? 'active';
    const changes = {
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
      updated_at: now,
    };
    try {
      await scope.transaction(async (tx) => {
        if (existing) await this.store.update(tx, id, changes);
        else await this.store.insert(tx, { id, ...changes, created_at: now });
        await this.syncPassword(tx, id, ext.passwordIdentifiers, newHash, now);
        await this.store.replaceAddresses(tx, id, [
          ...verifiable.map((a) => ({ kind: 'verifiable' as const, via: a.via, value: a.value, identity_id: id })),
          ...recovery.map((a) => ({ kind: 'recovery' as const, via: a.via, value: a.value, identity_id: id })),
        ]);
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
  private async syncPassword(tx: Scope, identityId: string, identifiers: string[], newHash: string | null, now: string): Promise<void> {
    const cred = await this.store.credential(tx, identityId, 'password');
    if (!cred && identifiers.length === 0 && newHash === null) return;
    const config = newHash !== null ? JSON.stringify({ hashed_password: newHash }) : cred?.config ?? '{}';
    const identifiersJson = JSON.stringify(identifiers);
    const credId = cred?.id ?? newId();
    if (cred) {
      await this.store.updateCredential(tx, credId, { identifiers: identifiersJson, config, updated_at: now });
      if (cred.identifiers === identifiersJson) return;
    } else {
      await this.store.insertCredential(tx, { id: credId, identity_id: identityId, type: 'password', identifiers: identifiersJson, config, version: 0, created_at: now, updated_at: now });
    }
    await this.store.replaceIdentifiers(tx, credId, identityId, 'password', identifiers);
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

