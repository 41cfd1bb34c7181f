import { SqliteAdapter, sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { OAuth2TokensTable } from './tables.js';
import { nowIso } from '../platform/ids.js';
import type { ClientFailureLimit } from './client-auth.js';
import { prepared } from '../platform/db/prepared.js';
import { scoped, type ProjectScope } from '../platform/db/scoped.js';

export type Scope = ProjectScope<Database>;

/** A token row as the service builds it; the scope supplies `project_id`. */
export type TokenRow = Omit<OAuth2TokensTable, 'project_id'>;

const TOKEN_COLUMNS = ['id', 'project_id', 'hash', 'kind', 'request_id', 'client_id', 'subject', 'scope', 'audience', 'session', 'issuer', 'grant_type', 'created_at', 'expires_at', 'revoked_at', 'used_at'] as const;

/** The tables whose rows carry an `expires_at` after which the janitor may delete them. */
const EXPIRING_TABLES = ['oauth2_tokens', 'oauth2_flows', 'oauth2_device_codes', 'oauth2_logout_requests', 'oauth2_login_sessions'] as const;

interface PendingInsert {
  params: unknown[];
  resolve(inserted: boolean): void;
  reject(err: unknown): void;
}

/**
 * The queries of issued tokens (`oauth2_tokens`, looked up by HMAC), each within the given project
 * scope. The lookup by hash and the guarded insert are prepared statements (hot paths).
 */
export class TokenStore {
  private readonly selectByHash;
  private readonly guardedInsert;
  /**
   * SQLite: guarded token inserts that arrive while the event loop handles one batch of I/O are
   * committed together in one transaction (one WAL commit instead of one each); every insert is
   * still its own guarded statement with its own outcome. PostgreSQL runs each on its own.
   */
  private readonly groupCommit: boolean;
  private pending: PendingInsert[] = [];

  constructor(private readonly db: Kysely<Database>, private readonly failures: ClientFailureLimit) {
    this.groupCommit = db.getExecutor().adapter instanceof SqliteAdapter;
    // Both compiled with a placeholder project id: the real one is bound as a parameter.
    this.selectByHash = prepared(db, (d) => scoped(d, '').selectFrom('oauth2_tokens').selectAll().where('hash', '=', '').compile());
    // One row, written only if the client row still exists and the client's sliding failure estimate
    // (the shared limiter's, on the same shared rows) is under the limit.
    this.guardedInsert = prepared(db, (d) => {
      const values = TOKEN_COLUMNS.map(() => '');
      const client = scoped(d, '').selectFrom('oauth2_clients').select(sql`1`.as('one')).where('id', '=', '');
      return sql`insert into oauth2_tokens (${sql.join(TOKEN_COLUMNS.map((c) => sql.ref(c)))})
        select ${sql.join(values)}
        where exists ${client} and ${failures.underLimitSql()}`.compile(d);
    });
  }

  /** The row of a token hash, whatever its state. */
  async byHash(p: Scope, hash: string): Promise<OAuth2TokensTable | undefined> {
    return (await this.selectByHash([p.projectId, hash], p.db)).rows[0];
  }

  /**
   * Inserts one row only if its client still exists and `bucket` is under the failure limit, both
   * read by the insert itself; false when nothing was written. Runs on its own (batched on SQLite),
   * never inside a caller's transaction.
   */
  insertGuarded(p: Scope, row: TokenRow, bucket: string): Promise<boolean> {
    const full: OAuth2TokensTable = { ...row, project_id: p.projectId };
    const params = [...TOKEN_COLUMNS.map((c) => full[c]), p.projectId, row.client_id, ...this.failures.underLimitParams(p.projectId, bucket)];
    if (!this.groupCommit) return this.guardedInsert(params).then((r) => Number(r.numAffectedRows ?? 0) === 1);
    return new Promise<boolean>((resolve, reject) => {
      this.pending.push({ params, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    const one = (p: PendingInsert, via?: Kysely<Database>) => this.guardedInsert(p.params, via).then((r) => Number(r.numAffectedRows ?? 0) === 1);
    if (batch.length === 1) {
      await one(batch[0]).then(batch[0].resolve, batch[0].reject);
      return;
    }
    let outcomes: boolean[];
    try {
      outcomes = await this.db.transaction().execute(async (trx) => {
        const out: boolean[] = [];
        for (const p of batch) out.push(await one(p, trx));
        return out;
      });
    } catch {
      // One failing statement must not fail the others: run each on its own.
      for (const p of batch) await one(p).then(p.resolve, p.reject);
      return;
    }
    batch.forEach((p, n) => p.resolve(outcomes[n]));
  }

  /** Inserts rows unconditionally. */
  async insert(p: Scope, rows: TokenRow[]): Promise<void> {
    await p.insertInto('oauth2_tokens', rows).execute();
  }

  /** Deletes the project's tokens, flows, device codes, logout requests, login and consent sessions that expired (or were revoked) before `cutoff`. */
  async purgeExpired(p: Scope, cutoff: string): Promise<void> {
    for (const table of EXPIRING_TABLES) {
      await p.deleteFrom(table as 'oauth2_tokens').where('expires_at', '<', cutoff).execute();
    }
    await p.deleteFrom('oauth2_consent_sessions').where((eb) => eb.or([eb('expires_at', '<', cutoff), eb('revoked_at', '<', cutoff)])).execute();
  }

  /** The grant chain and client of a token hash. */
  grantOf(p: Scope, hash: string): Promise<Pick<OAuth2TokensTable, 'request_id' | 'client_id'> | undefined> {
    return p.selectFrom('oauth2_tokens').select(['request_id', 'client_id']).where('hash', '=', hash).executeTakeFirst();
  }

  /** Marks the unrevoked tokens of a grant chain (of one kind, if given) revoked. */
  async revokeChain(p: Scope, requestId: string, kind?: 'access_token'): Promise<void> {
    let q = p.updateTable('oauth2_tokens').set({ revoked_at: nowIso() }).where('request_id', '=', requestId).where('revoked_at', 'is', null);
    if (kind) q = q.where('kind', '=', kind);
    await q.execute();
  }

  /** The refresh token row of a hash, in any state. */
  refreshByHash(p: Scope, hash: string): Promise<OAuth2TokensTable | undefined> {
    return p.selectFrom('oauth2_tokens').selectAll().where('hash', '=', hash).where('kind', '=', 'refresh_token').executeTakeFirst();
  }

  /** Sets `used_at` if unset; false when another request set it first. */
  async markUsed(p: Scope, id: string): Promise<boolean> {
    const r = await p.updateTable('oauth2_tokens').set({ used_at: nowIso() }).where('id', '=', id).where('used_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Deletes every token issued to a client. */
  async deleteForClient(p: Scope, clientId: string): Promise<void> {
    await p.deleteFrom('oauth2_tokens').where('client_id', '=', clientId).execute();
  }
}
