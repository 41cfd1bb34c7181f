import type { Selectable, Updateable } from 'kysely';
import type { Database } from '../database.js';
import type { ProjectScope } from '../platform/db/scoped.js';
import type { SelfServiceFlowsTable } from './tables.js';
import type { UiContainer } from './ui.js';
import { isUuid } from '../platform/ids.js';

export type FlowKind = SelfServiceFlowsTable['kind'];
export type FlowType = SelfServiceFlowsTable['type'];

/** The flow fields without a column of their own (stored as JSON text in `extra`). */
export interface FlowExtra {
  /** Login: a re-authentication of the current session (`?refresh=true`). */
  refresh?: boolean;
  /** Recovery: what the client does next (shown in the flow's answer). */
  continue_with?: unknown[];
  /** A flow no browser of the user made (admin recovery): read and submitted without a CSRF token. */
  skip_csrf_check?: boolean;
  /** Login: the flow upgrades the current session with a second factor (`?aal=aal2`). */
  requested_aal?: 'aal2';
  /** Settings: the TOTP seed shown for linking, sealed until a code confirms it. */
  totp_setup?: string;
  /** Settings: newly generated lookup codes, sealed until the user confirms them. */
  lookup_pending?: string;
  /** The challenges of the WebAuthn ceremonies the flow started (sealed; see `webauthn.ts`). */
  webauthn_register?: string;
  passkey_register?: string;
  webauthn_login?: string;
  passkey_login?: string;
}

/** A flow as the services handle it: row fields with `ui` and `extra` parsed. */
export interface Flow {
  id: string;
  projectId: string;
  kind: FlowKind;
  type: FlowType;
  state: string;
  identityId: string | null;
  sessionId: string | null;
  schemaId: string | null;
  requestUrl: string;
  returnTo: string | null;
  active: string | null;
  ui: UiContainer;
  extra: FlowExtra;
  csrfBinding: string | null;
  codeHash: string | null;
  codeAddress: string | null;
  codeAttempts: number;
  issuedAt: string;
  expiresAt: string;
  createdAt: string;
  updatedAt: string;
}

function rowToFlow(r: Selectable<SelfServiceFlowsTable>): Flow {
  return {
    id: r.id,
    projectId: r.project_id,
    kind: r.kind,
    type: r.type,
    state: r.state,
    identityId: r.identity_id,
    sessionId: r.session_id,
    schemaId: r.schema_id,
    requestUrl: r.request_url,
    returnTo: r.return_to,
    active: r.active,
    ui: JSON.parse(r.ui),
    extra: JSON.parse(r.extra),
    csrfBinding: r.csrf_binding,
    codeHash: r.code_hash,
    codeAddress: r.code_address,
    codeAttempts: Number(r.code_attempts),
    issuedAt: r.issued_at,
    expiresAt: r.expires_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function flowToRow(f: Flow): Selectable<SelfServiceFlowsTable> {
  return {
    id: f.id,
    project_id: f.projectId,
    kind: f.kind,
    type: f.type,
    state: f.state,
    identity_id: f.identityId,
    session_id: f.sessionId,
    schema_id: f.schemaId,
    request_url: f.requestUrl,
    return_to: f.returnTo,
    active: f.active,
    ui: JSON.stringify(f.ui),
    extra: JSON.stringify(f.extra),
    csrf_binding: f.csrfBinding,
    code_hash: f.codeHash,
    code_address: f.codeAddress,
    code_attempts: f.codeAttempts,
    issued_at: f.issuedAt,
    expires_at: f.expiresAt,
    created_at: f.createdAt,
    updated_at: f.updatedAt,
  };
}

/**
 * Persistence of one project's flows. Built on the project's scope, so every query is filtered by
 * the project and every insert carries it: another project's flow does not exist.
 */
export class FlowStore {
  constructor(private readonly scope: ProjectScope<Database>) {}

  async insert(f: Flow): Promise<void> {
    const { project_id: _p, ...row } = flowToRow(f);
    await this.scope.insertInto('selfservice_flows', row).execute();
  }

  /** The flow of `kind` with `id`, or null (also for ids that are not UUIDs). */
  async get(kind: FlowKind, id: string): Promise<Flow | null> {
    if (!isUuid(id)) return null;
    const row = await this.scope.selectFrom('selfservice_flows').selectAll().where('id', '=', id.toLowerCase()).where('kind', '=', kind).executeTakeFirst();
    return row ? rowToFlow(row) : null;
  }

  /** Writes the mutable fields of a flow back. */
  async update(f: Flow, updatedAt: string): Promise<void> {
    f.updatedAt = updatedAt;
    const { id: _id, project_id: _p, kind: _k, created_at: _c, ...rest } = flowToRow(f);
    await this.scope.updateTable('selfservice_flows').set(rest).where('id', '=', f.id).execute();
  }

  /**
   * Moves a flow from `fromState` to `toState` atomically: true only for the one caller that wins, so a
   * flow completes once even under concurrent (replayed) submissions.
   */
  async transition(f: Flow, fromState: string, toState: string, updatedAt: string): Promise<boolean> {
    const won = await this.updateIf(f, 'state', fromState, { state: toState, updated_at: updatedAt });
    if (won) {
      f.state = toState;
      f.updatedAt = updatedAt;
    }
    return won;
  }

  /** Consumes the outstanding code if it still equals `codeHash`: true for exactly one caller. */
  async consumeCode(f: Flow, codeHash: string, updatedAt: string): Promise<boolean> {
    return this.updateIf(f, 'code_hash', codeHash, { code_hash: null, updated_at: updatedAt });
  }

  /** Counts a wrong code; burns the code once `max` attempts are used. Returns the attempts so far. */
  async countCodeAttempt(f: Flow, max: number, updatedAt: string): Promise<number> {
    await this.scope
      .updateTable('selfservice_flows')
      .set((eb) => ({ code_attempts: eb('code_attempts', '+', 1), updated_at: updatedAt }))
      .where('id', '=', f.id)
      .execute();
    const row = await this.scope.selectFrom('selfservice_flows').select(['code_attempts']).where('id', '=', f.id).executeTakeFirst();
    const attempts = Number(row?.code_attempts ?? max);
    if (attempts >= max) {
      await this.scope.updateTable('selfservice_flows').set({ code_hash: null }).where('id', '=', f.id).execute();
    }
    f.codeAttempts = attempts;
    return attempts;
  }

  /** Deletes the project's flows that expired before `before` (housekeeping). */
  async deleteExpired(before: string): Promise<void> {
    await this.scope.deleteFrom('selfservice_flows').where('expires_at', '<', before).execute();
  }

  /** Applies `set` to the flow only while `column` still equals `expected`: true when it did (a compare-and-set). */
  private async updateIf(f: Flow, column: 'state' | 'code_hash', expected: string, set: Updateable<SelfServiceFlowsTable>): Promise<boolean> {
    const res = await this.scope.updateTable('selfservice_flows').set(set).where('id', '=', f.id).where(column, '=', expected).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }
}
