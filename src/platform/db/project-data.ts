import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * Every table that holds project data (each has a `project_id` column). Purging a project deletes its
 * rows from each, children first. A domain that adds a project-data table adds it here.
 */
export const PROJECT_DATA_TABLES: (keyof Database)[] = ['organization_domains', 'organizations', 'relation_tuples', 'sessions', 'identity_addresses', 'identity_credential_identifiers', 'identity_credentials', 'identities', 'courier_messages', 'selfservice_flows', 'selfservice_errors', 'oauth2_tokens', 'oauth2_device_codes', 'oauth2_flows', 'oauth2_logout_requests', 'oauth2_login_sessions', 'oauth2_consent_sessions', 'oauth2_clients', 'oauth2_jwks', 'oauth2_rate_limits', 'oauth2_trusted_issuers', 'oauth2_jwt_assertions'];

/** Deletes all data of `projectId`. Call inside the purge transaction. */
export async function deleteProjectData(trx: Kysely<Database>, projectId: string): Promise<void> {
  for (const table of PROJECT_DATA_TABLES) {
    await trx.deleteFrom(table as 'organizations').where('project_id', '=', projectId).execute();
  }
  await trx.deleteFrom('rate_limit_windows').where('scope', '=', projectId).execute();
}
