import type { Kysely } from 'kysely';
import type { ApiKeysTable } from './tables.js';
import type { Database } from '../database.js';
import { isUniqueViolation } from '../platform/db/database.js';

/** Where a key lives. Every query of keys is filtered by this scope. */
export type KeyScope = { kind: 'workspace'; workspaceId: string } | { kind: 'project'; workspaceId: string; projectId: string };

/** The columns the verification path reads. */
export type KeyLookupRow = Pick<ApiKeysTable, 'id' | 'name' | 'kind' | 'workspace_id' | 'project_id' | 'owner_id' | 'secret_hash' | 'expires_at' | 'revoked_at' | 'scopes' | 'allowed_cidrs' | 'rate_limit'>;

/**
 * The queries of the `api_keys` table. A key's `project_id` is its scope (keys are not project
 * data: workspace keys have none), so the scope filter is written here explicitly, once.
 */
export class KeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Stores a key row. False when a key with the same lookup value is stored already (active or revoked). */
  async insert(row: ApiKeysTable): Promise<boolean> {
    try {
      await this.db.insertInto('api_keys').values(row).execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  /** True when any key, active or revoked, is stored under one of `hashes`. */
  async anyWithHash(hashes: string[]): Promise<boolean> {
    return (await this.db.selectFrom('api_keys').select('id').where('secret_hash', 'in', hashes).executeTakeFirst()) !== undefined;
  }

  /** The key stored under one of `hashes` (the forms of one presented key), for verification: one query. */
  async byHash(hashes: string[]): Promise<KeyLookupRow | undefined> {
    return this.db
      .selectFrom('api_keys')
      .select(['id', 'name', 'kind', 'workspace_id', 'project_id', 'owner_id', 'secret_hash', 'expires_at', 'revoked_at', 'scopes', 'allowed_cidrs', 'rate_limit'])
      .where('secret_hash', 'in', hashes)
      .executeTakeFirst();
  }

  /** The query of the scope's active (not revoked) keys. */
  private activeOf(scope: KeyScope) {
    const q = this.db.selectFrom('api_keys').selectAll().where('revoked_at', 'is', null).where('kind', '=', scope.kind).where('workspace_id', '=', scope.workspaceId);
    return scope.kind === 'project' ? q.where('project_id', '=', scope.projectId) : q;
  }

  /** One active key of the scope. */
  async active(scope: KeyScope, id: string): Promise<ApiKeysTable | undefined> {
    return this.activeOf(scope).where('id', '=', id).executeTakeFirst();
  }

  /**
   * Stores `next` and marks `old` replaced by it, ending at `ends` (null: revoked now), in one
   * transaction. Undefined, storing nothing, when `old` was rotated or revoked meanwhile.
   */
  async replace(old: ApiKeysTable, next: ApiKeysTable, ends: string | null, at: string): Promise<ApiKeysTable | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const changed = await trx
        .updateTable('api_keys')
        .set(ends === null ? { replaced_by: next.id, revoked_at: at, updated_at: at } : { replaced_by: next.id, expires_at: ends, updated_at: at })
        .where('id', '=', old.id)
        .where('revoked_at', 'is', null)
        .where('replaced_by', 'is', null)
        .returningAll()
        .executeTakeFirst();
      if (!changed) return undefined;
      await trx.insertInto('api_keys').values(next).execute();
      return changed;
    });
  }

  /** Marks every active key stored under one of `hashes` revoked; the revoked rows. */
  async revokeByHashes(hashes: string[], at: string): Promise<Pick<ApiKeysTable, 'id' | 'name' | 'kind' | 'workspace_id' | 'project_id' | 'secret_hash'>[]> {
    return this.db
      .updateTable('api_keys')
      .set({ revoked_at: at, updated_at: at })
      .where('secret_hash', 'in', hashes)
      .where('revoked_at', 'is', null)
      .returning(['id', 'name', 'kind', 'workspace_id', 'project_id', 'secret_hash'])
      .execute();
  }

  /** Records that a key was used from `address`; true when this is the first time. */
  async addAddress(keyId: string, address: string, at: string): Promise<boolean> {
    const row = await this.db
      .insertInto('api_key_addresses')
      .values({ key_id: keyId, address, first_seen_at: at })
      .onConflict((oc) => oc.columns(['key_id', 'address']).doNothing())
      .returning('key_id')
      .executeTakeFirst();
    return row !== undefined;
  }

  /** How many client addresses a key was used from. */
  async addressCount(keyId: string): Promise<number> {
    const row = await this.db.selectFrom('api_key_addresses').select((eb) => eb.fn.countAll().as('n')).where('key_id', '=', keyId).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Active (not revoked) keys of the scope, oldest first. */
  async listActive(scope: KeyScope): Promise<ApiKeysTable[]> {
    return this.activeOf(scope).orderBy('id').execute();
  }

  /** Marks an active key of the scope revoked; its stored lookup value, or undefined when there is none. */
  async revoke(scope: KeyScope, id: string, at: string): Promise<string | undefined> {
    let q = this.db.updateTable('api_keys').set({ revoked_at: at, updated_at: at }).where('id', '=', id).where('revoked_at', 'is', null).where('kind', '=', scope.kind).where('workspace_id', '=', scope.workspaceId);
    if (scope.kind === 'project') q = q.where('project_id', '=', scope.projectId);
    return (await q.returning('secret_hash').executeTakeFirst())?.secret_hash;
  }

  /** Marks every active key of a project revoked. */
  async revokeAllOfProject(projectId: string, at: string): Promise<void> {
    await this.db.updateTable('api_keys').set({ revoked_at: at, updated_at: at }).where('project_id', '=', projectId).where('revoked_at', 'is', null).execute();
  }

  /** Writes `last_used_at` (epoch ms) of several keys in one transaction, one statement per key. */
  async setLastUsed(batch: ReadonlyMap<string, number>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const [id, at] of batch) await trx.updateTable('api_keys').set({ last_used_at: new Date(at).toISOString() }).where('id', '=', id).execute();
    });
  }
}
