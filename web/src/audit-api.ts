import { ApiError } from './api';

// The workspace's audit log (GET /workspaces/{ws}/audit-events). Its pages are linked by the Link
// header, which the shared `request` does not expose, so this reads the response itself.

export interface AuditEvent {
  id: string;
  occurred_at: string;
  event: string;
  project_id: string | null;
  actor: { kind: 'user' | 'api_key' | 'anonymous'; id: string | null; name: string | null };
  client_address: string | null;
  target: { type: string; id: string; name: string | null };
  outcome: 'success' | 'refused';
  details: Record<string, unknown>;
}

export interface AuditFilter {
  event?: string;
  actor?: string;
  since?: string;
}

/** The event types the console offers as a filter, with how it names them. */
export const EVENT_LABELS: Record<string, string> = {
  'project.created': 'Project created',
  'project.config_changed': 'Project configured',
  'project.deleted': 'Project deleted',
  'member.invited': 'Member invited',
  'invite.accepted': 'Invite accepted',
  'invite.revoked': 'Invite revoked',
  'member.role_changed': 'Role changed',
  'member.removed': 'Member removed',
  'workspace.renamed': 'Workspace renamed',
  'api_key.created': 'API key created',
  'api_key.rotated': 'API key rotated',
  'api_key.revoked': 'API key revoked',
  'api_key.deleted': 'API key deleted',
  'api_key.revoked_by_leak': 'API key revoked (leaked)',
  'api_key.refused': 'API key refused',
  'api_key.new_client_address': 'API key used from a new address',
};

/** A page of events: the first (`next` undefined) or the one a previous page linked to. */
export async function auditEvents(ws: string, filter: AuditFilter, next?: string): Promise<{ events: AuditEvent[]; next?: string }> {
  const q = new URLSearchParams({ page_size: '50' });
  for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
  const url = next ?? `/workspaces/${encodeURIComponent(ws)}/audit-events?${q}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'Could not reach the server. Check your connection and try again.');
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const reason = data?.error?.reason as string | undefined;
    throw new ApiError(res.status, res.status === 403 ? 'Only owners of the workspace can see its activity.' : reason || `The activity could not be loaded (${res.status}).`, data?.error?.id);
  }
  const link = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
  return { events: data as AuditEvent[], next: link };
}
