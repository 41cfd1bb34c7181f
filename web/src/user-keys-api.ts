import { request } from './api';

// A project's keys for its own users: Ory's ApiKeysApi (v2alpha1) on the project plane, at
// /p/{slug}/v2alpha1/admin/..., called with the console session (src/user-keys/routes.ts). The same
// API a backend calls with a project key: the server decides what the session's role may do.

export type UserKeyKind = 'issued' | 'imported';
export type KeyStatus = 'KEY_STATUS_ACTIVE' | 'KEY_STATUS_REVOKED' | 'KEY_STATUS_EXPIRED' | 'KEY_STATUS_UNSPECIFIED';

export interface UserKey {
  key_id: string;
  name: string;
  actor_id: string;
  scopes: string[];
  metadata: Record<string, unknown>;
  status: KeyStatus;
  visibility: string;
  ip_restriction: { allowed_cidrs: string[] };
  rate_limit_policy?: { quota: string; window: string; unit?: string };
  create_time: string;
  update_time: string;
  expire_time?: string;
  last_used_time?: string;
  revocation_reason?: string;
  revocation_description?: string;
}

export interface NewUserKey {
  name: string;
  actor_id: string;
  scopes?: string[];
  ttl?: string;
  metadata?: Record<string, unknown>;
  rate_limit_policy?: { quota: string; window: string };
  ip_restriction?: { allowed_cidrs: string[] };
}

export interface UserKeyFilter {
  status?: 'KEY_STATUS_ACTIVE' | 'KEY_STATUS_REVOKED' | 'KEY_STATUS_EXPIRED';
  actor_id?: string;
  /** A name prefix. */
  name?: string;
}

/** The reasons an admin may give (Ory's RevocationReason), as the console names them. */
export const REVOCATION_REASONS: Array<[string, string]> = [
  ['REVOCATION_REASON_KEY_COMPROMISE', 'The key was leaked or compromised'],
  ['REVOCATION_REASON_AFFILIATION_CHANGED', 'Its holder left or changed role'],
  ['REVOCATION_REASON_PRIVILEGE_WITHDRAWN', 'Access withdrawn (say why)'],
  ['REVOCATION_REASON_SUPERSEDED', 'Replaced by another key'],
  ['REVOCATION_REASON_UNSPECIFIED', 'No reason given'],
];

/** A revocation reason in a word or two, for the list. */
export const REASON_SHORT: Record<string, string> = {
  REVOCATION_REASON_KEY_COMPROMISE: 'compromised',
  REVOCATION_REASON_AFFILIATION_CHANGED: 'affiliation changed',
  REVOCATION_REASON_PRIVILEGE_WITHDRAWN: 'access withdrawn',
  REVOCATION_REASON_SUPERSEDED: 'superseded',
};

const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The AIP-160 filter the list route reads (comparisons joined by AND). */
export function filterText(f: UserKeyFilter): string {
  const parts: string[] = [];
  if (f.status) parts.push(`status = ${q(f.status)}`);
  if (f.actor_id?.trim()) parts.push(`actor_id = ${q(f.actor_id.trim())}`);
  if (f.name?.trim()) parts.push(`name = ${q(`${f.name.trim()}*`)}`);
  return parts.join(' AND ');
}

export function userKeysApi(slug: string) {
  const base = `/p/${encodeURIComponent(slug)}/v2alpha1/admin`;
  const coll = (kind: UserKeyKind) => `${base}/${kind === 'issued' ? 'issuedApiKeys' : 'importedApiKeys'}`;
  return {
    async list(kind: UserKeyKind, filter: UserKeyFilter, pageToken?: string): Promise<{ keys: UserKey[]; next?: string }> {
      const params = new URLSearchParams({ page_size: '50' });
      const text = filterText(filter);
      if (text) params.set('filter', text);
      if (pageToken) params.set('page_token', pageToken);
      const r = await request<Record<string, unknown>>('GET', `${coll(kind)}?${params}`);
      const keys = (r[kind === 'issued' ? 'issued_api_keys' : 'imported_api_keys'] ?? []) as UserKey[];
      return { keys, next: (r.next_page_token as string | undefined) || undefined };
    },
    issue: (key: NewUserKey) => request<{ issued_api_key: UserKey; secret: string }>('POST', coll('issued'), key),
    importKey: (key: NewUserKey & { raw_key: string }) => request<UserKey>('POST', coll('imported'), key),
    rotate: (id: string) => request<{ issued_api_key: UserKey; old_issued_api_key: UserKey; secret: string }>('POST', `${coll('issued')}/${encodeURIComponent(id)}:rotate`, {}),
    revoke: (kind: UserKeyKind, id: string, reason: string, description?: string) =>
      request<void>('POST', `${coll(kind)}/${encodeURIComponent(id)}:revoke`, { reason, ...(description ? { description } : {}) }),
  };
}
