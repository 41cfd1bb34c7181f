import { createHmac } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Kysely } from 'kysely';
import { randomToken, secretHash } from '../platform/crypto.js';
import type { Database } from '../database.js';
import { scoped } from '../platform/db/scoped.js';
import { isUuid, newId, nowIso } from '../platform/ids.js';
import { notFound } from '../platform/errors/errors.js';
import type { ResolvedProject } from '../tenancy/project-resolver.js';
import { readIdentityConfig } from './identity-config.js';
import type { Scope } from './identity-store.js';
import type { IdentityService } from './identity-service.js';
import { rowToIdentity, rowToSession, type Session, type SessionAuthenticationMethod, type SessionDevice } from './models.js';
import { SessionStore, type SessionWithIdentityRow } from './session-store.js';

/** The cookie that carries a browser's session token (Kratos' name). */
export const SESSION_COOKIE = 'ory_kratos_session';
/** Session tokens look like Kratos': `ory_st_` and 32 base62 characters (~190 bits). */
const TOKEN_PREFIX = 'ory_st_';
const TOKEN_BODY_LENGTH = 32;
/** Sessions one wildcard `manage` call processes; the caller repeats while `more` is true. */
const MANAGE_BATCH = 1000;
/** Ids per update or delete statement of `manage`. */
const MANAGE_CHUNK = 500;

export interface IssueSessionOptions {
  methods: { method: string; aal: 'aal1' | 'aal2'; completed_at: string; provider?: string }[];
  devices?: { ip_address?: string; user_agent?: string }[];
}

export interface ListSessionsOptions {
  pageSize: number;
  after?: string;
  /** Legacy offset pagination (`page`). */
  offset?: number;
  identityId?: string;
  active?: boolean;
  exceptSessionId?: string;
  expandIdentity?: boolean;
  expandDevices?: boolean;
  /** The embedded identities go to the end user: leave out `metadata_admin`. */
  publicIdentity?: boolean;
}

export interface SessionServiceDeps {
  db: Kysely<Database>;
  secret: string;
  identities: IdentityService;
  /**
   * Serve repeated whoami calls (`byToken` with `cached`) from a bounded in-process cache (1 s TTL,
   * dropped on every identity or session write; see `IdentityService.cachesUsable`).
   */
  cacheWhoami?: boolean;
}

interface CachedSession {
  generation: number;
  expiresAtMs: number;
  session: Session;
}

/**
 * A new session token: `ory_st_` and 32 base62 characters. `randomToken` gives base64url; its first
 * 42 characters carry 6 uniform random bits each, and keeping only the alphanumeric ones leaves
 * uniform base62 characters, so the format (and its ~190 bits) stays what clients already hold.
 */
function newSessionToken(): string {
  let body = '';
  while (body.length < TOKEN_BODY_LENGTH) body += randomToken().slice(0, 42).replace(/[-_]/g, '');
  return TOKEN_PREFIX + body.slice(0, TOKEN_BODY_LENGTH);
}

/**
 * How session tokens were hashed before they went through `secretHash`: HMAC-SHA256 of
 * `session:{token}`, hex. Sessions issued then keep this hash in `token_hash` and their tokens stay
 * in clients' hands until the sessions expire, so lookups accept it next to the current form.
 */
function legacyTokenHash(secret: string, token: string): string {
  return createHmac('sha256', secret).update(`session:${token}`).digest('hex');
}

const plausibleToken = (token: unknown): token is string => typeof token === 'string' && token.length >= 8 && token.length <= 512;

/**
 * Sessions of a project's identities. Tokens are random, shown once to the caller of `issue`, and
 * stored only as their HMAC under the server secret. Every query runs in the project's scope.
 */
export class SessionService {
  private readonly store: SessionStore;
  // Keyed by the token's HMAC, never by the token.
  private readonly whoamiCache = new LRUCache<string, CachedSession>({ max: 10_000, ttl: 1000, ttlAutopurge: false });

  constructor(private readonly d: SessionServiceDeps) {
    this.store = new SessionStore(d.db);
  }

  private scope(projectId: string): Scope {
    return scoped(this.d.db, projectId);
  }

  /** The hashes a token may be stored under: the current form (written by `issue`) and the legacy one. */
  private tokenHashes(token: string): readonly [string, string] {
    return [secretHash(this.d.secret, 'session', token), legacyTokenHash(this.d.secret, token)];
  }

  /**
   * Issues a session for an identity of the project (404 if it is not one); lifespan from
   * `session.lifespan` of its config. The token is returned once and stored only as its HMAC.
   */
  async issue(project: ResolvedProject, identityId: string, opts: IssueSessionOptions): Promise<{ session: Session; token: string }> {
    this.d.identities.remember(project);
    // The foreign key alone would accept another project's identity: check the tenant first.
    if (!(await this.d.identities.exists(project.id, identityId))) throw notFound('Unable to locate the resource');
    const token = newSessionToken();
    const now = new Date();
    const lifespan = readIdentityConfig(project.services.identity.config).session.lifespanMs;
    const methods: SessionAuthenticationMethod[] = opts.methods.map((m) => ({ method: m.method, aal: m.aal, completed_at: m.completed_at, ...(m.provider ? { provider: m.provider } : {}) }));
    const aal = methods.some((m) => m.aal === 'aal2') ? 'aal2' : 'aal1';
    const authenticatedAt = methods.map((m) => m.completed_at).sort().at(-1) ?? now.toISOString();
    const devices: SessionDevice[] = (opts.devices ?? []).map((d) => ({
      id: newId(),
      ...(d.ip_address ? { ip_address: d.ip_address.slice(0, 64) } : {}),
      ...(d.user_agent ? { user_agent: d.user_agent.slice(0, 512) } : {}),
      location: '',
    }));
    const id = newId();
    await this.store.insert(this.scope(project.id), {
      id,
      identity_id: identityId,
      token_hash: this.tokenHashes(token)[0],
      active: 1,
      aal,
      authentication_methods: JSON.stringify(methods),
      devices: JSON.stringify(devices),
      issued_at: now.toISOString(),
      authenticated_at: authenticatedAt,
      expires_at: new Date(now.getTime() + lifespan).toISOString(),
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
    });
    // The end user receives this session (registration, login): no admin metadata in it.
    const session = (await this.get(project.id, id, { expandIdentity: true, expandDevices: true, publicIdentity: true }))!;
    return { session, token };
  }

  /**
   * The active, unexpired session behind a token, with its identity (end-user view) and devices, or
   * null (also when the identity is inactive). One indexed query: sessions joined to identities.
   * With `cached` (whoami), the answer may come from the read cache: the object is then shared, so
   * the caller must not change it.
   */
  async byToken(project: ResolvedProject, token: string, opts: { cached?: boolean } = {}): Promise<Session | null> {
    if (!plausibleToken(token)) return null;
    const hashes = this.tokenHashes(token);
    const key = opts.cached && this.d.cacheWhoami && this.d.identities.cachesUsable ? `${project.id}:${hashes[0]}` : null;
    if (key) {
      const hit = this.whoamiCache.get(key);
      if (hit && hit.generation === this.d.identities.generation && hit.expiresAtMs > Date.now()) return hit.session;
    }
    // Cached under the generation read before the query: a write racing with it invalidates it.
    const generation = this.d.identities.generation;
    this.d.identities.remember(project);
    const row = await this.store.byTokenHash(this.scope(project.id), hashes);
    if (!row || row.active !== 1 || Date.parse(row.expires_at) <= Date.now() || row.i_state !== 'active') return null;
    const session = rowToSession(row, { devices: true });
    session.identity = rowToIdentity(identityRowOf(row), await this.d.identities.publicBases.of(project.id), { admin: false });
    if (key) this.whoamiCache.set(key, { generation, expiresAtMs: Date.parse(row.expires_at), session });
    return session;
  }

  /** Drops cached reads after a session write (see `IdentityService.generation`). */
  private changed(): void {
    this.d.identities.bump();
  }

  /** One session of the project by id (any state), or null. */
  async get(projectId: string, sessionId: string, opts: { expandIdentity?: boolean; expandDevices?: boolean; publicIdentity?: boolean } = {}): Promise<Session | null> {
    if (!isUuid(sessionId)) return null;
    const row = await this.store.get(this.scope(projectId), sessionId);
    if (!row) return null;
    const session = rowToSession(row, { devices: opts.expandDevices === true });
    if (opts.expandIdentity) {
      const identity = await this.d.identities.get(projectId, row.identity_id, { admin: opts.publicIdentity !== true });
      if (identity) {
        delete identity.credentials;
        session.identity = identity;
      }
    }
    return session;
  }

  /** The identity id a session belongs to (for ownership checks), or null. */
  async ownerOf(projectId: string, sessionId: string): Promise<string | null> {
    if (!isUuid(sessionId)) return null;
    return (await this.store.ownerOf(this.scope(projectId), sessionId)) ?? null;
  }

  /** A page of sessions (optionally of one identity), newest id last; `pageSize + 1` rows read. */
  async list(projectId: string, o: ListSessionsOptions): Promise<{ sessions: Session[]; hasMore: boolean }> {
    const rows = await this.store.page(this.scope(projectId), {
      limit: o.pageSize + 1, after: o.after, offset: o.offset, identityId: o.identityId, active: o.active, exceptSessionId: o.exceptSessionId, now: nowIso(),
    });
    const hasMore = rows.length > o.pageSize;
    const page = hasMore ? rows.slice(0, o.pageSize) : rows;
    const sessions = page.map((r) => rowToSession(r, { devices: o.expandDevices === true }));
    if (o.expandIdentity && page.length) {
      const ids = [...new Set(page.map((r) => r.identity_id))];
      const { identities } = await this.d.identities.list(projectId, { pageSize: ids.length, ids });
      if (o.publicIdentity) for (const i of identities) delete i.metadata_admin;
      const byId = new Map(identities.map((i) => [i.id, i]));
      page.forEach((r, k) => {
        const identity = byId.get(r.identity_id);
        if (identity) sessions[k].identity = identity;
      });
    }
    return { sessions, hasMore };
  }

  /** Revokes (deactivates) one session of the project. False if it does not exist there. */
  async revoke(projectId: string, sessionId: string): Promise<boolean> {
    if (!isUuid(sessionId)) return false;
    const n = await this.store.deactivate(this.scope(projectId), { ids: [sessionId] }, nowIso());
    this.changed();
    return n > 0;
  }

  /** Revokes the session behind a token. False if the token is unknown in this project. */
  async revokeByToken(project: ResolvedProject, token: string): Promise<boolean> {
    if (!plausibleToken(token)) return false;
    const n = await this.store.deactivate(this.scope(project.id), { tokenHashes: this.tokenHashes(token) }, nowIso());
    this.changed();
    return n > 0;
  }

  /** Revokes every active session of an identity except one; returns how many were revoked. */
  async revokeAllOfIdentity(projectId: string, identityId: string, exceptSessionId?: string): Promise<number> {
    if (!isUuid(identityId)) return 0;
    const n = await this.store.deactivate(this.scope(projectId), { identityId, exceptSessionId }, nowIso());
    this.changed();
    return n;
  }

  /** Deletes every session of an identity (admin). Returns how many were deleted. */
  async deleteAllOfIdentity(projectId: string, identityId: string): Promise<number> {
    if (!isUuid(identityId)) return 0;
    const n = await this.store.delete(this.scope(projectId), { identityId });
    this.changed();
    return n;
  }

  /**
   * Disables (deactivates) or deletes the project's sessions of the given identities, the given
   * sessions, or, with `identities: '*'`, of every identity in batches of `MANAGE_BATCH` (Ory's
   * `manageSessions`). `processed` counts sessions that were active before a disable, or rows
   * deleted; `more` is true when a wildcard call hit the batch limit. Ids that are not UUIDs or
   * belong to another project match nothing. Only rows of `projectId` are ever touched.
   */
  async manage(
    projectId: string,
    action: 'disable' | 'delete',
    target: { identities: string[] | '*' } | { sessions: string[] },
  ): Promise<{ processed: number; more: boolean }> {
    const scope = this.scope(projectId);
    const wildcard = 'identities' in target && target.identities === '*';
    let which: Parameters<SessionStore['ids']>[1] = { limit: MANAGE_BATCH };
    if (!wildcard) {
      const listed = ('identities' in target ? (target.identities as string[]) : target.sessions).filter(isUuid);
      if (listed.length === 0) return { processed: 0, more: false };
      which = 'identities' in target ? { identityIds: listed } : { ids: listed };
    }
    const ids = await this.store.ids(scope, which, action === 'disable');
    let processed = 0;
    for (let i = 0; i < ids.length; i += MANAGE_CHUNK) {
      const chunk = ids.slice(i, i + MANAGE_CHUNK);
      processed += action === 'disable' ? await this.store.deactivate(scope, { ids: chunk, onlyActive: true }, nowIso()) : await this.store.delete(scope, { ids: chunk });
    }
    if (ids.length) this.changed();
    return { processed, more: wildcard && ids.length === MANAGE_BATCH };
  }

  /**
   * Adds a completed method to an active session of the identity (Kratos upgrades the session a
   * second factor completes, keeping its id and token): its AAL becomes the method's if higher, and
   * it counts as authenticated now. Returns the session as the end user sees it, or null.
   */
  async completeMethod(project: ResolvedProject, sessionId: string, identityId: string, method: { method: string; aal: 'aal1' | 'aal2'; completed_at: string }): Promise<Session | null> {
    if (!isUuid(sessionId)) return null;
    const scope = this.scope(project.id);
    const row = await this.store.get(scope, sessionId);
    if (!row || row.identity_id !== identityId || row.active !== 1 || Date.parse(row.expires_at) <= Date.now()) return null;
    const methods = [...(JSON.parse(row.authentication_methods) as SessionAuthenticationMethod[]), method];
    const aal = row.aal === 'aal2' || method.aal === 'aal2' ? 'aal2' : 'aal1';
    await this.store.authenticate(scope, sessionId, { aal, authentication_methods: JSON.stringify(methods), authenticated_at: method.completed_at, updated_at: nowIso() });
    this.changed();
    return this.get(project.id, sessionId, { expandIdentity: true, expandDevices: true, publicIdentity: true });
  }

  /**
   * Extends an active session by the configured lifespan from now (Kratos' extend). Returns the
   * session, or null if it does not exist in the project or is no longer active.
   */
  async extend(project: ResolvedProject, sessionId: string): Promise<Session | null> {
    if (!isUuid(sessionId)) return null;
    const scope = this.scope(project.id);
    const row = await this.store.get(scope, sessionId);
    if (!row || row.active !== 1 || Date.parse(row.expires_at) <= Date.now()) return null;
    const { lifespanMs, earliestPossibleExtendMs } = readIdentityConfig(project.services.identity.config).session;
    // `session.earliest_possible_extend`: a session is only extended once its remaining lifetime
    // has dropped below this window; earlier requests are accepted and change nothing (as Kratos).
    if (Date.parse(row.expires_at) - Date.now() <= earliestPossibleExtendMs) {
      await this.store.setExpiry(scope, sessionId, new Date(Date.now() + lifespanMs).toISOString(), nowIso());
      this.changed();
    }
    return this.get(project.id, sessionId, { expandIdentity: true, expandDevices: true });
  }
}

/** The identity columns of a whoami row as an identity row (end-user view: no admin metadata). */
function identityRowOf(row: SessionWithIdentityRow) {
  return {
    id: row.identity_id, project_id: row.project_id, schema_id: row.i_schema_id, traits: row.i_traits, state: row.i_state,
    state_changed_at: row.i_state_changed_at, metadata_public: row.i_metadata_public, metadata_admin: null, external_id: row.i_external_id,
    organization_id: row.i_organization_id, verifiable_addresses: row.i_verifiable_addresses, recovery_addresses: row.i_recovery_addresses,
    created_at: row.i_created_at, updated_at: row.i_updated_at,
  };
}
