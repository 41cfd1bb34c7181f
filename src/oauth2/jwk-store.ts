import type { Database } from '../database.js';
import type { OAuth2JwksTable } from './tables.js';
import { newId, nowIso } from '../platform/ids.js';
import { isUniqueViolation } from '../platform/db/database.js';
import { conflict } from '../platform/errors/errors.js';
import type { ProjectScope } from '../platform/db/scoped.js';

export type Scope = ProjectScope<Database>;

/** What a stored key is made of: its public part and its encrypted private part (either may be null). */
export type JwkRow = Pick<OAuth2JwksTable, 'kid' | 'alg' | 'use' | 'public_jwk' | 'private_jwk'>;

/**
 * The queries of JSON Web Key sets (`oauth2_jwks`), each within the given project scope. Keys are
 * listed newest first (by id). No rules: validation and encryption are `JwkService`'s.
 */
export const jwkStore = {
  /** The newest key of a set that has a private part, is for signing and has one of `algs`. */
  newestSigning(p: Scope, set: string, algs: readonly string[]): Promise<OAuth2JwksTable | undefined> {
    return p.selectFrom('oauth2_jwks').selectAll()
      .where('set_name', '=', set).where('use', '=', 'sig').where('private_jwk', 'is not', null)
      .where('alg', 'in', algs)
      .orderBy('id', 'desc').limit(1).executeTakeFirst();
  },

  /** Every key of the given sets, newest first. */
  ofSets(p: Scope, sets: readonly string[]): Promise<OAuth2JwksTable[]> {
    return p.selectFrom('oauth2_jwks').selectAll().where('set_name', 'in', sets).orderBy('id', 'desc').execute();
  },

  /** One key of a set by kid. */
  key(p: Scope, set: string, kid: string): Promise<OAuth2JwksTable | undefined> {
    return p.selectFrom('oauth2_jwks').selectAll().where('set_name', '=', set).where('kid', '=', kid).executeTakeFirst();
  },

  /** Adds a key to a set; 409 when the set already has a key of this kid. */
  async add(p: Scope, set: string, row: JwkRow): Promise<void> {
    try {
      await jwkStore.insert(p, set, row);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('A key with this kid already exists in the set.');
      throw err;
    }
  },

  /** Inserts a key into a set (inside a transaction that first deleted what it replaces). */
  async insert(p: Scope, set: string, row: JwkRow): Promise<void> {
    await p.insertInto('oauth2_jwks', { ...row, id: newId(), set_name: set, created_at: nowIso() }).execute();
  },

  /** Deletes a set's keys (only the one of `kid`, if given); returns how many were deleted. */
  async delete(p: Scope, set: string, kid?: string): Promise<number> {
    let q = p.deleteFrom('oauth2_jwks').where('set_name', '=', set);
    if (kid !== undefined) q = q.where('kid', '=', kid);
    return Number((await q.executeTakeFirst()).numDeletedRows);
  },
};
