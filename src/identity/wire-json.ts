import type { IdentitiesTable, SessionsTable } from './tables.js';
import { encodeSchemaId } from './schemas.js';

// Hot-path serializers: whoami and the admin identity read build their JSON body by splicing the
// JSON text already stored in the row (traits, addresses, metadata, methods, devices) instead of
// parsing it and stringifying it again. They produce the same document as `rowToIdentity` and
// `rowToSession` (a test holds them equal). Stored JSON is always written by JSON.stringify, so the
// spliced text is valid JSON; every scalar is escaped with JSON.stringify.

const q = JSON.stringify;

export type IdentityRowForJson = Pick<
  IdentitiesTable,
  'id' | 'schema_id' | 'traits' | 'state' | 'state_changed_at' | 'metadata_public' | 'metadata_admin' | 'external_id' | 'organization_id' | 'verifiable_addresses' | 'recovery_addresses' | 'created_at' | 'updated_at'
>;

/** The wire `Identity` as JSON text; `credentials` is a ready JSON object text or omitted. */
export function identityJson(row: IdentityRowForJson, schemaBase: string, opts: { admin: boolean; credentials?: string }): string {
  let out =
    `{"id":${q(row.id)},"schema_id":${q(row.schema_id)},"schema_url":${q(`${schemaBase}/schemas/${encodeSchemaId(row.schema_id)}`)}` +
    `,"state":${q(row.state)}`;
  if (row.state_changed_at) out += `,"state_changed_at":${q(row.state_changed_at)}`;
  out +=
    `,"traits":${row.traits},"verifiable_addresses":${row.verifiable_addresses},"recovery_addresses":${row.recovery_addresses}` +
    `,"metadata_public":${row.metadata_public ?? 'null'}`;
  if (opts.admin) out += `,"metadata_admin":${row.metadata_admin ?? 'null'}`;
  if (row.external_id) out += `,"external_id":${q(row.external_id)}`;
  out += `,"organization_id":${row.organization_id === null ? 'null' : q(row.organization_id)}`;
  if (opts.credentials !== undefined) out += `,"credentials":${opts.credentials}`;
  return `${out},"created_at":${q(row.created_at)},"updated_at":${q(row.updated_at)}}`;
}

/** The wire `Session` as JSON text, with the identity's JSON text embedded. */
export function sessionJson(row: SessionsTable, identity: string | null, opts: { devices: boolean }): string {
  const active = row.active === 1 && Date.parse(row.expires_at) > Date.now();
  let out =
    `{"id":${q(row.id)},"active":${active},"expires_at":${q(row.expires_at)},"authenticated_at":${q(row.authenticated_at)}` +
    `,"authenticator_assurance_level":${q(row.aal)},"authentication_methods":${row.authentication_methods},"issued_at":${q(row.issued_at)}`;
  if (identity !== null) out += `,"identity":${identity}`;
  if (opts.devices) out += `,"devices":${row.devices}`;
  return out + '}';
}
