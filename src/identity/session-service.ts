import { createHmac, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Kysely } from 'kysely';
import type { Database } from '../platform/db/schema.js';
import { isUuid, newId, nowIso } from '../platform/ids.js';
import { notFound } from '../platform/errors/errors.js';
import type { ResolvedProject } from '../tenancy/project-resolver.js';
import { parseDurationMs } from './duration.js';
import { preparedQuery } from './prepared.js';
import { identityJson, sessionJson } from './wire-json.js';
import type { IdentityService } from './identity-service.js';
import { rowToIdentity, rowToSession, type Session, type SessionAuthenticationMethod, type SessionDevice } from './models.js';
import type { SessionsTable } from './tables.js';

/** The cookie that carries a browser's session token (Kratos' name). */
export const SESSION_COOKIE = 'ory_kratos_session';
/** Session tokens look like Kratos': `ory_st_` and 32 base62 characters (~190 bits). */
const TOKEN_PREFIX = 'ory_st_';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const DEFAULT_LIFESPAN_MS = 72 * 3600_000;
/** Sessions one wildcard `manage` call processes; the caller repeats while `more` is true. */
const MANAGE_BATCH = 1000;

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
   * Serve repeated whoami calls from a bounded in-process cache (1 s TTL, dropped on every identity
   * or session write in this process). Only safe where this process is the only writer: the
   * embedded SQLite store. Off on PostgreSQL, where other nodes write too.
   */
  cacheWhoami?: boolean;
}

interface CachedWhoami {
  generation: number;
  expiresAtMs: number;
  identityId: string;
  body: string;
}

function randomToken(): string {
  const bytes = randomBytes(64);
  let out = '';
  for (const b of bytes) {
    if (b >= 248) continue; // 248 = 4 * 62: reject to stay unbiased
    out += BASE62[b % 62];
    if (out.length === 32) break;
  }
  return out.length === 32 ? TOKEN_PREFIX + out : randomToken();
}

/**
 * Sessions of a project's identities. Tokens are random, shown once to the caller of `issue`, and
 * stored only as HMAC-SHA256 under the server secret. Every query is filtered by project id.
 */
export class SessionService {
  // whoami's one query: the session by token hash joined to its identity, compiled once.
  private readonly byTokenQuery;
  // Keyed by the token's HMAC, never by the token.
  private readonly whoamiCache = new LRUCache<string, CachedWhoami>({ max: 10_000, ttl: 1000, ttlAutopurge: false });

  constructor(private readonly d: SessionServiceDeps) {
    this.byTokenQuery = preparedQuery(d.db, (db) =>
      db
        .selectFrom('sessions as s')
        .innerJoin('identities as i', (j) => j.onRef('i.id', '=', 's.identity_id').onRef('i.project_id', '=', 's.project_id'))
        .selectAll('s')
        .select([
          'i.schema_id as i_schema_id', 'i.traits as i_traits', 'i.state as i_state', 'i.state_changed_at as i_state_changed_at',
          'i.metadata_public as i_metadata_public', 'i.external_id as i_external_id', 'i.organization_id as i_organization_id',
          'i.verifiable_addresses as i_verifiable_addresses', 'i.recovery_addresses as i_recovery_addresses',
          'i.created_at as i_created_at', 'i.updated_at as i_updated_at',
        ])
        .where('s.project_id', '=', '')
        .where('s.token_hash', '=', ''),
    );
  }

  hashToken(token: string): string {
    return createHmac('sha256', this.d.secret).update(`session:${token}`).digest('hex');
  }

  /**
   * Issues a session for an identity of the project (404 if it is not one); lifespan from
   * `session.lifespan` of its config. The token is returned once and stored only as its HMAC.
   */
  async issue(project: ResolvedProject, identityId: string, opts: IssueSessionOptions): Promise<{ session: Session; token: string }> {
    this.d.identities.remember(project);
    // The foreign key alone would accept another project's identity: check the tenant first.
    const owner = isUuid(identityId)
      ? await this.d.db.selectFrom('identities').select('id').where('project_id', '=', project.id).where('id', '=', identityId).executeTakeFirst()
      : undefined;
    if (!owner) throw notFound('Unable to locate the resource');
    const token = randomToken();
    const now = new Date();
    const lifespan = parseDurationMs(project.services.identity.config?.session?.lifespan, DEFAULT_LIFESPAN_MS);
    const methods: SessionAuthenticationMethod[] = opts.methods.map((m) => ({ method: m.method, aal: m.aal, completed_at: m.completed_at, ...(m.provider ? { provider: m.provider } : {}) }));
    const aal = methods.some((m) => m.aal === 'aal2') ? 'aal2' : 'aal1';
    const authenticatedAt = methods.map((m) => m.completed_at).sort().at(-1) ?? now.toISOString();
    const devices: SessionDevice[] = (opts.devices ?? []).map((d) => ({
      id: newId(),
      ...(d.ip_address ? { ip_address: d.ip_address.slice(0, 64) } : {}),
      ...(d.user_agent ? { user_agent: d.user_agent.slice(0, 512) } : {}),
      location: '',
    }));
    const row: SessionsTable = {
      id: newId(),
      project_id: project.id,
      identity_id: identityId,
      token_hash: this.hashToken(token),
      active: 1,
      aal,
      authentication_methods: JSON.stringify(methods),
      devices: JSON.stringify(devices),
      issued_at: now.toISOString(),
      authenticated_at: authenticatedAt,
      expires_at: new Date(now.getTime() + lifespan).toISOString(),
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
    };
    await this.d.db.insertInto('sessions').values(row).execute();
    // The end user receives this session (registration, login): no admin metadata in it.
    const session = (await this.get(project.id, row.id, { expandIdentity: true, expandDevices: true, publicIdentity: true }))!;
    return { session, token };
  }

  /**
   * The active, unexpired session behind a token, with its identity and devices, or null (also when
   * the identity is inactive). One indexed query: sessions joined to identities.
   */
  async byToken(project: ResolvedProject, token: string): Promise<Session | null> {
    const row = await this.activeRow(project, token);
    if (!row) return null;
    const session = rowToSession(row, { devices: true });
    session.identity = rowToIdentity(
      {
        id: row.identity_id, project_id: row.project_id, schema_id: row.i_schema_id, traits: row.i_traits, state: row.i_state,
        state_changed_at: row.i_state_changed_at, metadata_public: row.i_metadata_public, metadata_admin: null, external_id: row.i_external_id,
        organization_id: row.i_organization_id, verifiable_addresses: row.i_verifiable_addresses, recovery_addresses: row.i_recovery_addresses,
        created_at: row.i_created_at, updated_at: row.i_updated_at,
      },
      await this.d.identities.base(project.id),
      { admin: false },
    );
    return session;
  }

  /**
   * whoami's answer as ready JSON text (the same document `byToken` returns, built without a
   * parse/stringify round trip), or null when there is no active session for the token.
   */
  async whoami(project: ResolvedProject, token: string): Promise<{ identityId: string; body: string } | null> {
    if (typeof token !== 'string' || token.length < 8 || token.length > 512) return null;
    const key = this.d.cacheWhoami && this.d.identities.cachesUsable ? `${project.id}:${this.hashToken(token)}` : null;
    if (key) {
      const hit = this.whoamiCache.get(key);
      if (hit && hit.generation === this.d.identities.generation && hit.expiresAtMs > Date.now()) return { identityId: hit.identityId, body: hit.body };
    }
    const generation = this.d.identities.generation;
    const row = await this.activeRow(project, token);
    if (!row) return null;
    const identity = identityJson(
      {
        id: row.identity_id, schema_id: row.i_schema_id, traits: row.i_traits, state: row.i_state, state_changed_at: row.i_state_changed_at,
        metadata_public: row.i_metadata_public, metadata_admin: null, external_id: row.i_external_id, organization_id: row.i_organization_id,
        verifiable_addresses: row.i_verifiable_addresses, recovery_addresses: row.i_recovery_addresses, created_at: row.i_created_at, updated_at: row.i_updated_at,
      },
      await this.d.identities.base(project.id),
      { admin: false },
    );
    const out = { identityId: row.identity_id, body: sessionJson(row, identity, { devices: true }) };
    // Cached under the generation read before the query: a write racing with it invalidates it.
    if (key) this.whoamiCache.set(key, { generation, expiresAtMs: Date.parse(row.expires_at), ...out });
    return out;
  }

  /** Drops cached reads after a session write (see `IdentityService.generation`). */
  private changed(): void {
    this.d.identities.bump();
  }

  /** The session row (joined with its identity) behind a token, if active, unexpired and of an active identity. */
  private async activeRow(project: ResolvedProject, token: string) {
    if (typeof token !== 'string' || token.length < 8 || token.length > 512) return null;
    this.d.identities.remember(project);
    const row = (await this.byTokenQuery([project.id, this.hashToken(token)])).rows[0];
    if (!row || row.active !== 1 || Date.parse(row.expires_at) <= Date.now() || row.i_state !== 'active') return null;
    return row;
  }

  /** One session of the project by id (any state), or null. */
  async get(projectId: string, sessionId: string, opts: { expandIdentity?: boolean; expandDevices?: boolean; publicIdentity?: boolean } = {}): Promise<Session | null> {
    if (!isUuid(sessionId)) return null;
    const row = await this.d.db.selectFrom('sessions').selectAll().where('project_id', '=', projectId).where('id', '=', sessionId).executeTakeFirst();
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
    const row = await this.d.db.selectFrom('sessions').select('identity_id').where('project_id', '=', projectId).where('id', '=', sessionId).executeTakeFirst();
    return row?.identity_id ?? null;
  }

  /** A page of sessions (optionally of one identity), newest id last; `pageSize + 1` rows read. */
  async list(projectId: string, o: ListSessionsOptions): Promise<{ sessions: Session[]; hasMore: boolean }> {
    let q = this.d.db.selectFrom('sessions').selectAll().where('project_id', '=', projectId);
    if (o.identityId !== undefined) q = q.where('identity_id', '=', o.identityId);
    if (o.after) q = q.where('id', '>', o.after);
    if (o.exceptSessionId) q = q.where('id', '!=', o.exceptSessionId);
    const now = nowIso();
    if (o.active === true) q = q.where('active', '=', 1).where('expires_at', '>', now);
    if (o.active === false) q = q.where((eb) => eb.or([eb('active', '=', 0), eb('expires_at', '<=', now)]));
    let ordered = q.orderBy('id').limit(o.pageSize + 1);
    if (o.offset) ordered = ordered.offset(o.offset);
    const rows = await ordered.execute();
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
    const res = await this.d.db.updateTable('sessions').set({ active: 0, updated_at: nowIso() }).where('project_id', '=', projectId).where('id', '=', sessionId).executeTakeFirst();
    this.changed();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Revokes the session behind a token. False if the token is unknown in this project. */
  async revokeByToken(project: ResolvedProject, token: string): Promise<boolean> {
    if (typeof token !== 'string' || token.length < 8 || token.length > 512) return false;
    const res = await this.d.db
      .updateTable('sessions')
      .set({ active: 0, updated_at: nowIso() })
      .where('project_id', '=', project.id)
      .where('token_hash', '=', this.hashToken(token))
      .where('active', '=', 1)
      .executeTakeFirst();
    this.changed();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Revokes every active session of an identity except one; returns how many were revoked. */
  async revokeAllOfIdentity(projectId: string, identityId: string, exceptSessionId?: string): Promise<number> {
    if (!isUuid(identityId)) return 0;
    let q = this.d.db.updateTable('sessions').set({ active: 0, updated_at: nowIso() }).where('project_id', '=', projectId).where('identity_id', '=', identityId).where('active', '=', 1);
    if (exceptSessionId) q = q.where('id', '!=', exceptSessionId);
    const res = await q.executeTakeFirst();
    this.changed();
    return Number(res.numUpdatedRows);
  }

  /** Deletes every session of an identity (admin). Returns how many were deleted. */
  async deleteAllOfIdentity(projectId: string, identityId: string): Promise<number> {
    if (!isUuid(identityId)) return 0;
    const res = await this.d.db.deleteFrom('sessions').where('project_id', '=', projectId).where('identity_id', '=', identityId).executeTakeFirst();
    this.changed();
    return Number(res.numDeletedRows);
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
    let q = this.d.db.selectFrom('sessions').select('id').where('project_id', '=', projectId);
    if (action === 'disable') q = q.where('active', '=', 1);
    const wildcard = 'identities' in target && target.identities === '*';
    if (!wildcard) {
      const ids = ('identities' in target ? (target.identities as string[]) : target.sessions).filter(isUuid);
      if (ids.length === 0) return { processed: 0, more: false };
      q = q.where('identities' in target ? 'identity_id' : 'id', 'in', ids);
    } else {
      q = q.orderBy('id').limit(MANAGE_BATCH);
    }
    const ids = (await q.execute()).map((r) => r.id);
    let processed = 0;
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      if (action === 'disable') {
        const res = await this.d.db.updateTable('sessions').set({ active: 0, updated_at: nowIso() })
          .where('project_id', '=', projectId).where('id', 'in', chunk).where('active', '=', 1).executeTakeFirst();
        processed += Number(res.numUpdatedRows);
      } else {
        const res = await this.d.db.deleteFrom('sessions').where('project_id', '=', projectId).where('id', 'in', chunk).executeTakeFirst();
        processed += Number(res.numDeletedRows);
      }
    }
    if (ids.length) this.changed();
    return { processed, more: wildcard && ids.length === MANAGE_BATCH };
  }

  /**
   * Extends an active session by the configured lifespan from now (Kratos' extend). Returns the
   * session, or null if it does not exist in the project or is no longer active.
   */
  async extend(project: ResolvedProject, sessionId: string): Promise<Session | null> {
    if (!isUuid(sessionId)) return null;
    const row = await this.d.db.selectFrom('sessions').select(['active', 'expires_at']).where('project_id', '=', project.id).where('id', '=', sessionId).executeTakeFirst();
    if (!row || row.active !== 1 || Date.parse(row.expires_at) <= Date.now()) return null;
    const cfg = project.services.identity.config?.session;
    const lifespan = parseDurationMs(cfg?.lifespan, DEFAULT_LIFESPAN_MS);
    // `session.earliest_possible_extend`: a session is only extended once its remaining lifetime
    // has dropped below this window; earlier requests are accepted and change nothing (as Kratos).
    const window = parseDurationMs(cfg?.earliest_possible_extend, lifespan);
    if (Date.parse(row.expires_at) - Date.now() > window) return this.get(project.id, sessionId, { expandIdentity: true, expandDevices: true });
    const expires = new Date(Date.now() + lifespan).toISOString();
    await this.d.db.updateTable('sessions').set({ expires_at: expires, updated_at: nowIso() }).where('project_id', '=', project.id).where('id', '=', sessionId).execute();
    this.changed();
    return this.get(project.id, sessionId, { expandIdentity: true, expandDevices: true });
  }
}
