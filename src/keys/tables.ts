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
  /** JSON text; null means the key's full plane. Room for least-privilege keys. */
  scopes: string | null;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface KeyTables {
  api_keys: ApiKeysTable;
}
