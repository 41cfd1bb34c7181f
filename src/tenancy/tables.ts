// Tables of the tenancy domain (console users, workspaces, members, invites, projects, B2B SSO
// organizations), merged into the typed Database (src/database.ts). Portable storage: app-generated
// ids, timestamps as ISO-8601 UTC text (they sort as text), JSON as text, no database-side defaults.

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string | null;
  created_at: string;
  updated_at: string;
}

export interface WorkspacesTable {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

export interface WorkspaceMembersTable {
  workspace_id: string;
  user_id: string;
  role: 'owner' | 'developer' | 'viewer';
  created_at: string;
}

export interface WorkspaceInvitesTable {
  id: string;
  workspace_id: string;
  email: string;
  role: 'owner' | 'developer' | 'viewer';
  token_hash: string;
  invited_by: string | null;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
  accepted_by: string | null;
  revoked_at: string | null;
}

export interface ProjectsTable {
  id: string;
  workspace_id: string;
  slug: string;
  name: string;
  environment: 'prod' | 'stage' | 'dev';
  home_region: string;
  state: 'running' | 'halted' | 'deleted';
  revision_id: string;
  /** JSON text of `services.identity.config`. */
  identity_config: string;
  oauth2_config: string;
  permission_config: string;
  cors_admin: string;
  cors_public: string;
  created_at: string;
  updated_at: string;
}

export interface OrganizationsTable {
  id: string;
  project_id: string;
  label: string;
  session_lifespan: string | null;
  created_at: string;
  updated_at: string;
}

export interface OrganizationDomainsTable {
  project_id: string;
  domain: string;
  organization_id: string;
}

export interface TenancyTables {
  users: UsersTable;
  workspaces: WorkspacesTable;
  workspace_members: WorkspaceMembersTable;
  workspace_invites: WorkspaceInvitesTable;
  projects: ProjectsTable;
  organizations: OrganizationsTable;
  organization_domains: OrganizationDomainsTable;
}
