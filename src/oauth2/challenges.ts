import type { OAuth2FlowsTable, OAuth2LogoutRequestsTable } from './tables.js';
import type { ClientService, OAuth2Client } from './clients.js';
import type { DeviceCodeStore } from './device.js';
import type { ClientFailureLimit } from './client-auth.js';
import { OryError, ErrorId, notFound } from '../platform/errors/errors.js';
import { randomToken } from '../platform/crypto.js';
import { epoch, withParams } from './util.js';
import { audienceNotAllowed, scopesAllowed } from './client-grants.js';
import type { AuthRequest, FlowStore, LoginResult } from './flow-store.js';
import type { LogoutRequest, LogoutStore } from './logout-store.js';
import type { OAuth2SessionStore } from './sessions.js';

/** A challenge's request as its UI reads it, or (410) where the browser goes once it was handled. */
export type ChallengeRead = { gone: false; request: Record<string, unknown> } | { gone: true; redirect_to: string };

export interface AcceptLoginInput {
  subject: string;
  acr?: string;
  amr?: string[];
  context?: unknown;
  remember?: boolean;
  remember_for?: number;
  identity_provider_session_id?: string;
  force_subject_identifier?: string;
}

export interface AcceptConsentInput {
  grant_scope?: string[];
  grant_access_token_audience?: string[];
  session?: { access_token?: unknown; id_token?: unknown };
  remember?: boolean;
  remember_for?: number;
  context?: unknown;
}

export interface RejectBody {
  error?: string;
  error_description?: string;
  error_hint?: string;
  error_debug?: string;
  status_code?: number;
}

/** The failure-limit bucket of wrong user codes, per project (a client id cannot collide in practice). */
const USER_CODE_BUCKET = 'urn:gatehouse:oauth2:device:user_code';
const WRONG_USER_CODE = "The 'user_code' session could not be found or has expired or is otherwise malformed.";

const malformed = (message: string, id: string = ErrorId.badRequest) => new OryError(400, 'The request was malformed or contained invalid parameters', message, id);

/** The client as login and consent UIs see it: no secret, ever. */
const publicClient = (c: OAuth2Client | null): Record<string, unknown> => {
  if (!c) return {};
  const { client_secret: _s, ...rest } = c as OAuth2Client & { client_secret?: string };
  return rest;
};

const requestOf = (flow: OAuth2FlowsTable) => JSON.parse(flow.request) as AuthRequest;

/** Where the UI sends the browser after a step: back to the flow's request URL with the step's verifier. */
const backToFlow = (flow: OAuth2FlowsTable, verifierParam: 'login_verifier' | 'consent_verifier', verifier: string) => ({
  redirect_to: withParams(requestOf(flow).request_url, { [verifierParam]: verifier }),
});

type Deps = { flows: FlowStore; logouts: LogoutStore; clients: ClientService; store: OAuth2SessionStore; devices: DeviceCodeStore; failures: ClientFailureLimit };

/**
 * The admin side of the login, consent, device and logout challenges (what the project's UIs call):
 * reading a challenge's request, accepting or rejecting it. An unknown or expired challenge (or one of
 * another project) is a 404; a step already taken is a 409, and a read of a handled one a 410.
 */
export class ChallengeService {
  constructor(private readonly d: Deps) {}

  private async liveFlow(projectId: string, column: 'login_challenge_hash' | 'consent_challenge_hash' | 'device_challenge_hash', challenge: string): Promise<OAuth2FlowsTable> {
    const flow = await this.d.flows.bySecret(projectId, column, challenge);
    if (!flow || Date.parse(flow.expires_at) <= Date.now()) throw notFound('The challenge is unknown or has expired.');
    return flow;
  }

  private oidcContext(r: AuthRequest): Record<string, unknown> {
    const ctx: Record<string, unknown> = {};
    if (r.acr_values?.length) ctx.acr_values = r.acr_values;
    if (r.display) ctx.display = r.display;
    if (r.login_hint) ctx.login_hint = r.login_hint;
    if (r.ui_locales?.length) ctx.ui_locales = r.ui_locales;
    return ctx;
  }

  /** OAuth2LoginRequest. */
  async getLoginRequest(projectId: string, challenge: string): Promise<ChallengeRead> {
    const flow = await this.liveFlow(projectId, 'login_challenge_hash', challenge);
    const request = requestOf(flow);
    if (flow.state !== 'login_requested') return { gone: true, redirect_to: request.request_url };
    const client = await this.d.clients.get(projectId, flow.client_id);
    return {
      gone: false,
      request: {
        challenge, client: publicClient(client), request_url: request.request_url, requested_scope: request.scope,
        requested_access_token_audience: request.audience, skip: !!request.remembered, subject: request.remembered?.subject ?? '',
        oidc_context: this.oidcContext(request), session_id: request.login_session_id ?? flow.id,
      },
    };
  }

  async acceptLogin(projectId: string, challenge: string, body: AcceptLoginInput): Promise<{ redirect_to: string }> {
    const flow = await this.liveFlow(projectId, 'login_challenge_hash', challenge);
    const request = requestOf(flow);
    // skip=true: the login UI may only confirm the remembered subject. To log in someone else it sends the
    // browser back to request_url with prompt=login (Hydra's acceptOAuth2LoginRequest, same message).
    if (request.remembered && body.subject !== request.remembered.subject) throw malformed("Field 'subject' does not match subject from previous authentication.");
    const verifier = randomToken();
    const login: LoginResult = {
      acr: body.acr, amr: body.amr, context: body.context, remember: body.remember, remember_for: body.remember_for,
      authenticated_at: request.remembered?.authenticated_at ?? epoch(new Date()), identity_provider_session_id: body.identity_provider_session_id,
      sid: request.login_session_id ?? flow.id,
    };
    await this.d.flows.advance(flow, 'login_requested', { state: 'login_accepted', subject: body.subject, login: JSON.stringify(login), login_verifier_hash: this.d.flows.hash('login_verifier_hash', verifier) });
    return backToFlow(flow, 'login_verifier', verifier);
  }

  rejectLogin(projectId: string, challenge: string, body: RejectBody): Promise<{ redirect_to: string }> {
    return this.reject(projectId, challenge, 'login', body);
  }

  /** Rejects a login or consent request: the browser's return to the flow ends it with the error. */
  private async reject(projectId: string, challenge: string, step: 'login' | 'consent', body: RejectBody): Promise<{ redirect_to: string }> {
    const flow = await this.liveFlow(projectId, `${step}_challenge_hash`, challenge);
    const verifier = randomToken();
    const column = `${step}_verifier_hash` as const;
    await this.d.flows.advance(flow, `${step}_requested`, { state: `${step}_rejected`, error: JSON.stringify(rejection(body)), [column]: this.d.flows.hash(column, verifier) });
    return backToFlow(flow, `${step}_verifier`, verifier);
  }

  /** OAuth2ConsentRequest. */
  async getConsentRequest(projectId: string, challenge: string): Promise<ChallengeRead> {
    const flow = await this.liveFlow(projectId, 'consent_challenge_hash', challenge);
    const request = requestOf(flow);
    if (flow.state !== 'consent_requested') return { gone: true, redirect_to: request.request_url };
    const login = JSON.parse(flow.login ?? '{}') as LoginResult;
    const client = await this.d.clients.get(projectId, flow.client_id);
    const out: Record<string, unknown> = {
      challenge, consent_request_id: flow.id, client: publicClient(client), request_url: request.request_url, requested_scope: request.scope,
      requested_access_token_audience: request.audience, skip: !!request.consent_skip, subject: flow.subject ?? '', login_session_id: request.login_session_id ?? flow.id,
      oidc_context: this.oidcContext(request), context: login.context ?? {},
    };
    if (login.acr) out.acr = login.acr;
    if (login.amr) out.amr = login.amr;
    return { gone: false, request: out };
  }

  async acceptConsent(projectId: string, challenge: string, body: AcceptConsentInput): Promise<{ redirect_to: string }> {
    const flow = await this.liveFlow(projectId, 'consent_challenge_hash', challenge);
    const client = await this.d.clients.get(projectId, flow.client_id);
    if (!client) throw notFound('The OAuth 2.0 client of this request no longer exists.');
    const scopes = [...new Set(body.grant_scope ?? [])];
    const bad = scopesAllowed(client, scopes);
    if (bad !== null) throw malformed(`The client may not be granted the scope "${bad.slice(0, 100)}".`, ErrorId.oauth2InvalidScope);
    const audience = [...new Set(body.grant_access_token_audience ?? [])];
    const badAud = audienceNotAllowed(client, audience);
    if (badAud) throw malformed(`The client may not be granted the audience "${badAud.slice(0, 100)}".`);
    const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
    const session = { access_token: isObject(body.session?.access_token) ? body.session.access_token : {}, id_token: isObject(body.session?.id_token) ? body.session.id_token : {} };
    const verifier = randomToken();
    await this.d.flows.advance(flow, 'consent_requested', { state: 'consent_accepted', consent: JSON.stringify({ grant_scope: scopes, grant_access_token_audience: audience, session, remember: body.remember }), consent_verifier_hash: this.d.flows.hash('consent_verifier_hash', verifier) });
    const request = requestOf(flow);
    const rememberFor = Math.max(0, Math.floor(body.remember_for ?? 0));
    const now = new Date();
    await this.d.store.recordConsent(projectId, {
      id: flow.id, subject: flow.subject ?? '', client_id: flow.client_id, login_session_id: request.login_session_id ?? null,
      grant_scope: JSON.stringify(scopes), grant_audience: JSON.stringify(audience), session: JSON.stringify(session),
      consent_request: JSON.stringify({ challenge, consent_request_id: flow.id, client: publicClient(client), requested_scope: request.scope, requested_access_token_audience: request.audience, skip: !!request.consent_skip, subject: flow.subject ?? '', request_url: request.request_url }),
      context: JSON.stringify(body.context ?? {}), remember: body.remember ? 1 : 0, remember_for: rememberFor, skip: request.consent_skip ? 1 : 0, handled_at: now.toISOString(),
      expires_at: body.remember && rememberFor > 0 ? new Date(now.getTime() + rememberFor * 1000).toISOString() : null, revoked_at: null,
    });
    return backToFlow(flow, 'consent_verifier', verifier);
  }

  rejectConsent(projectId: string, challenge: string, body: RejectBody): Promise<{ redirect_to: string }> {
    return this.reject(projectId, challenge, 'consent', body);
  }

  /**
   * PUT /admin/oauth2/auth/requests/device/accept: the verification UI submits the user code a person
   * typed for a device challenge. Wrong codes count against a per-project failure limit (429 above it),
   * so user codes cannot be guessed; an unknown challenge (or another project's) is a 404.
   */
  async acceptUserCode(projectId: string, challenge: string, userCode: string | undefined): Promise<{ redirect_to: string }> {
    const flow = await this.liveFlow(projectId, 'device_challenge_hash', challenge);
    if (!userCode) throw malformed("Field 'user_code' must not be empty.");
    const wait = await this.d.failures.retryAfter(projectId, USER_CODE_BUCKET);
    if (wait > 0) throw new OryError(429, 'Too many requests', 'Too many wrong user codes were entered; retry later.', ErrorId.tooManyRequests, undefined, { 'retry-after': String(wait) });
    if (flow.state !== 'device_requested') throw new OryError(409, 'The request was already handled', 'This device challenge has already been used.', ErrorId.conflict);
    const row = await this.d.devices.byUserCode(projectId, userCode);
    const client = row ? await this.d.clients.get(projectId, row.client_id) : null;
    if (!row || !client || row.state !== 'pending' || Date.parse(row.expires_at) <= Date.now() || !(await this.d.devices.claim(projectId, row.id, flow.id))) {
      await this.d.failures.fail(projectId, USER_CODE_BUCKET);
      throw malformed(WRONG_USER_CODE);
    }
    const request = requestOf(flow);
    const requestUrl = withParams(request.request_url, { client_id: client.client_id });
    const next: AuthRequest = { ...request, scope: JSON.parse(row.scope) as string[], audience: JSON.parse(row.audience) as string[], request_url: requestUrl, device_code_id: row.id };
    const verifier = randomToken();
    await this.d.flows.advance(flow, 'device_requested', { state: 'device_accepted', client_id: client.client_id, device_verifier_hash: this.d.flows.hash('device_verifier_hash', verifier), request: JSON.stringify(next) });
    return { redirect_to: withParams(requestUrl, { device_verifier: verifier }) };
  }

  // ---- logout ----

  private async liveLogout(projectId: string, challenge: string): Promise<OAuth2LogoutRequestsTable> {
    const row = await this.d.logouts.bySecret(projectId, 'challenge_hash', challenge);
    if (!row || Date.parse(row.expires_at) <= Date.now()) throw notFound('The logout challenge is unknown or has expired.');
    return row;
  }

  /** OAuth2LogoutRequest. */
  async getLogoutRequest(projectId: string, challenge: string): Promise<ChallengeRead> {
    const row = await this.liveLogout(projectId, challenge);
    const request = JSON.parse(row.request) as LogoutRequest;
    if (row.state !== 'logout_requested') return { gone: true, redirect_to: request.request_url };
    const client = row.client_id ? await this.d.clients.get(projectId, row.client_id) : null;
    const out: Record<string, unknown> = { challenge, subject: row.subject, sid: row.sid, request_url: request.request_url, rp_initiated: request.rp_initiated, requested_at: row.created_at, expires_at: row.expires_at };
    if (client) out.client = client;
    return { gone: false, request: out };
  }

  async acceptLogout(projectId: string, challenge: string, issuer: string): Promise<{ redirect_to: string }> {
    const row = await this.liveLogout(projectId, challenge);
    const verifier = randomToken();
    await this.d.logouts.advance(row, 'logout_requested', { state: 'logout_accepted', verifier_hash: this.d.logouts.hash('verifier_hash', verifier) });
    // The login session ends: later flows of this browser go through the login UI again.
    if (row.sid) await this.d.store.revokeLogins(projectId, { sid: row.sid });
    return { redirect_to: withParams(`${issuer}/oauth2/sessions/logout`, { logout_verifier: verifier }) };
  }

  async rejectLogout(projectId: string, challenge: string): Promise<void> {
    const row = await this.liveLogout(projectId, challenge);
    await this.d.logouts.advance(row, 'logout_requested', { state: 'logout_rejected' });
  }
}

function rejection(body: RejectBody): { error: string; error_description: string } {
  const error = body.error && /^[\x20-\x7e]{1,100}$/.test(body.error) ? body.error : 'access_denied';
  const description = [body.error_description || 'The resource owner denied the request', body.error_hint].filter(Boolean).join(' ').slice(0, 1000);
  return { error, error_description: description };
}
