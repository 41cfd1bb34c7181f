import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { OAuth2FlowsTable } from './tables.js';
import { nowIso } from '../platform/ids.js';
import { OryError, ErrorId } from '../platform/errors/errors.js';
import { secretHash } from '../platform/crypto.js';
import { scoped } from '../platform/db/scoped.js';
import type { RememberedLogin } from './sessions.js';

/** The validated authorization request a flow carries from /oauth2/auth to the code exchange. */
export interface AuthRequest {
  response_type: string;
  redirect_uri: string;
  redirect_uri_given: boolean;
  scope: string[];
  audience: string[];
  state: string;
  nonce?: string;
  code_challenge?: string;
  code_challenge_method?: string;
  prompt?: string;
  max_age?: string;
  login_hint?: string;
  ui_locales?: string[];
  acr_values?: string[];
  display?: string;
  request_url: string;
  /** The login session this flow logs into (a remembered one when `remembered` is set). */
  login_session_id?: string;
  /** A remembered login of this browser: the login UI sees `skip: true` and this subject. */
  remembered?: RememberedLogin;
  /** A remembered consent covers this request: the consent UI sees `skip: true`. */
  consent_skip?: boolean;
  /** Device flows (RFC 8628): the device authorization this flow approves or denies. */
  device_code_id?: string;
}

/** The accepted login a flow records (`login`). */
export interface LoginResult {
  acr?: string;
  amr?: string[];
  context?: unknown;
  remember?: boolean;
  remember_for?: number;
  authenticated_at: number;
  identity_provider_session_id?: string;
  /** The login session id (`sid` in ID tokens). */
  sid?: string;
}

/** The columns of a flow that hold an HMAC of a value handed out once (challenge, verifier, code, CSRF cookie). */
export type FlowSecretColumn = 'login_challenge_hash' | 'login_verifier_hash' | 'consent_challenge_hash' | 'consent_verifier_hash' | 'code_hash' | 'device_challenge_hash' | 'device_verifier_hash' | 'csrf_hash';

/** The HMAC purpose of each secret column (part of the stored hashes: never change one). */
const PURPOSE: Record<FlowSecretColumn, string> = {
  login_challenge_hash: 'login-challenge',
  login_verifier_hash: 'login-verifier',
  consent_challenge_hash: 'consent-challenge',
  consent_verifier_hash: 'consent-verifier',
  code_hash: 'code',
  device_challenge_hash: 'device-challenge',
  device_verifier_hash: 'device-verifier',
  csrf_hash: 'csrf',
};

/** The browser-binding cookie of a flow. */
export const csrfCookieName = (flowId: string) => `ory_oauth2_csrf_${flowId.replace(/-/g, '').slice(-16)}`;

/**
 * The authorization flows of a project (`oauth2_flows`). A flow moves through its states by conditional
 * updates on the expected state, so a challenge, verifier or code works once, on any node. Values
 * handed out (challenges, verifiers, codes, the CSRF cookie) are stored only as HMACs.
 */
export class FlowStore {
  constructor(private readonly d: { db: Kysely<Database>; secret: string }) {}

  /** The stored form of a value handed out for `column`. */
  hash(column: FlowSecretColumn, value: string): string {
    return secretHash(this.d.secret, `oauth2-flow-${PURPOSE[column]}`, value);
  }

  /** The flow of the project that handed out `value` for `column`, if any. */
  async bySecret(projectId: string, column: Exclude<FlowSecretColumn, 'csrf_hash'>, value: string): Promise<OAuth2FlowsTable | undefined> {
    if (!value || value.length > 512) return undefined;
    return scoped(this.d.db, projectId).selectFrom('oauth2_flows').selectAll().where(column, '=', this.hash(column, value)).executeTakeFirst();
  }

  byId(projectId: string, id: string): Promise<OAuth2FlowsTable | undefined> {
    return scoped(this.d.db, projectId).selectFrom('oauth2_flows').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async insert(flow: OAuth2FlowsTable): Promise<void> {
    await scoped(this.d.db, flow.project_id).insertInto('oauth2_flows', flow).execute();
  }

  /** Moves a flow from state `from`; false when it is no longer in that state (another request moved it). */
  async move(projectId: string, flowId: string, from: OAuth2FlowsTable['state'], set: Partial<OAuth2FlowsTable>): Promise<boolean> {
    const r = await scoped(this.d.db, projectId).updateTable('oauth2_flows').set({ ...set, updated_at: nowIso() }).where('id', '=', flowId).where('state', '=', from).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Moves a flow from state `from`, or 409 when the step was already taken. */
  async advance(flow: OAuth2FlowsTable, from: OAuth2FlowsTable['state'], set: Partial<OAuth2FlowsTable>): Promise<void> {
    if (!(await this.move(flow.project_id, flow.id, from, set))) throw new OryError(409, 'The request was already handled', 'This challenge has already been used.', ErrorId.conflict);
  }

  /** The code exchange: false if another request used the code first. */
  markCodeUsed(projectId: string, flowId: string): Promise<boolean> {
    return this.move(projectId, flowId, 'code_issued', { state: 'code_used' });
  }
}
