import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../platform/db/schema.js';
import type { Principal } from '../platform/auth/principal.js';
import { badRequest, conflict, ErrorId, notFound } from '../platform/errors/errors.js';
import { isUniqueViolation } from '../platform/db/database.js';
import { isUuid, newId, nowIso } from '../platform/ids.js';
import { decodePageToken, encodePageToken } from '../platform/http/pagination.js';
import type { ProjectService } from './project-service.js';
import type { Notifier } from '../platform/db/notifier.js';
import { toOrganization } from './models.js';

const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Normalises and validates a domain list: lowercase, no duplicates, each a DNS name. */
function normalizeDomains(domains: string[]): string[] {
  const out = [...new Set(domains.map((d) => d.trim().toLowerCase()))];
  for (const d of out) if (!DOMAIN.test(d)) throw badRequest(`"${d}" is not a valid domain name.`);
  return out;
}

/** B2B SSO organizations of a project. A domain belongs to at most one organization per project. */
export class OrganizationService {
  constructor(private readonly o: { db: Kysely<Database>; projects: ProjectService; notifier: Notifier }) {}

  /** Organizations are part of the project model: tell every node's caches. */
  private changed(project: { id: string; slug: string }) {
    return this.o.notifier.publish({ type: 'project', id: project.id, slug: project.slug });
  }

  async list(principal: Principal | undefined, projectId: string, q: { page_size?: number; page_token?: string; domain?: string }) {
    await this.o.projects.authorize(principal, projectId, 'read');
    const pageSize = q.page_size ?? 100;
    const after = decodePageToken(q.page_token);
    let query = this.o.db.selectFrom('organizations').selectAll().where('project_id', '=', projectId);
    if (after) query = query.where('id', '>', after);
    if (q.domain) {
      const domain = q.domain.trim().toLowerCase();
      query = query.where('id', 'in', (eb) => eb.selectFrom('organization_domains').select('organization_id').where('project_id', '=', projectId).where('domain', '=', domain));
    }
    const rows = await query.orderBy('id').limit(pageSize + 1).execute();
    const page = rows.slice(0, pageSize);
    const domains = page.length
      ? await this.o.db.selectFrom('organization_domains').select(['organization_id', 'domain']).where('project_id', '=', projectId).where('organization_id', 'in', page.map((r) => r.id)).orderBy('domain').execute()
      : [];
    const more = rows.length > pageSize;
    return {
      organizations: page.map((r) => toOrganization(r, domains.filter((d) => d.organization_id === r.id).map((d) => d.domain))),
      has_next_page: more,
      next_page_token: more ? encodePageToken(page[page.length - 1].id) : '',
    };
  }

  async get(principal: Principal | undefined, projectId: string, orgId: string) {
    await this.o.projects.authorize(principal, projectId, 'read');
    return { organization: await this.load(this.o.db, projectId, orgId) };
  }

  async create(principal: Principal | undefined, projectId: string, body: { label?: string; domains?: string[]; session_lifespan?: string }) {
    const project = await this.o.projects.authorize(principal, projectId, 'manage');
    const label = body.label?.trim();
    if (!label) throw badRequest('label is required.');
    const domains = normalizeDomains(body.domains ?? []);
    const now = nowIso();
    const row = { id: newId(), project_id: projectId, label, session_lifespan: body.session_lifespan ?? null, created_at: now, updated_at: now };
    await this.o.db.transaction().execute(async (trx) => {
      await trx.insertInto('organizations').values(row).execute();
      await this.insertDomains(trx, projectId, row.id, domains);
    });
    await this.changed(project);
    return toOrganization(row, [...domains].sort());
  }

  async update(principal: Principal | undefined, projectId: string, orgId: string, body: { label?: string; domains?: string[]; session_lifespan?: string }) {
    const project = await this.o.projects.authorize(principal, projectId, 'manage');
    const updated = await this.o.db.transaction().execute(async (trx) => {
      const current = await this.load(trx, projectId, orgId);
      const label = body.label === undefined ? current.label : body.label.trim();
      if (!label) throw badRequest('label must not be empty.');
      const domains = body.domains === undefined ? current.domains : normalizeDomains(body.domains);
      const row = await trx
        .updateTable('organizations')
        .set({ label, session_lifespan: body.session_lifespan ?? current.session_lifespan ?? null, updated_at: nowIso() })
        .where('id', '=', orgId)
        .where('project_id', '=', projectId)
        .returningAll()
        .executeTakeFirstOrThrow();
      await trx.deleteFrom('organization_domains').where('project_id', '=', projectId).where('organization_id', '=', orgId).execute();
      await this.insertDomains(trx, projectId, orgId, domains);
      return toOrganization(row, [...domains].sort());
    });
    await this.changed(project);
    return updated;
  }

  async delete(principal: Principal | undefined, projectId: string, orgId: string): Promise<void> {
    const project = await this.o.projects.authorize(principal, projectId, 'manage');
    if (!isUuid(orgId)) throw notFound();
    await this.o.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('organization_domains').where('project_id', '=', projectId).where('organization_id', '=', orgId).execute();
      const res = await trx.deleteFrom('organizations').where('id', '=', orgId).where('project_id', '=', projectId).executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) throw notFound();
    });
    await this.changed(project);
  }

  private async load(db: Kysely<Database> | Transaction<Database>, projectId: string, orgId: string) {
    if (!isUuid(orgId)) throw notFound();
    const row = await db.selectFrom('organizations').selectAll().where('id', '=', orgId).where('project_id', '=', projectId).executeTakeFirst();
    if (!row) throw notFound();
    const domains = await db.selectFrom('organization_domains').select('domain').where('project_id', '=', projectId).where('organization_id', '=', orgId).orderBy('domain').execute();
    return toOrganization(row, domains.map((d) => d.domain));
  }

  private async insertDomains(trx: Transaction<Database>, projectId: string, orgId: string, domains: string[]) {
    if (domains.length === 0) return;
    try {
      await trx.insertInto('organization_domains').values(domains.map((domain) => ({ project_id: projectId, domain, organization_id: orgId }))).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('One of these domains already belongs to another organization of this project.', ErrorId.domainTaken);
      throw err;
    }
  }
}
