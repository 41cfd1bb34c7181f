import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { Principal } from '../platform/auth/principal.js';
import { badRequest, conflict, ErrorId, notFound } from '../platform/errors/errors.js';
import { scoped } from '../platform/db/scoped.js';
import { isUuid, newId, nowIso } from '../platform/ids.js';
import { decodePageToken, encodePageToken } from '../platform/http/pagination.js';
import type { ProjectService } from './project-service.js';
import type { Notifier } from '../platform/db/notifier.js';
import { domainsOf, toOrganization } from './models.js';
import { OrganizationStore } from './organization-store.js';

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

  private store(projectId: string): OrganizationStore {
    return new OrganizationStore(scoped(this.o.db, projectId));
  }

  /** Organizations are part of the project model: tell every node's caches. */
  private changed(project: { id: string; slug: string }) {
    return this.o.notifier.publish({ type: 'project', id: project.id, slug: project.slug });
  }

  async list(principal: Principal, projectId: string, q: { page_size?: number; page_token?: string; domain?: string }) {
    await this.o.projects.authorize(principal, projectId, 'read');
    const pageSize = q.page_size ?? 100;
    const store = this.store(projectId);
    const rows = await store.page(pageSize + 1, decodePageToken(q.page_token), q.domain ? q.domain.trim().toLowerCase() : undefined);
    const page = rows.slice(0, pageSize);
    const domains = page.length ? await store.domains(page.map((r) => r.id)) : [];
    const more = rows.length > pageSize;
    return {
      organizations: page.map((r) => toOrganization(r, domainsOf(domains, r.id))),
      has_next_page: more,
      next_page_token: more ? encodePageToken(page[page.length - 1].id) : '',
    };
  }

  async get(principal: Principal, projectId: string, orgId: string) {
    await this.o.projects.authorize(principal, projectId, 'read');
    return { organization: await this.load(this.store(projectId), orgId) };
  }

  async create(principal: Principal, projectId: string, body: { label?: string; domains?: string[]; session_lifespan?: string }) {
    const project = await this.o.projects.authorize(principal, projectId, 'manage');
    const label = body.label?.trim();
    if (!label) throw badRequest('label is required.');
    const domains = normalizeDomains(body.domains ?? []);
    const now = nowIso();
    const row = { id: newId(), label, session_lifespan: body.session_lifespan ?? null, created_at: now, updated_at: now };
    await scoped(this.o.db, projectId).transaction(async (scope) => {
      const store = new OrganizationStore(scope);
      await store.insert(row);
      await setDomains(store, row.id, domains);
    });
    await this.changed(project);
    return toOrganization(row, [...domains].sort());
  }

  async update(principal: Principal, projectId: string, orgId: string, body: { label?: string; domains?: string[]; session_lifespan?: string }) {
    const project = await this.o.projects.authorize(principal, projectId, 'manage');
    const updated = await scoped(this.o.db, projectId).transaction(async (scope) => {
      const store = new OrganizationStore(scope);
      const current = await this.load(store, orgId);
      const label = body.label === undefined ? current.label : body.label.trim();
      if (!label) throw badRequest('label must not be empty.');
      const domains = body.domains === undefined ? current.domains : normalizeDomains(body.domains);
      const row = await store.update(orgId, { label, session_lifespan: body.session_lifespan ?? current.session_lifespan ?? null, updated_at: nowIso() });
      if (!row) throw notFound();
      await setDomains(store, orgId, domains);
      return toOrganization(row, [...domains].sort());
    });
    await this.changed(project);
    return updated;
  }

  async delete(principal: Principal, projectId: string, orgId: string): Promise<void> {
    const project = await this.o.projects.authorize(principal, projectId, 'manage');
    if (!isUuid(orgId)) throw notFound();
    await scoped(this.o.db, projectId).transaction(async (scope) => {
      if (!(await new OrganizationStore(scope).delete(orgId))) throw notFound();
    });
    await this.changed(project);
  }

  private async load(store: OrganizationStore, orgId: string) {
    if (!isUuid(orgId)) throw notFound();
    const row = await store.byId(orgId);
    if (!row) throw notFound();
    return toOrganization(row, domainsOf(await store.domains([orgId]), orgId));
  }
}

/** Gives an organization its domains; one that another organization of the project holds is a 409. */
async function setDomains(store: OrganizationStore, orgId: string, domains: string[]): Promise<void> {
  if (!(await store.setDomains(orgId, domains))) throw conflict('One of these domains already belongs to another organization of this project.', ErrorId.domainTaken);
}
