// Tables of the identity domain, merged into the typed Database (src/database.ts).
// Portable storage: ISO text timestamps, JSON as text, booleans as 0/1, every row carries project_id.

export interface IdentitiesTable {
  id: string;
  project_id: string;
  schema_id: string;
  /** JSON text of the traits object. */
  traits: string;
  state: 'active' | 'inactive';
  state_changed_at: string | null;
  metadata_public: string | null;
  metadata_admin: string | null;
  external_id: string | null;
  organization_id: string | null;
  /**
   * JSON snapshots of the identity's addresses (wire shape). The lookup/uniqueness rows live in
   * `identity_addresses`; the snapshot lets reads of an identity (and whoami) stay one query.
   */
  verifiable_addresses: string;
  recovery_addresses: string;
  created_at: string;
  updated_at: string;
}

export interface IdentityCredentialsTable {
  id: string;
  project_id: string;
  identity_id: string;
  type: string;
  /** JSON array of identifiers. */
  identifiers: string;
  /** JSON text of the credential config; for `password` `{hashed_password}` (never plaintext). */
  config: string;
  version: number;
  created_at: string;
  updated_at: string;
}

/** Unique identifiers per credential type within a project (`password` identifiers are lowercased). */
export interface IdentityCredentialIdentifiersTable {
  project_id: string;
  type: string;
  identifier: string;
  identity_id: string;
  credential_id: string;
}

/** Lookup and uniqueness of verifiable and recovery addresses within a project. */
export interface IdentityAddressesTable {
  project_id: string;
  kind: 'verifiable' | 'recovery';
  via: string;
  value: string;
  identity_id: string;
}

export interface SessionsTable {
  id: string;
  project_id: string;
  identity_id: string;
  /** `secretHash(server secret, 'session', token)`; sessions issued before it keep the legacy hex HMAC (see session-service.ts). */
  token_hash: string;
  active: number;
  aal: 'aal1' | 'aal2';
  /** JSON array of SessionAuthenticationMethod. */
  authentication_methods: string;
  /** JSON array of SessionDevice. */
  devices: string;
  issued_at: string;
  authenticated_at: string;
  expires_at: string;
  created_at: string;
  updated_at: string;
}

export interface CourierMessagesTable {
  id: string;
  project_id: string;
  type: string;
  status: 'queued' | 'sent' | 'processing' | 'abandoned';
  recipient: string;
  subject: string;
  body: string;
  template_type: string;
  channel: string | null;
  send_count: number;
  /** When the worker may next try to send it; null for outbox-only messages and finished ones. */
  next_attempt_at: string | null;
  /** While `processing`: when the claim of the node sending it lapses. */
  lease_until: string | null;
  /** The HTML part, when the project's template has one (sent as multipart/alternative). */
  html_body: string | null;
  created_at: string;
  updated_at: string;
}

/** One delivery attempt of a message (Ory's `MessageDispatch`). */
export interface CourierDispatchesTable {
  id: string;
  project_id: string;
  message_id: string;
  status: 'failed' | 'success';
  /** JSON `{ message }` of a failed attempt. */
  error: string | null;
  created_at: string;
  updated_at: string;
}

export interface IdentityTables {
  identities: IdentitiesTable;
  identity_credentials: IdentityCredentialsTable;
  identity_credential_identifiers: IdentityCredentialIdentifiersTable;
  identity_addresses: IdentityAddressesTable;
  sessions: SessionsTable;
  courier_messages: CourierMessagesTable;
  courier_dispatches: CourierDispatchesTable;
}
