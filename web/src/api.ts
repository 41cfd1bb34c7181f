// The console talks to the Management API and its own /console/api routes with the session cookie.
// Every state-changing call carries the session's CSRF token.

export type Role = 'owner' | 'developer' | 'viewer';

export interface User {
  id: string;
  email: string;
  name: string;
}
export interface Workspace {
  id: string;
  name: string;
  created_at: string;
}
export interface ProjectMeta {
  id: string;
  name: string;
  slug: string;
  environment: 'prod' | 'stage' | 'dev';
  state: string;
  workspace_id: string;
  hosts: string[];
  created_at: string;
}
export interface Project {
  id: string;
  name: string;
  slug: string;
  environment: 'prod' | 'stage' | 'dev';
  state: string;
  revision_id: string;
  workspace_id: string;
  services: { identity: { config: any }; oauth2: { config: any }; permission: { config: any } };
}
export interface Member {
  id: string;
  email: string;
  name: string;
  role: Role;
}
export interface Invite {
  id: string;
  email: string;
  role: Role;
  created_at: string;
  expires_at: string;
  token?: string;
}
export interface ApiKey {
  id: string;
  name: string;
  owner_id: string;
  last_characters: string;
  created_at: string;
  expires_at?: string;
  last_used_at?: string;
  value?: string;
  scopes?: string[];
  allowed_cidrs?: string[];
  rate_limit?: { requests: number; per: string };
  replaced_by?: string;
}
/** What a new key may be given beyond its name: all optional, absent means unrestricted. */
export interface NewApiKey {
  name: string;
  expires_at?: string;
  scopes?: string[];
  allowed_cidrs?: string[];
  rate_limit?: { requests: number; per: string };
}
export interface Organization {
  id: string;
  label: string;
  domains: string[];
  created_at: string;
}

/** An error from the server (or the network), with a sentence a person can act on. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly id?: string,
  ) {
    super(message);
  }
}

let csrfToken = '';
export const setCsrfToken = (t: string) => {
  csrfToken = t;
};

/** Called when the session ends (401 on a call that needed it): the app goes to the sign-in page. */
let onSignedOut: () => void = () => {};
export const setSignedOutHandler = (fn: () => void) => {
  onSignedOut = fn;
};

function plainWords(status: number, body: any): string {
  const e = body?.error ?? {};
  const reason: string = typeof e.reason === 'string' ? e.reason : '';
  switch (status) {
    case 400:
      if (e.id === 'validation_failed') return `Some of what you entered is not valid (${reason.replace(/^body\/?/, '') || 'check the fields'}).`;
      return reason || 'The request was not valid.';
    case 401:
      return reason || 'Your session has ended. Please sign in again.';
    case 403:
      if (e.id === 'security_csrf_violation') return 'Your session could not be verified. Reload the page and try again.';
      return `You do not have permission to do this. ${reason || 'Ask a workspace owner for a role that allows it.'}`;
    case 404:
      return reason && reason !== 'The requested resource could not be found.' ? reason : 'It was not found: it may have been deleted, or you are not a member of its workspace.';
    case 409:
      return reason || 'That conflicts with something that already exists.';
    case 413:
      return 'That is too large to save.';
    case 429:
      return reason || 'Too many attempts. Wait a moment and try again.';
    default:
      return status >= 500 ? 'The server ran into a problem. Try again in a moment; if it keeps happening, tell your administrator.' : reason || e.message || `The request failed (${status}).`;
  }
}

export async function request<T>(method: string, path: string, body?: unknown, opts: { quiet401?: boolean } = {}): Promise<T> {
  return (await requestWithHeaders<T>(method, path, body, opts)).data;
}

/** `request`, also giving the response headers (lists of the project APIs page with a `Link` header). */
export async function requestWithHeaders<T>(method: string, path: string, body?: unknown, opts: { quiet401?: boolean } = {}): Promise<{ data: T; headers: Headers }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'Could not reach the server. Check your connection and try again.');
  }
  if (res.status === 204) return { data: undefined as T, headers: res.headers };
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    if (res.status === 401 && !opts.quiet401) onSignedOut();
    throw new ApiError(res.status, plainWords(res.status, data), data?.error?.id);
  }
  return { data: data as T, headers: res.headers };
}

export const api = {
  /** The current session, or null when signed out (the server answers 200 either way). */
  session: () => request<{ session: { user: User; csrf_token: string } | null }>('GET', '/console/api/session').then((r) => r.session),
  signIn: (email: string, password: string) => request<{ user: User; csrf_token: string }>('POST', '/console/api/sign-in', { email, password }, { quiet401: true }),
  signUp: (email: string, password: string, name?: string) => request<{ user: User; csrf_token: string }>('POST', '/console/api/sign-up', { email, password, ...(name ? { name } : {}) }),
  signOut: () => request<void>('POST', '/console/api/sign-out'),
  changePassword: (current_password: string, new_password: string) => request<void>('POST', '/console/api/password', { current_password, new_password }),
  // The token goes in the body, never in a URL that a log could keep.
  invite: (token: string) => request<{ workspace_id: string; workspace_name: string; email: string; role: Role }>('POST', '/console/api/invites/lookup', { token }),
  acceptInvite: (token: string) => request<{ workspace_id: string; role: Role }>('POST', '/console/api/invites/accept', { token }),

  workspaces: () => request<{ workspaces: Workspace[] }>('GET', '/workspaces').then((r) => r.workspaces),
  workspace: (id: string) => request<Workspace>('GET', `/workspaces/${id}`),
  createWorkspace: (name: string) => request<Workspace>('POST', '/workspaces', { name }),
  renameWorkspace: (id: string, name: string) => request<Workspace>('PUT', `/workspaces/${id}`, { name }),
  members: (ws: string) => request<Member[]>('GET', `/workspaces/${ws}/members`),
  changeRole: (ws: string, user: string, role: Role) => request<Member>('PUT', `/workspaces/${ws}/members/${user}`, { role }),
  removeMember: (ws: string, user: string) => request<void>('DELETE', `/workspaces/${ws}/members/${user}`),
  invites: (ws: string) => request<Invite[]>('GET', `/workspaces/${ws}/invites`),
  createInvite: (ws: string, email: string, role: Role) => request<Invite>('POST', `/workspaces/${ws}/invites`, { email, role }),
  revokeInvite: (ws: string, id: string) => request<void>('DELETE', `/workspaces/${ws}/invites/${id}`),
  workspaceKeys: (ws: string) => request<ApiKey[]>('GET', `/workspaces/${ws}/tokens`),
  createWorkspaceKey: (ws: string, key: NewApiKey) => request<ApiKey>('POST', `/workspaces/${ws}/tokens`, key),
  rotateWorkspaceKey: (ws: string, id: string, grace_period: string) => request<ApiKey>('POST', `/workspaces/${ws}/tokens/${id}/rotate`, { grace_period }),
  deleteWorkspaceKey: (ws: string, id: string) => request<void>('DELETE', `/workspaces/${ws}/tokens/${id}`),

  projects: (ws: string) => request<{ projects: ProjectMeta[] }>('GET', `/workspaces/${ws}/projects`).then((r) => r.projects),
  createProject: (ws: string, name: string, environment: string) => request<Project>('POST', '/projects', { name, environment, workspace_id: ws }),
  project: (id: string) => request<Project>('GET', `/projects/${id}`),
  patchProject: (id: string, ops: { op: string; path: string; value?: unknown }[]) => request<{ project: Project }>('PATCH', `/projects/${id}`, ops).then((r) => r.project),
  deleteProject: (id: string) => request<void>('DELETE', `/projects/${id}`),
  projectKeys: (id: string) => request<ApiKey[]>('GET', `/projects/${id}/tokens`),
  createProjectKey: (id: string, key: NewApiKey) => request<ApiKey>('POST', `/projects/${id}/tokens`, key),
  rotateProjectKey: (id: string, key: string, grace_period: string) => request<ApiKey>('POST', `/projects/${id}/tokens/${key}/rotate`, { grace_period }),
  deleteProjectKey: (id: string, key: string) => request<void>('DELETE', `/projects/${id}/tokens/${key}`),
  organizations: (id: string) => request<{ organizations: Organization[] } | Organization[]>('GET', `/projects/${id}/organizations`).then((r) => (Array.isArray(r) ? r : r.organizations)),
  createOrganization: (id: string, label: string, domains: string[]) => request<Organization>('POST', `/projects/${id}/organizations`, { label, domains }),
  updateOrganization: (id: string, org: string, label: string, domains: string[]) => request<Organization>('PUT', `/projects/${id}/organizations/${org}`, { label, domains }),
  deleteOrganization: (id: string, org: string) => request<void>('DELETE', `/projects/${id}/organizations/${org}`),
  // Usage counters (hourly buckets, flushed every few seconds): the overview charts and "Keys in use".
  metrics: (id: string, metric: Metric, from: string, to: string, resolution: '1h' | '1d') =>
    request<{ data: { time: string; count: number }[] }>('GET', `/projects/${id}/metrics?${new URLSearchParams({ metric, from, to, resolution })}`).then((r) => r.data),
  projectKeyUsage: (id: string, from: string, to: string) => request<{ keys: KeyUsage[] }>('GET', `/projects/${id}/metrics/keys?${new URLSearchParams({ from, to })}`).then((r) => r.keys),
  workspaceKeyUsage: (ws: string, from: string, to: string) => request<{ keys: KeyUsage[] }>('GET', `/workspaces/${ws}/metrics/keys?${new URLSearchParams({ from, to })}`).then((r) => r.keys),
};

export type Metric = 'signups' | 'logins' | 'active_sessions' | 'api_requests' | 'api_errors' | 'key_requests' | 'key_refusals';
export interface KeyUsage {
  key_id: string;
  requests: number;
  refusals: number;
}

/** How the console names a project's environment (the API's `prod`, `stage`, `dev`). */
export const ENV_LABEL = { prod: 'Production', stage: 'Staging', dev: 'Development' } as const;

export const can = {
  manage: (role: Role | null | undefined) => role === 'owner' || role === 'developer',
  admin: (role: Role | null | undefined) => role === 'owner',
};

export function formatDate(iso?: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' }) + ' ' + d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}
