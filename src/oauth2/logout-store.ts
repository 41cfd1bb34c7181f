import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { OAuth2LogoutRequestsTable } from './tables.js';
import { OryError, ErrorId } from '../platform/errors/errors.js';
import { secretHash } from '../platform/crypto.js';
import { scoped } from '../platform/db/scoped.js';

/** The request a logout row carries (`request`). */
export interface LogoutRequest {
  request_url: string;
  rp_initiated: boolean;
  post_logout_redirect_uri?: string;
  state?: string;
}

type SecretColumn = 'challenge_hash' | 'verifier_hash';

/**
 * RP-initiated logouts of a project (`oauth2_logout_requests`). The challenge and verifier are stored
 * only as HMACs; each step is a conditional update on the expected state, so it works once.
 */
export class LogoutStore {
  constructor(private readonly d: { db: Kysely<Database>; secret: string }) {}

  /** The stored form of a challenge or verifier (the purposes are part of the stored hashes). */
  hash(column: SecretColumn, value: string): string {
    return secretHash(this.d.secret, `oauth2-logout-${column === 'challenge_hash' ? 'challenge' : 'verifier'}`, value);
  }

  /** The logout of the project that handed out `value` for `column`, if any. */
  async bySecret(projectId: string, column: SecretColumn, value: string): Promise<OAuth2LogoutRequestsTable | undefined> {
    if (value.length > 512) return undefined;
    return scoped(this.d.db, projectId).selectFrom('oauth2_logout_requests').selectAll().where(column, '=', this.hash(column, value)).executeTakeFirst();
  }

  async insert(row: OAuth2LogoutRequestsTable): Promise<void> {
    await scoped(this.d.db, row.project_id).insertInto('oauth2_logout_requests', row).execute();
  }

  /** Moves a logout from state `from`, or 409 when the step was already taken. */
  async advance(row: OAuth2LogoutRequestsTable, from: OAuth2LogoutRequestsTable['state'], set: Partial<OAuth2LogoutRequestsTable>): Promise<void> {
    const r = await scoped(this.d.db, row.project_id).updateTable('oauth2_logout_requests').set(set).where('id', '=', row.id).where('state', '=', from).executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new OryError(409, 'The request was already handled', 'This logout challenge has already been used.', ErrorId.conflict);
  }
}
