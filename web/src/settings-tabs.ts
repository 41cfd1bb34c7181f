// The sections of the settings pages. The router checks a path's tab against these, so an address
// such as /…/delete is a "Page not found" rather than a silent fallback to General; the pages draw
// their navigation from the same lists. The first tab of each is the settings page's own address.

export interface Tab {
  id: string;
  label: string;
}

export const WORKSPACE_TABS: Tab[] = [
  { id: 'general', label: 'General' },
  { id: 'members', label: 'Members' },
  { id: 'api-keys', label: 'API keys' },
];

export const PROJECT_TABS: Tab[] = [
  { id: 'general', label: 'General' },
  { id: 'api-keys', label: 'API keys' },
  { id: 'user-api-keys', label: 'API keys for your users' },
  { id: 'identity', label: 'Identity' },
  { id: 'oauth2', label: 'OAuth2' },
  { id: 'permissions', label: 'Permissions' },
  { id: 'organizations', label: 'Organizations' },
  { id: 'danger', label: 'Delete project' },
];

/**
 * A project's data, beside its settings: the first row of the project's navigation. Their ids never
 * collide with a settings tab's, so one path segment names either.
 */
export const PROJECT_DATA_TABS: Tab[] = [
  { id: 'overview', label: 'Overview' },
  { id: 'users', label: 'Users' },
  { id: 'clients', label: 'OAuth2 clients' },
  { id: 'relationships', label: 'Permissions' },
  { id: 'usage', label: 'Keys in use' },
];

export const isTab = (tabs: Tab[], id: string) => tabs.some((t) => t.id === id);
