import type { Database } from '../database.js';
import type { OAuth2TrustedIssuersTable } from './tables.js';
import { isUniqueViolation } from '../platform/db/database.js';
import { conflict } from '../platform/errors/errors.js';
import type { ProjectScope } from '../platform/db/scoped.js';

export type Scope = ProjectScope<Database>;

/** A trust relationship row; the scope supplies `project_id`. */
export type TrustRow = Omit<OAuth2TrustedIssuersTable, 'project_id'>;

/**
 * The queries of JWT bearer grant trust (`oauth2_trusted_issuers`) and of used assertion ids
 * (`oauth2_jwt_assertions`), each within the given project scope. No rules: `TrustService`'s.
 */
export const trustStore = {
  /** Stores a relationship; 409 when the issuer, subject and key id are already trusted. */
  async insert(p: Scope, row: TrustRow): Promise<void> {
    try {
      await p.insertInto('oauth2_trusted_issuers', row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('This issuer is already trusted for this subject with a key of this kid.');
      throw err;
    }
  },

  /** Up to `limit` relationships after id `after`, in creation order, optionally of one issuer. */
  list(p: Scope, o: { issuer?: string; after?: string; limit: number }): Promise<OAuth2TrustedIssuersTable[]> {
    let q = p.selectFrom('oauth2_trusted_issuers').selectAll();
    if (o.issuer) q = q.where('issuer', '=', o.issuer);
    if (o.after) q = q.where('id', '>', o.after);
    return q.orderBy('id').limit(o.limit).execute();
  },

  get(p: Scope, id: string): Promise<OAuth2TrustedIssuersTable | undefined> {
    return p.selectFrom('oauth2_trusted_issuers').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** Deletes one relationship; false when there was none. */
  async delete(p: Scope, id: string): Promise<boolean> {
    const res = await p.deleteFrom('oauth2_trusted_issuers').where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  },

  /** Up to 50 relationships of `issuer` naming `subject` or any subject, unexpired at `now`, of key `kid` if given. */
  forAssertion(p: Scope, issuer: string, subject: string, kid: string | undefined, now: string): Promise<OAuth2TrustedIssuersTable[]> {
    let q = p.selectFrom('oauth2_trusted_issuers').selectAll()
      .where('issuer', '=', issuer)
      .where((eb) => eb.or([eb('subject', '=', subject), eb('allow_any_subject', '=', 1)]))
      .where('expires_at', '>', now);
    if (kid !== undefined) q = q.where('key_id', '=', kid);
    return q.limit(50).execute();
  },

  /** Deletes the assertion records expired at `now`, then records one; false when its hash is already recorded. */
  async recordAssertion(p: Scope, jtiHash: string, expiresAt: string, now: string): Promise<boolean> {
    await p.deleteFrom('oauth2_jwt_assertions').where('expires_at', '<=', now).execute();
    try {
      await p.insertInto('oauth2_jwt_assertions', { jti_hash: jtiHash, expires_at: expiresAt }).execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  },
};
