// The API keys table, merged into the typed Database (src/database.ts).

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
  /** JSON array of scope names (`identities:read`); null means the key's full plane. */
  scopes: string | null;
  /** JSON array of canonical CIDRs the key may be used from; null means anywhere. */
  allowed_cidrs: string | null;
  /** JSON `{"requests": N, "per": "1m"}`; null means no limit of its own. */
  rate_limit: string | null;
  /** The key that replaced this one by rotation; this one then works until its `expires_at`. */
  replaced_by: string | null;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** The client addresses a key was used from, so the first use from a new one is recorded once. */
export interface ApiKeyAddressesTable {
  key_id: string;
  address: string;
  first_seen_at: string;
}

export interface KeyTables {
  api_keys: ApiKeysTable;
  api_key_addresses: ApiKeyAddressesTable;
}
