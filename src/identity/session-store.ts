import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { prepared } from '../platform/db/prepared.js';
import { scoped, type ScopedInsert } from '../platform/db/scoped.js';
import type { Scope } from './identity-store.js';
import type { IdentitiesTable, SessionsTable } from './tables.js';

/** A session row with the columns of its identity that the end user may see, prefixed `i_`. */
export type SessionWithIdentityRow = SessionsTable & {
  i_schema_id: IdentitiesTable['schema_id'];
  i_traits: IdentitiesTable['traits'];
  i_state: IdentitiesTable['state'];
  i_state_changed_at: IdentitiesTable['state_changed_at'];
  i_metadata_public: IdentitiesTable['metadata_public'];
  i_external_id: IdentitiesTable['external_id'];
  i_organization_id: IdentitiesTable['organization_id'];
  i_verifiable_addresses: IdentitiesTable['verifiable_addresses'];
  i_recovery_addresses: IdentitiesTable['recovery_addresses'];
  i_created_at: IdentitiesTable['created_at'];
  i_updated_at: IdentitiesTable['updated_at'];
};

/** Filters of one page of sessions; `limit` rows at most, in id order. */
export interface SessionPageQuery {
  limit: number;
  after?: string;
  offset?: number;
  identityId?: string;
  /** true: active and unexpired at `now`; false: the others. */
  active?: boolean;
  exceptSessionId?: string;
  now: string;
}

// The identity columns whoami shows (no admin metadata), prefixed so they cannot clash with the session's.
const IDENTITY_COLUMNS = [
  'i.schema_id as i_schema_id', 'i.traits as i_traits', 'i.state as i_state', 'i.state_changed_at as i_state_changed_at',
  'i.metadata_public as i_metadata_public', 'i.external_id as i_external_id', 'i.organization_id as i_organization_id',
  'i.verifiable_addresses as i_verifiable_addresses', 'i.recovery_addresses as i_recovery_addresses',
  'i.created_at as i_created_at', 'i.updated_at as i_updated_at',
] as const;

/**
 * Queries of the session aggregate. Every query runs in the given project scope; pass the scope of a
 * transaction to run inside it. Tokens never reach this module, only their hashes.
 */
export class SessionStore {
  // whoami's one query, compiled once: the session by token hash (current or legacy form) with its identity.
  private readonly byTokenHashQuery;

  constructor(db: Kysely<Database>) {
    this.byTokenHashQuery = prepared(db, (db) => {
      const sessionWithIdentity = scoped(db, '')
        .selectFrom('sessions as s')
        .innerJoin('identities as i', (j) => j.onRef('i.id', '=', 's.identity_id').onRef('i.project_id', '=', 's.project_id'));
      return sessionWithIdentity.selectAll('s').select(IDENTITY_COLUMNS).where('s.token_hash', 'in', ['', '']).compile();
    });
  }

  /** The session (any state) stored under one of two token hashes, joined to its identity. */
  async byTokenHash(scope: Scope, hashes: readonly [string, string]): Promise<SessionWithIdentityRow | undefined> {
    return (await this.byTokenHashQuery([scope.projectId, ...hashes], scope.db)).rows[0] as SessionWithIdentityRow | undefined;
  }

  async insert(scope: Scope, row: ScopedInsert<Database, 'sessions'>): Promise<void> {
    await scope.insertInto('sessions', row).execute();
  }

  get(scope: Scope, id: string): Promise<SessionsTable | undefined> {
    return scope.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async ownerOf(scope: Scope, id: string): Promise<string | undefined> {
    return (await scope.selectFrom('sessions').select('identity_id').where('id', '=', id).executeTakeFirst())?.identity_id;
  }

  page(scope: Scope, q: SessionPageQuery): Promise<SessionsTable[]> {
    let query = scope.selectFrom('sessions').selectAll();
    if (q.identityId !== undefined) query = query.where('identity_id', '=', q.identityId);
    if (q.after) query = query.where('id', '>', q.after);
    if (q.exceptSessionId) query = query.where('id', '!=', q.exceptSessionId);
    if (q.active === true) query = query.where('active', '=', 1).where('expires_at', '>', q.now);
    if (q.active === false) query = query.where((eb) => eb.or([eb('active', '=', 0), eb('expires_at', '<=', q.now)]));
    let ordered = query.orderBy('id').limit(q.limit);
    if (q.offset) ordered = ordered.offset(q.offset);
    return ordered.execute();
  }

  /**
   * Deactivates sessions: by id, by token hash, or every active one of an identity (except one).
   * Returns how many rows changed.
   */
  async deactivate(
    scope: Scope,
    which: { ids: string[]; onlyActive?: boolean } | { tokenHashes: readonly string[] } | { identityId: string; exceptSessionId?: string },
    now: string,
  ): Promise<number> {
    let q = scope.updateTable('sessions').set({ active: 0, updated_at: now });
    if ('ids' in which) {
      q = q.where('id', 'in', which.ids);
      if (which.onlyActive) q = q.where('active', '=', 1);
    } else if ('tokenHashes' in which) {
      q = q.where('token_hash', 'in', which.tokenHashes).where('active', '=', 1);
    } else {
      q = q.where('identity_id', '=', which.identityId).where('active', '=', 1);
      if (which.exceptSessionId) q = q.where('id', '!=', which.exceptSessionId);
    }
    return Number((await q.executeTakeFirst()).numUpdatedRows);
  }

  /** Deletes sessions by id or every session of an identity; returns how many were deleted. */
  async delete(scope: Scope, which: { ids: string[] } | { identityId: string }): Promise<number> {
    const q = scope.deleteFrom('sessions');
    const res = await ('ids' in which ? q.where('id', 'in', which.ids) : q.where('identity_id', '=', which.identityId)).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  /** Ids of the sessions of some identities, or some sessions, or (`limit`) all sessions in id order. */
  async ids(scope: Scope, which: { identityIds: string[] } | { ids: string[] } | { limit: number }, onlyActive: boolean): Promise<string[]> {
    let q = scope.selectFrom('sessions').select('id');
    if (onlyActive) q = q.where('active', '=', 1);
    if ('identityIds' in which) q = q.where('identity_id', 'in', which.identityIds);
    else if ('ids' in which) q = q.where('id', 'in', which.ids);
    else q = q.orderBy('id').limit(which.limit);
    return (await q.execute()).map((r) => r.id);
  }

  setExpiry(scope: Scope, id: string, expiresAt: string, now: string): Promise<unknown> {
    return scope.updateTable('sessions').set({ expires_at: expiresAt, updated_at: now }).where('id', '=', id).execute();
  }

  /** Records a completed authentication method on a session (a second factor): its AAL and methods. */
  authenticate(scope: Scope, id: string, changes: Pick<SessionsTable, 'aal' | 'authentication_methods' | 'authenticated_at' | 'updated_at'>): Promise<unknown> {
    return scope.updateTable('sessions').set(changes).where('id', '=', id).execute();
  }
}
