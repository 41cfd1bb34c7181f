// The tables of keys a project issues to its own users (Ory's ApiKeysApi), merged into the typed
// Database (src/database.ts). Both are project data: a project purge deletes their rows.

export type UserKeyKind = 'issued' | 'imported';

export interface UserApiKeysTable {
  /** UUIDv7: the SDK's `key_id`. */
  id: string;
  project_id: string;
  kind: UserKeyKind;
  /** `secretHash(server secret, 'user-api-key', key)`: the lookup value. The key itself is never stored. */
  secret_hash: string;
  name: string;
  actor_id: string;
  /** JSON array of strings. */
  scopes: string;
  /** JSON object, at most 4 KB. */
  metadata: string;
  /** JSON `{quota, unit, window}` as the SDK writes it, or null. */
  rate_limit_policy: string | null;
  /** JSON array of canonical CIDRs; empty: any address. */
  allowed_cidrs: string;
  visibility: string;
  /** The caller's idempotency key (`request_id`), unique per project and kind. */
  request_id: string | null;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  revocation_reason: string | null;
  revocation_description: string | null;
}

/** A project's Ed25519 signing keys for derived JWTs; the newest signs, all are published. */
export interface UserKeySigningKeysTable {
  /** The JWK `kid`. */
  id: string;
  project_id: string;
  /** JSON private JWK. */
  private_jwk: string;
  /** JSON public JWK (with `kid`, `alg`, `use`). */
  public_jwk: string;
  created_at: string;
}

export interface UserKeyTables {
  user_api_keys: UserApiKeysTable;
  user_key_signing_keys: UserKeySigningKeysTable;
}
