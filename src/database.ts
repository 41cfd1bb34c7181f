import type { Kysely } from 'kysely';
import type { TenancyTables } from './tenancy/tables.js';
import type { KeyTables } from './keys/tables.js';
import type { IdentityTables } from './identity/tables.js';
import type { SelfServiceTables } from './selfservice/tables.js';
import type { OAuth2Tables } from './oauth2/tables.js';
import type { PermissionTables } from './permissions/tables.js';
import type { ConsoleTables } from './console/tables.js';
import type { UserKeyTables } from './user-keys/tables.js';
import type { RateLimitTables } from './platform/rate-limit.js';
import type { QuotaTables } from './platform/quota.js';
import type { AuditTables } from './audit/tables.js';
import type { UsageTables } from './usage/tables.js';

/**
 * The typed database: every domain's tables. Portable storage: app-generated ids, timestamps as
 * ISO-8601 UTC text (they sort as text), JSON as text, booleans as 0/1 integers, no database-side
 * defaults. A domain that adds a table adds it to its own `tables.ts` and its interface here.
 */
export interface Database extends TenancyTables, KeyTables, IdentityTables, SelfServiceTables, OAuth2Tables, PermissionTables, ConsoleTables, RateLimitTables, QuotaTables, UserKeyTables, AuditTables, UsageTables {}

/**
 * Every table that holds project data (each has a `project_id` column), children first: purging a
 * project deletes its rows from each in this order. A new project-data table is added here.
 */
export const PROJECT_DATA_TABLES: (keyof Database)[] = [
  'organization_domains', 'organizations', 'relation_tuples', 'sessions', 'identity_addresses', 'identity_credential_identifiers', 'identity_credentials', 'identities', 'courier_dispatches', 'courier_messages',
  'selfservice_flows', 'selfservice_errors', 'oauth2_tokens', 'oauth2_device_codes', 'oauth2_flows', 'oauth2_logout_requests', 'oauth2_login_sessions', 'oauth2_consent_sessions', 'oauth2_clients',
  'oauth2_jwks', 'oauth2_rate_limits', 'oauth2_trusted_issuers', 'oauth2_jwt_assertions',
  'user_api_keys', 'user_key_signing_keys', 'usage_counters',
];

/** Deletes all data of `projectId`. Call inside the purge transaction. */
export async function deleteProjectData(trx: Kysely<Database>, projectId: string): Promise<void> {
  for (const table of PROJECT_DATA_TABLES) {
    await trx.deleteFrom(table as 'organizations').where('project_id', '=', projectId).execute();
  }
  await trx.deleteFrom('rate_limit_windows').where('scope', '=', projectId).execute();
}
