// The usage counters' table, merged into the typed Database (src/database.ts).

export interface UsageCountersTable {
  workspace_id: string;
  /** '' for the workspace's own rows (its workspace keys). */
  project_id: string;
  metric: string;
  /** The key a `key_*` count is of, or ''. */
  subject: string;
  /** Hours since the epoch (UTC). */
  hour: number;
  count: number;
}

export interface UsageTables {
  usage_counters: UsageCountersTable;
}
