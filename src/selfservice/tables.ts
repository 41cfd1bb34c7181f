// Tables of the selfservice domain, merged into the typed Database (src/database.ts).
// Portable storage: ISO text timestamps, JSON as text, integers for counters, every row carries project_id.

/** One self-service flow (login, registration, settings, recovery, verification) of a project. */
export interface SelfServiceFlowsTable {
  id: string;
  project_id: string;
  kind: 'login' | 'registration' | 'settings' | 'recovery' | 'verification';
  /** `api` (native apps, no CSRF) or `browser` (cookies and CSRF). */
  type: 'api' | 'browser';
  state: string;
  /** Settings: the identity being changed. Recovery/verification: the identity a code was sent for. */
  identity_id: string | null;
  /** Settings: the session the flow was created with. */
  session_id: string | null;
  schema_id: string | null;
  request_url: string;
  return_to: string | null;
  active: string | null;
  /** JSON text of the UI container (never holds a CSRF token, password or code). */
  ui: string;
  /** JSON text of extra flow fields (continue_with, refresh, aal...). */
  extra: string;
  /** HMAC of the browser's CSRF cookie secret the flow was created for (browser flows only). */
  csrf_binding: string | null;
  /** HMAC of the one-time code of recovery/verification flows; null when none is outstanding. */
  code_hash: string | null;
  /** The address the outstanding code was sent to. */
  code_address: string | null;
  code_attempts: number;
  issued_at: string;
  expires_at: string;
  created_at: string;
  updated_at: string;
}

/** Errors of browser flows, shown to the error UI through `GET /self-service/errors?id=`. */
export interface SelfServiceErrorsTable {
  id: string;
  project_id: string;
  /** JSON text of the error object. */
  error: string;
  created_at: string;
  updated_at: string;
}


export interface SelfServiceTables {
  selfservice_flows: SelfServiceFlowsTable;
  selfservice_errors: SelfServiceErrorsTable;
}
