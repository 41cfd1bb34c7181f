// The audit log's table, merged into the typed Database (src/database.ts). Workspace data, not
// project data: a project's events outlive the project (its deletion is one of them).

export interface AuditEventsTable {
  id: string;
  workspace_id: string;
  project_id: string | null;
  occurred_at: string;
  event: string;
  actor_kind: 'user' | 'api_key' | 'anonymous';
  actor_id: string | null;
  actor_name: string | null;
  client_address: string | null;
  target_type: string;
  target_id: string;
  target_name: string | null;
  outcome: 'success' | 'refused';
  /** JSON text of an object; never holds a secret. */
  details: string;
}

export interface AuditTables {
  audit_events: AuditEventsTable;
}
