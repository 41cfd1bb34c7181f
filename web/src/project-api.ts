import { request, requestWithHeaders } from './api';

// A project's data through the project plane's own APIs (/p/{slug}/...), the ones the SDK calls
// (IdentityApi, OAuth2Api, RelationshipApi, PermissionApi), with the console session. The server
// enforces the role: a viewer reads, a developer or owner also changes.

export interface Address {
  id?: string;
  value: string;
  via: string;
  verified?: boolean;
  status?: string;
  verified_at?: string;
}
export interface Identity {
  id: string;
  schema_id: string;
  state: 'active' | 'inactive';
  traits: Record<string, unknown>;
  verifiable_addresses?: Address[];
  recovery_addresses?: Address[];
  metadata_public?: unknown;
  metadata_admin?: unknown;
  credentials?: Record<string, { type: string; identifiers?: string[]; created_at?: string; updated_at?: string; version?: number }>;
  created_at: string;
  updated_at: string;
  state_changed_at?: string;
  external_id?: string | null;
}
export interface Session {
  id: string;
  active: boolean;
  expires_at?: string;
  authenticated_at?: string;
  issued_at?: string;
  authentication_methods?: { method: string; completed_at?: string }[];
  devices?: { ip_address?: string; user_agent?: string; location?: string }[];
}
export interface IdentitySchema {
  id: string;
  schema: any;
}
export interface OAuth2Client {
  client_id: string;
  client_name?: string;
  client_secret?: string;
  grant_types?: string[];
  response_types?: string[];
  redirect_uris?: string[];
  scope?: string;
  token_endpoint_auth_method?: string;
  owner?: string;
  created_at?: string;
  updated_at?: string;
  [k: string]: unknown;
}
export interface Tuple {
  namespace: string;
  object: string;
  relation: string;
  subject_id?: string;
  subject_set?: { namespace: string; object: string; relation: string };
}
export interface ExpandTree {
  type: string;
  tuple?: Tuple;
  children?: ExpandTree[];
}

/** The `next` page token of a `Link` header (Ory's keyset pagination). */
export function nextToken(headers: Headers): string | undefined {
  const next = /<([^>]+)>;\s*rel="next"/.exec(headers.get('link') ?? '')?.[1];
  return next ? new URL(next, location.origin).searchParams.get('page_token') || undefined : undefined;
}

const qs = (params: Record<string, string | undefined>) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
};

export function projectApi(slug: string) {
  const base = `/p/${encodeURIComponent(slug)}`;
  const id = encodeURIComponent;
  return {
    async identities(o: { pageToken?: string; identifier?: string; pageSize?: number }): Promise<{ identities: Identity[]; next?: string }> {
      const r = await requestWithHeaders<Identity[]>('GET', `${base}/admin/identities${qs({ page_size: String(o.pageSize ?? 25), page_token: o.pageToken, credentials_identifier: o.identifier })}`);
      return { identities: r.data, next: nextToken(r.headers) };
    },
    identity: (identityId: string) => request<Identity>('GET', `${base}/admin/identities/${id(identityId)}`),
    createIdentity: (body: { schema_id: string; traits: unknown; state?: string; metadata_public?: unknown; metadata_admin?: unknown }) => request<Identity>('POST', `${base}/admin/identities`, body),
    replaceIdentity: (identityId: string, body: { schema_id: string; traits: unknown; state: string; metadata_public?: unknown; metadata_admin?: unknown }) => request<Identity>('PUT', `${base}/admin/identities/${id(identityId)}`, body),
    setState: (identityId: string, state: 'active' | 'inactive') => request<Identity>('PATCH', `${base}/admin/identities/${id(identityId)}`, [{ op: 'replace', path: '/state', value: state }]),
    deleteIdentity: (identityId: string) => request<void>('DELETE', `${base}/admin/identities/${id(identityId)}`),
    sessions: (identityId: string) => request<Session[]>('GET', `${base}/admin/identities/${id(identityId)}/sessions?page_size=100`),
    revokeSession: (sessionId: string) => request<void>('DELETE', `${base}/admin/sessions/${id(sessionId)}`),
    recoveryCode: (identityId: string) => request<{ recovery_link: string; recovery_code: string; expires_at: string }>('POST', `${base}/admin/recovery/code`, { identity_id: identityId }),
    schemas: () => request<IdentitySchema[]>('GET', `${base}/schemas`),

    async clients(pageToken?: string): Promise<{ clients: OAuth2Client[]; next?: string }> {
      const r = await requestWithHeaders<OAuth2Client[]>('GET', `${base}/admin/clients${qs({ page_size: '50', page_token: pageToken })}`);
      return { clients: r.data, next: nextToken(r.headers) };
    },
    createClient: (c: Partial<OAuth2Client>) => request<OAuth2Client>('POST', `${base}/admin/clients`, c),
    patchClient: (clientId: string, ops: { op: string; path: string; value?: unknown }[]) => request<OAuth2Client>('PATCH', `${base}/admin/clients/${id(clientId)}`, ops),
    retireRotatedSecrets: (clientId: string) => request<OAuth2Client>('DELETE', `${base}/admin/clients/${id(clientId)}/secrets/rotate`),
    rotateClientSecret: (clientId: string) => request<OAuth2Client>('POST', `${base}/admin/clients/${id(clientId)}/secrets/rotate`),
    deleteClient: (clientId: string) => request<void>('DELETE', `${base}/admin/clients/${id(clientId)}`),

    namespaces: () => request<{ namespaces: { name: string }[] }>('GET', `${base}/namespaces`).then((r) => r.namespaces.map((n) => n.name)),
    async tuples(q: { namespace?: string; object?: string; relation?: string; subject_id?: string }, pageToken?: string): Promise<{ tuples: Tuple[]; next?: string }> {
      const r = await request<{ relation_tuples: Tuple[]; next_page_token: string }>('GET', `${base}/relation-tuples${qs({ ...q, page_size: '50', page_token: pageToken })}`);
      return { tuples: r.relation_tuples, next: r.next_page_token || undefined };
    },
    createTuple: (t: Tuple) => request<Tuple>('PUT', `${base}/admin/relation-tuples`, t),
    deleteTuple: (t: Tuple) => {
      const q: Record<string, string | undefined> = { namespace: t.namespace, object: t.object, relation: t.relation, subject_id: t.subject_id };
      if (t.subject_set) Object.assign(q, { 'subject_set.namespace': t.subject_set.namespace, 'subject_set.object': t.subject_set.object, 'subject_set.relation': t.subject_set.relation });
      return request<void>('DELETE', `${base}/admin/relation-tuples${qs(q)}`);
    },
    /** Whether the subject has the relation: the "openapi" variant answers 200 either way. */
    check: (t: Tuple) => request<{ allowed: boolean }>('POST', `${base}/relation-tuples/check/openapi`, t).then((r) => r.allowed),
    expand: (t: { namespace: string; object: string; relation: string }) => request<ExpandTree>('GET', `${base}/relation-tuples/expand${qs({ ...t, 'max-depth': '5' })}`),
  };
}
export type ProjectApi = ReturnType<typeof projectApi>;
