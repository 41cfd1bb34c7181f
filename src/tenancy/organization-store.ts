import type { Database } from '../database.js';
import type { OrganizationsTable } from './tables.js';
import type { ProjectScope } from '../platform/db/scoped.js';
import { isUniqueViolation } from '../platform/db/database.js';

export type OrganizationRow = Omit<OrganizationsTable, 'project_id'>;
export type OrganizationDomain = { organization_id: string; domain: string };

/**
 * The B2B SSO organizations of one project and their domains: every query goes through the
 * project's scope. Built over a transaction's scope, every query runs in that transaction.
 */
export class OrganizationStore {
  constructor(private readonly scope: ProjectScope<Database>) {}

  /** Up to `limit` organizations in id order after `after`, optionally only the one holding `domain`. */
  async page(limit: number, after?: string, domain?: string): Promise<OrganizationsTable[]> {
    let q = this.scope.selectFrom('organizations').selectAll();
    if (after) q = q.where('id', '>', after);
    if (domain !== undefined) q = q.where('id', 'in', this.scope.selectFrom('organization_domains').select('organization_id').where('domain', '=', domain));
    return q.orderBy('id').limit(limit).execute();
  }

  /** Every organization of the project, in id order. */
  async all(): Promise<OrganizationsTable[]> {
    return this.scope.selectFrom('organizations').selectAll().orderBy('id').execute();
  }

  async byId(id: string): Promise<OrganizationsTable | undefined> {
    return this.scope.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The domains of the organizations `ids` (all of the project's when absent), in domain order. */
  async domains(ids?: string[]): Promise<OrganizationDomain[]> {
    let q = this.scope.selectFrom('organization_domains').select(['organization_id', 'domain']);
    if (ids) q = q.where('organization_id', 'in', ids);
    return q.orderBy('domain').execute();
  }

  async insert(row: OrganizationRow): Promise<void> {
    await this.scope.insertInto('organizations', row).execute();
  }

  /** Changes an organization; the row as it now is, or undefined when there is none. */
  async update(id: string, set: Pick<OrganizationsTable, 'label' | 'session_lifespan' | 'updated_at'>): Promise<OrganizationsTable | undefined> {
    return this.scope.updateTable('organizations').set(set).where('id', '=', id).returningAll().executeTakeFirst();
  }

  /** Deletes an organization and its domains. False when there was none. */
  async delete(id: string): Promise<boolean> {
    await this.scope.deleteFrom('organization_domains').where('organization_id', '=', id).execute();
    const res = await this.scope.deleteFrom('organizations').where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  /**
   * Gives organization `id` exactly `domains` (run in a transaction). False, with nothing changed
   * once the transaction rolls back, when one of them belongs to another organization of the project.
   */
  async setDomains(id: string, domains: string[]): Promise<boolean> {
    await this.scope.deleteFrom('organization_domains').where('organization_id', '=', id).execute();
    if (domains.length === 0) return true;
    try {
      await this.scope.insertInto('organization_domains', domains.map((domain) => ({ domain, organization_id: id }))).execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }
}
