import type { IdentitiesTable, IdentityCredentialsTable, SessionsTable } from './tables.js';
import { encodeSchemaId } from './schemas.js';

// Wire models of @ory/client 1.22 (`Identity`, `Session`, ...), and the row mappers that build them.

export interface VerifiableIdentityAddress {
  id: string;
  value: string;
  verified: boolean;
  via: string;
  status: string;
  verified_at?: string;
  created_at: string;
  updated_at: string;
}

export interface RecoveryIdentityAddress {
  id: string;
  value: string;
  via: string;
  created_at: string;
  updated_at: string;
}

export interface IdentityCredentials {
  type: string;
  identifiers: string[];
  version: number;
  created_at: string;
  updated_at: string;
  config?: Record<string, unknown>;
}

export interface Identity {
  id: string;
  schema_id: string;
  schema_url: string;
  state: 'active' | 'inactive';
  state_changed_at?: string;
  traits: Record<string, unknown>;
  verifiable_addresses: VerifiableIdentityAddress[];
  recovery_addresses: RecoveryIdentityAddress[];
  metadata_public: unknown;
  metadata_admin?: unknown;
  external_id?: string;
  organization_id: string | null;
  credentials?: Record<string, IdentityCredentials>;
  created_at: string;
  updated_at: string;
}

export interface SessionAuthenticationMethod {
  method: string;
  aal: 'aal1' | 'aal2';
  completed_at: string;
  provider?: string;
  organization?: string;
}

export interface SessionDevice {
  id: string;
  ip_address?: string;
  user_agent?: string;
  location?: string;
}

export interface Session {
  id: string;
  active: boolean;
  expires_at: string;
  authenticated_at: string;
  authenticator_assurance_level: 'aal1' | 'aal2';
  authentication_methods: SessionAuthenticationMethod[];
  issued_at: string;
  identity?: Identity;
  devices?: SessionDevice[];
  tokenized?: string;
}

/** Internal view of a session row plus the identity it belongs to. */
export interface SessionRecord {
  session: Session;
  identityId: string;
  identityState: 'active' | 'inactive';
}

const parse = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

/** Wire identity from a row. `schemaBase` is the project's public base URL (no trailing slash). */
export function rowToIdentity(row: IdentitiesTable, schemaBase: string, opts: { admin: boolean }): Identity {
  const out: Identity = {
    id: row.id,
    schema_id: row.schema_id,
    schema_url: `${schemaBase}/schemas/${encodeSchemaId(row.schema_id)}`,
    state: row.state,
    traits: JSON.parse(row.traits),
    verifiable_addresses: JSON.parse(row.verifiable_addresses),
    recovery_addresses: JSON.parse(row.recovery_addresses),
    metadata_public: parse(row.metadata_public),
    organization_id: row.organization_id,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
  if (row.state_changed_at) out.state_changed_at = row.state_changed_at;
  if (opts.admin) out.metadata_admin = parse(row.metadata_admin);
  if (row.external_id) out.external_id = row.external_id;
  return out;
}

/** Credential metadata; `config` only for the types the caller asked to include. */
export function rowToCredentials(row: Pick<IdentityCredentialsTable, 'type' | 'identifiers' | 'version' | 'created_at' | 'updated_at' | 'config'>, includeConfig: boolean): IdentityCredentials {
  const c: IdentityCredentials = {
    type: row.type,
    identifiers: JSON.parse(row.identifiers),
    version: row.version,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
  if (includeConfig) c.config = publicCredentialConfig(row.type, JSON.parse(row.config));
  return c;
}

/**
 * A credential's config as the admin API shows it: a password's hash as Kratos does, but never a
 * second factor's sealed TOTP seed or lookup-code HMACs (only when each code was used).
 */
function publicCredentialConfig(type: string, config: Record<string, unknown>): Record<string, unknown> {
  if (type === 'totp') return {};
  if (type === 'lookup_secret') {
    const codes = Array.isArray(config.recovery_codes) ? (config.recovery_codes as { used_at?: string }[]) : [];
    return { recovery_codes: codes.map((c) => (c.used_at ? { used_at: c.used_at } : {})) };
  }
  return config;
}

export function rowToSession(row: SessionsTable, opts: { devices: boolean }): Session {
  const s: Session = {
    id: row.id,
    active: row.active === 1 && Date.parse(row.expires_at) > Date.now(),
    expires_at: row.expires_at,
    authenticated_at: row.authenticated_at,
    authenticator_assurance_level: row.aal,
    authentication_methods: JSON.parse(row.authentication_methods),
    issued_at: row.issued_at,
  };
  if (opts.devices) s.devices = JSON.parse(row.devices);
  return s;
}
