import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { scoped, type ProjectScope } from '../platform/db/scoped.js';
import { isUniqueViolation } from '../platform/db/database.js';
import type { UserApiKeysTable, UserKeyKind, UserKeySigningKeysTable } from './tables.js';
import type { Condition } from './filter.js';

type Scope = ProjectScope<Database>;

/** The changes an update or a revocation writes. */
export type UserKeyPatch = Partial<Pick<UserApiKeysTable, 'name' | 'actor_id' | 'scopes' | 'metadata' | 'rate_limit_policy' | 'allowed_cidrs' | 'visibility' | 'expires_at'>>;

/**
 * The queries of a project's user keys and signing keys. Every query runs on `scoped(db, projectId)`:
 * a key id of another project is simply not there.
 */
export class UserKeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  scope(projectId: string): Scope {
    return scoped(this.db, projectId);
  }

  /** Stores a key. False when a key with the same lookup value or request id is stored already in the project. */
  async insert(s: Scope, row: Omit<UserApiKeysTable, 'project_id'>): Promise<boolean> {
    try {
      await s.insertInto('user_api_keys', row).execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async byId(s: Scope, kind: UserKeyKind, id: string): Promise<UserApiKeysTable | undefined> {
    return s.selectFrom('user_api_keys').selectAll().where('kind', '=', kind).where('id', '=', id).executeTakeFirst();
  }

  /** A key of either kind by id (the parent of a derived token). */
  async byAnyId(s: Scope, id: string): Promise<UserApiKeysTable | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    return s.selectFrom('user_api_keys').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async byRequestId(s: Scope, kind: UserKeyKind, requestId: string): Promise<UserApiKeysTable | undefined> {
    return s.selectFrom('user_api_keys').selectAll().where('kind', '=', kind).where('request_id', '=', requestId).executeTakeFirst();
  }

  /** The key stored under `hash` in the project (issued or imported): the verification lookup, one indexed query. */
  async byHash(s: Scope, hash: string): Promise<UserApiKeysTable | undefined> {
    return s.selectFrom('user_api_keys').selectAll().where('secret_hash', '=', hash).executeTakeFirst();
  }

  async anyWithHash(s: Scope, hash: string): Promise<boolean> {
    return (await s.selectFrom('user_api_keys').select('id').where('secret_hash', '=', hash).executeTakeFirst()) !== undefined;
  }

  /** One page of keys of `kind` matching every condition, in creation order, after `after`; one row more tells there is a next page. */
  async list(s: Scope, kind: UserKeyKind, conditions: Condition[], size: number, after: string | undefined, nowIso: string): Promise<UserApiKeysTable[]> {
    let q = s.selectFrom('user_api_keys').selectAll().where('kind', '=', kind);
    if (after) q = q.where('id', '>', after);
    for (const c of conditions) {
      switch (c.field) {
        case 'actor_id':
        case 'name':
        case 'visibility':
        case 'key_id': {
          const column = c.field === 'key_id' ? 'id' : c.field;
          if (c.field === 'name' && 'prefix' in c && c.prefix) {
            // A range rather than LIKE: no escaping, the same on both dialects, and it uses no collation.
            q = q.where('name', '>=', c.value).where('name', '<', c.value + '\uffff');
          } else q = q.where(column, c.op === '=' ? '=' : '!=', c.value);
          break;
        }
        case 'create_time':
        case 'expire_time': {
          const column = c.field === 'create_time' ? 'created_at' : 'expires_at';
          q = c.op === '=' || c.op === '!=' ? q.where(column, c.op === '=' ? '=' : '<>', c.value) : q.where(column, c.op, c.value);
          break;
        }
        case 'status': {
          const active = (eb: any) => eb.and([eb('revoked_at', 'is', null), eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', nowIso)])]);
          const revoked = (eb: any) => eb('revoked_at', 'is not', null);
          const expired = (eb: any) => eb.and([eb('revoked_at', 'is', null), eb('expires_at', '<=', nowIso)]);
          const pick = c.value === 'KEY_STATUS_ACTIVE' ? active : c.value === 'KEY_STATUS_REVOKED' ? revoked : expired;
          q = q.where((eb) => (c.op === '=' ? pick(eb) : eb.not(pick(eb))));
          break;
        }
      }
    }
    return q.orderBy('id').limit(size + 1).execute();
  }

  async update(s: Scope, kind: UserKeyKind, id: string, patch: UserKeyPatch, at: string): Promise<UserApiKeysTable | undefined> {
    return s.updateTable('user_api_keys').set({ ...patch, updated_at: at }).where('kind', '=', kind).where('id', '=', id).returningAll().executeTakeFirst();
  }

  /** Marks a live (not revoked) key revoked; the revoked row, or undefined when there is no such live key. */
  async revoke(s: Scope, kind: UserKeyKind, id: string, at: string, reason: string, description: string | null): Promise<UserApiKeysTable | undefined> {
    return s
      .updateTable('user_api_keys')
      .set({ revoked_at: at, updated_at: at, revocation_reason: reason, revocation_description: description })
      .where('kind', '=', kind)
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
  }

  /** Revokes the live key stored under `hash` (self-revocation); the revoked row or undefined. */
  async revokeByHash(s: Scope, hash: string, at: string, reason: string): Promise<UserApiKeysTable | undefined> {
    return s
      .updateTable('user_api_keys')
      .set({ revoked_at: at, updated_at: at, revocation_reason: reason, revocation_description: null })
      .where('secret_hash', '=', hash)
      .where('revoked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
  }

  /** Deletes a key for good; its lookup value, or undefined when there was none. */
  async delete(s: Scope, kind: UserKeyKind, id: string): Promise<string | undefined> {
    return (await s.deleteFrom('user_api_keys').where('kind', '=', kind).where('id', '=', id).returning('secret_hash').executeTakeFirst())?.secret_hash;
  }

  /** Writes `last_used_at` (epoch ms) of several keys of several projects in one transaction. */
  async setLastUsed(batch: ReadonlyMap<string, { projectId: string; at: number }>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const [id, { projectId, at }] of batch) {
        await scoped<Database>(trx, projectId).updateTable('user_api_keys').set({ last_used_at: new Date(at).toISOString() }).where('id', '=', id).execute();
      }
    });
  }

  async signingKeys(s: Scope): Promise<UserKeySigningKeysTable[]> {
    return s.selectFrom('user_key_signing_keys').selectAll().orderBy('created_at', 'desc').execute();
  }

  async insertSigningKey(s: Scope, row: Omit<UserKeySigningKeysTable, 'project_id'>): Promise<void> {
    await s.insertInto('user_key_signing_keys', row).execute();
  }
}
