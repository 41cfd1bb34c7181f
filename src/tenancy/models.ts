import type { ProjectsTable, UsersTable, WorkspacesTable } from './tables.js';
import type { Role } from './access.js';
import type { OrganizationDomain, OrganizationRow } from './organization-store.js';

// Wire models of the Management API, shaped as @ory/client 1.22 expects them.

export function toWorkspace(row: WorkspacesTable) {
  return { id: row.id, name: row.name, created_at: row.created_at, updated_at: row.updated_at, subscription_id: null, subscription_plan: null };
}

export interface BasicOrganization {
  id: string;
  label: string;
  domains: string[];
  session_lifespan?: string;
}

/** A plane's config as stored: a JSON object that tenancy keeps as given (each plane reads its own part). */
export type PlaneConfig = Record<string, unknown>;

/** The `services` part of a project, parsed from its JSON columns (every write checks they hold objects). */
export function parseServices(row: Pick<ProjectsTable, 'identity_config' | 'oauth2_config' | 'permission_config'>) {
  return {
    identity: { config: JSON.parse(row.identity_config) as PlaneConfig },
    oauth2: { config: JSON.parse(row.oauth2_config) as PlaneConfig },
    permission: { config: JSON.parse(row.permission_config) as PlaneConfig },
  };
}

/** The fields that open both a project and its metadata, in the order Ory sends them. */
const projectHead = (row: ProjectsTable) => ({ id: row.id, name: row.name, slug: row.slug, environment: row.environment, home_region: row.home_region, state: row.state });

export function toProject(row: ProjectsTable, organizations: BasicOrganization[]) {
  return {
    ...projectHead(row),
    revision_id: row.revision_id,
    workspace_id: row.workspace_id,
    organizations,
    cors_admin: JSON.parse(row.cors_admin),
    cors_public: JSON.parse(row.cors_public),
    services: parseServices(row),
  };
}
export type ProjectModel = ReturnType<typeof toProject>;

export function toProjectMetadata(row: ProjectsTable, baseDomain: string) {
  return {
    ...projectHead(row),
    workspace_id: row.workspace_id,
    hosts: [`${row.slug}.projects.${baseDomain}`],
    created_at: row.created_at,
    updated_at: row.updated_at,
    subscription_id: null,
    subscription_plan: null,
  };
}

export function toMember(user: UsersTable, role: Role) {
  return { id: user.id, email: user.email, name: user.name, email_verified: false, role, source: 'workspace' as const };
}

/** The domains of organization `id` among `domains` (rows of several organizations), in their order. */
export function domainsOf(domains: OrganizationDomain[], id: string): string[] {
  return domains.filter((d) => d.organization_id === id).map((d) => d.domain);
}

export function toOrganization(row: OrganizationRow, domains: string[]) {
  const org: { id: string; label: string; domains: string[]; created_at: string; session_lifespan?: string } = {
    id: row.id,
    label: row.label,
    domains,
    created_at: row.created_at,
  };
  if (row.session_lifespan) org.session_lifespan = row.session_lifespan;
  return org;
}
