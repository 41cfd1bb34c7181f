import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { prepared } from '../platform/db/prepared.js';
import { scoped, type ProjectScope, type ScopedInsert } from '../platform/db/scoped.js';
import type { IdentitiesTable, IdentityCredentialsTable } from './tables.js';

/** A project's view of the database, as the identity stores take it. */
export type Scope = ProjectScope<Database>;

/** An identity row with the columns of one of its credentials (all null when it has none). */
export type IdentityCredentialRow = IdentitiesTable & {
  c_type: string | null;
  c_identifiers: string | null;
  c_version: number | null;
  c_created_at: string | null;
  c_updated_at: string | null;
  c_config: string | null;
};

/** Filters of one page of identities; `limit` rows at most, in id order. */
export interface IdentityPageQuery {
  limit: number;
  /** Exclusive lower bound on the id (keyset pagination). */
  after?: string;
  offset?: number;
  ids?: string[];
  organizationId?: string;
}

/** A verifiable or recovery address row: lookup and uniqueness of an identity's addresses. */
export type AddressRow = ScopedInsert<Database, 'identity_addresses'>;

const CREDENTIAL_COLUMNS = ['c.type as c_type', 'c.identifiers as c_identifiers', 'c.version as c_version', 'c.created_at as c_created_at', 'c.updated_at as c_updated_at', 'c.config as c_config'] as const;

/**
 * Queries of the identity aggregate: identities, their credentials, credential identifiers and
 * addresses. Every query runs in the given project scope, so another project's rows are never seen
 * or touched; pass the scope of a transaction to run inside it. Unique violations surface as the
 * database's error (the service names the conflict).
 */
/** The identity read's one statement: the identity left-joined to its credentials (params: project id, id). */
const withCredentialsStatement = (db: Kysely<Database>) =>
  scoped(db, '')
    .selectFrom('identities as i')
    .leftJoin('identity_credentials as c', (j) => j.onRef('c.identity_id', '=', 'i.id').onRef('c.project_id', '=', 'i.project_id'))
    .selectAll('i')
    .select(CREDENTIAL_COLUMNS)
    .where('i.id', '=', '')
    .compile();

export class IdentityStore {
  private readonly withCredentialsQuery;

  constructor(db: Kysely<Database>) {
    this.withCredentialsQuery = prepared(db, withCredentialsStatement);
  }

  /** The identity with one row per credential (one row with null credential columns if it has none); [] if absent. */
  async withCredentials(scope: Scope, id: string): Promise<IdentityCredentialRow[]> {
    return (await this.withCredentialsQuery([scope.projectId, id], scope.db)).rows as IdentityCredentialRow[];
  }

  row(scope: Scope, id: string): Promise<IdentitiesTable | undefined> {
    return scope.selectFrom('identities').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async exists(scope: Scope, id: string): Promise<boolean> {
    return (await scope.selectFrom('identities').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
  }

  async idByExternalId(scope: Scope, externalId: string): Promise<string | undefined> {
    return (await scope.selectFrom('identities').select('id').where('external_id', '=', externalId).executeTakeFirst())?.id;
  }

  /** Ids of the identities whose `type` credential lists the (already normalized) identifier. */
  async idsByIdentifier(scope: Scope, type: string, identifier: string): Promise<string[]> {
    const rows = await scope.selectFrom('identity_credential_identifiers').select('identity_id').where('type', '=', type).where('identifier', '=', identifier).execute();
    return rows.map((r) => r.identity_id);
  }

  /** The id of an identity with an address of this kind equal to one of `values`. */
  async idByAddress(scope: Scope, kind: 'verifiable' | 'recovery', values: string[]): Promise<string | undefined> {
    return (await scope.selectFrom('identity_addresses').select('identity_id').where('kind', '=', kind).where('value', 'in', values).executeTakeFirst())?.identity_id;
  }

  page(scope: Scope, q: IdentityPageQuery): Promise<IdentitiesTable[]> {
    let query = scope.selectFrom('identities as i').selectAll('i');
    if (q.after) query = query.where('i.id', '>', q.after);
    if (q.ids) query = query.where('i.id', 'in', q.ids);
    if (q.organizationId !== undefined) query = query.where('i.organization_id', '=', q.organizationId);
    let ordered = query.orderBy('i.id').limit(q.limit);
    if (q.offset) ordered = ordered.offset(q.offset);
    return ordered.execute();
  }

  /** Every credential of the given identities. */
  credentialsOf(scope: Scope, identityIds: string[]): Promise<IdentityCredentialsTable[]> {
    return scope.selectFrom('identity_credentials').selectAll().where('identity_id', 'in', identityIds).execute();
  }

  /** The identity's credential of one type (id, identifiers and config), if it has one. */
  credential(scope: Scope, identityId: string, type: string): Promise<Pick<IdentityCredentialsTable, 'id' | 'identifiers' | 'config'> | undefined> {
    return scope.selectFrom('identity_credentials').select(['id', 'config', 'identifiers']).where('identity_id', '=', identityId).where('type', '=', type).executeTakeFirst();
  }

  async insert(scope: Scope, row: ScopedInsert<Database, 'identities'>): Promise<void> {
    await scope.insertInto('identities', row).execute();
  }

  async update(scope: Scope, id: string, changes: Partial<Omit<IdentitiesTable, 'id' | 'project_id' | 'created_at'>>): Promise<void> {
    await scope.updateTable('identities').set(changes).where('id', '=', id).execute();
  }

  /** Replaces the identity's address rows. */
  async replaceAddresses(scope: Scope, identityId: string, addresses: AddressRow[]): Promise<void> {
    await scope.deleteFrom('identity_addresses').where('identity_id', '=', identityId).execute();
    if (addresses.length) await scope.insertInto('identity_addresses', addresses).execute();
  }

  async insertCredential(scope: Scope, row: ScopedInsert<Database, 'identity_credentials'>): Promise<void> {
    await scope.insertInto('identity_credentials', row).execute();
  }

  async updateCredential(scope: Scope, credentialId: string, changes: Pick<IdentityCredentialsTable, 'identifiers' | 'config' | 'updated_at'>): Promise<void> {
    await scope.updateTable('identity_credentials').set(changes).where('id', '=', credentialId).execute();
  }

  /** Updates a credential only if its config is still `expected` (compare-and-set); true when it was. */
  async updateCredentialIf(scope: Scope, credentialId: string, expected: string, changes: Pick<IdentityCredentialsTable, 'config' | 'updated_at'>): Promise<boolean> {
    const r = await scope.updateTable('identity_credentials').set(changes).where('id', '=', credentialId).where('config', '=', expected).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Replaces the identifier rows of a credential. */
  async replaceIdentifiers(scope: Scope, credentialId: string, identityId: string, type: string, identifiers: string[]): Promise<void> {
    await scope.deleteFrom('identity_credential_identifiers').where('credential_id', '=', credentialId).execute();
    if (identifiers.length) {
      await scope
        .insertInto('identity_credential_identifiers', identifiers.map((identifier) => ({ type, identifier, identity_id: identityId, credential_id: credentialId })))
        .execute();
    }
  }

  /** Deletes one credential with its identifiers. */
  async deleteCredential(scope: Scope, credentialId: string): Promise<void> {
    await scope.deleteFrom('identity_credential_identifiers').where('credential_id', '=', credentialId).execute();
    await scope.deleteFrom('identity_credentials').where('id', '=', credentialId).execute();
  }

  /** Deletes the identity with its addresses, identifiers and credentials (not its sessions). */
  async delete(scope: Scope, id: string): Promise<void> {
    await scope.deleteFrom('identity_addresses').where('identity_id', '=', id).execute();
    await scope.deleteFrom('identity_credential_identifiers').where('identity_id', '=', id).execute();
    await scope.deleteFrom('identity_credentials').where('identity_id', '=', id).execute();
    await scope.deleteFrom('identities').where('id', '=', id).execute();
  }

  async organizationExists(scope: Scope, organizationId: string): Promise<boolean> {
    return (await scope.selectFrom('organizations').select('id').where('id', '=', organizationId).executeTakeFirst()) !== undefined;
  }

  /** A project's slug (projects are not project data: this reads the tenancy table by id). */
  async projectSlug(db: Kysely<Database>, projectId: string): Promise<string | undefined> {
    return (await db.selectFrom('projects').select('slug').where('id', '=', projectId).executeTakeFirst())?.slug;
  }
}
