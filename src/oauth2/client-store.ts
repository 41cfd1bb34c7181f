import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { OAuth2ClientsTable } from './tables.js';
import { isUniqueViolation } from '../platform/db/database.js';
import { conflict } from '../platform/errors/errors.js';
import { prepared } from '../platform/db/prepared.js';
import { scoped, type ProjectScope, type ScopedInsert } from '../platform/db/scoped.js';

export type Scope = ProjectScope<Database>;

/** The columns of a client row that change after its creation. */
export type ClientRowUpdate = Partial<Pick<OAuth2ClientsTable, 'data' | 'client_name' | 'owner' | 'secret_hash' | 'rotated_secret_hashes' | 'updated_at'>>;

/**
 * The queries of OAuth2 clients (`oauth2_clients`), each within the given project scope. No rules:
 * what a client may hold is `ClientService`'s. The row lookup, on every client authentication, is a
 * prepared statement.
 */
export class ClientStore {
  private readonly selectRow;

  constructor(db: Kysely<Database>) {
    // Compiled with a placeholder project id: the real one is the first parameter.
    this.selectRow = prepared(db, (d) => scoped(d, '').selectFrom('oauth2_clients').selectAll().where('id', '=', '').compile());
  }

  /** The client row, or undefined (also for an id longer than any stored one). */
  row(p: Scope, clientId: string): Promise<OAuth2ClientsTable | undefined> {
    if (clientId.length > 255) return Promise.resolve(undefined);
    return this.selectRow([p.projectId, clientId], p.db).then((r) => r.rows[0]);
  }

  /** Inserts a client row; 409 when the project already has a client of this id. */
  async insert(p: Scope, row: ScopedInsert<Database, 'oauth2_clients'>): Promise<void> {
    try {
      await p.insertInto('oauth2_clients', row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('An OAuth 2.0 client with this client_id already exists.');
      throw err;
    }
  }

  /** Up to `limit` rows after the keyset position `afterPk`, in creation order, optionally filtered. */
  list(p: Scope, o: { afterPk?: string; clientName?: string; owner?: string; limit: number }): Promise<OAuth2ClientsTable[]> {
    let q = p.selectFrom('oauth2_clients').selectAll();
    if (o.afterPk) q = q.where('pk', '>', o.afterPk);
    if (o.clientName) q = q.where('client_name', '=', o.clientName);
    if (o.owner) q = q.where('owner', '=', o.owner);
    return q.orderBy('pk', 'asc').limit(o.limit).execute();
  }

  /** Updates columns of one client row. */
  async update(p: Scope, clientId: string, set: ClientRowUpdate): Promise<void> {
    await p.updateTable('oauth2_clients').set(set).where('id', '=', clientId).execute();
  }

  /** Deletes the client row; false when there was none. Run in a transaction with `deleteDependents`. */
  async delete(p: Scope, clientId: string): Promise<boolean> {
    const r = await p.deleteFrom('oauth2_clients').where('id', '=', clientId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Deletes the tokens and flows issued to a client. */
  async deleteDependents(p: Scope, clientId: string): Promise<void> {
    await p.deleteFrom('oauth2_tokens').where('client_id', '=', clientId).execute();
    await p.deleteFrom('oauth2_flows').where('client_id', '=', clientId).execute();
  }
}
