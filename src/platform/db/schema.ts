import type { Generated } from 'kysely';
import type { IdentityTables } from '../../identity/tables.js';
import type { OAuth2Tables } from '../../oauth2/tables.js';
import type { PermissionTables } from '../../permissions/tables.js';
import type { ConsoleTables } from '../../console/tables.js';
import type { SelfServiceTables } from '../../selfservice/tables.js';

// Portable storage (STYLE.md): app-generated ids, timestamps as ISO-8601 UTC text (they sort as
// text), JSON as text, booleans as 0/1 integers, no database-side defaults.

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

export interface ApiKeysTable {
  id: string;
  kind: 'workspace' | 'project';
  workspace_id: string;
  project_id: string | null;
  name: string;
  /** HMAC-SHA256(server secret, key) as hex: the lookup value. The key itself is never stored. */
  secret_hash: string;
  last_characters: string;
  owner_id: string;
  /** JSON text; null means the key's full plane. Room for least-privilege keys. */
  scopes: string | null;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
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

export interface RateLimitWindowsTable {
  /** A project id, or `console` for console sign-in. */
  scope: string;
  key: string;
  window_start: number;
  count: number;
}

export interface FoundationTables {
  users: UsersTable;
  workspaces: WorkspacesTable;
  workspace_members: WorkspaceMembersTable;
  workspace_invites: WorkspaceInvitesTable;
  projects: ProjectsTable;
  api_keys: ApiKeysTable;
  organizations: OrganizationsTable;
  organization_domains: OrganizationDomainsTable;
  rate_limit_windows: RateLimitWindowsTable;
}

export interface Database extends FoundationTables, IdentityTables, SelfServiceTables, OAuth2Tables, PermissionTables, ConsoleTables {}

// Kysely's Generated is re-exported so domain table files need only this module.
export type { Generated };
