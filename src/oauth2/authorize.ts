import type { ResolvedProject } from '../tenancy/project-resolver.js';
import type { OAuth2FlowsTable } from './tables.js';
import type { ClientService, OAuth2Client } from './clients.js';
import type { DeviceCodeStore } from './device.js';
import { newId } from '../platform/ids.js';
import { randomToken, safeEqual } from '../platform/crypto.js';
import { SESSION_COOKIE } from '../identity/session-service.js';
import { OAuth2Error, invalidRequest } from './errors.js';
import { DuplicateParam, audienceParam, configuredUrl, epoch, param, splitSpaces, uiUrl, withParams } from './util.js';
import { audienceNotAllowed, scopesAllowed } from './client-grants.js';
import { csrfCookieName, type AuthRequest, type FlowStore, type LoginResult } from './flow-store.js';
import { loginSessionCookie, type OAuth2SessionStore } from './sessions.js';
import { redirect, type BrowserRedirect, type BrowserRequest, type CookieChange } from './browser.js';

/** The identity plane's session lookup, when it exists (src/identity, built separately). */
export interface SessionLookup {
  byToken(project: ResolvedProject, token: string): Promise<unknown>;
}

/** What the login step reads of an identity-plane session (whatever its exact model). */
interface IdentitySession {
  active?: boolean;
  id?: unknown;
  identity?: { id?: unknown } | null;
  identity_id?: unknown;
  authenticated_at?: unknown;
  authentication_methods?: ({ method?: unknown } | null)[];
}

type Deps = { flows: FlowStore; clients: ClientService; store: OAuth2SessionStore; devices: DeviceCodeStore; sessions?: () => SessionLookup | undefined };

/** How a browser returns to a flow after each UI step, and what that step left the flow in. */
const RETURNS = {
  login: { column: 'login_verifier_hash', accepted: 'login_accepted', rejected: 'login_rejected', expired: 'The authorization request has expired.' },
  consent: { column: 'consent_verifier_hash', accepted: 'consent_accepted', rejected: 'consent_rejected', expired: 'The authorization request has expired.' },
  device: { column: 'device_verifier_hash', accepted: 'device_accepted', rejected: null, expired: 'The device authorization request has expired.' },
} as const;

type Step = keyof typeof RETURNS;

/**
 * The browser side of the authorization-code and device flows with Hydra's login and consent
 * challenges: GET /oauth2/auth and GET /oauth2/device/verify. A flow moves through
 * login_requested → login_accepted → consent_requested → consent_accepted → code_issued → code_used
 * (device flows start with device_requested → device_accepted); the admin side is ChallengeService.
 */
export class AuthorizeService {
  constructor(private readonly d: Deps) {}

  /** GET /oauth2/auth: starts a flow, or continues one with a login or consent verifier. */
  authorize(r: BrowserRequest): Promise<BrowserRedirect> {
    return this.resume(r, () => this.start(r));
  }

  /**
   * GET /oauth2/device/verify (RFC 8628 §3.3): starts a device flow and sends the browser to the device
   * verification UI with a device challenge, or continues one with a device, login or consent verifier.
   */
  deviceVerify(r: BrowserRequest): Promise<BrowserRedirect> {
    return this.resume(r, () => {
      const deviceVerifier = param(r.query, 'device_verifier');
      if (deviceVerifier !== undefined) return this.returned(r, 'device', deviceVerifier, (flow) => this.afterDevice(r, flow));
      return this.startDevice(r, param(r.query, 'user_code'));
    });
  }

  /**
   * The browser's return to a flow endpoint: with a login or consent verifier the flow goes on, with
   * none `begin` starts one. A repeated parameter is an invalid_request.
   */
  private async resume(r: BrowserRequest, begin: () => Promise<BrowserRedirect>): Promise<BrowserRedirect> {
    try {
      const loginVerifier = param(r.query, 'login_verifier');
      if (loginVerifier !== undefined) return await this.returned(r, 'login', loginVerifier, (flow) => this.afterLogin(r, flow));
      const consentVerifier = param(r.query, 'consent_verifier');
      if (consentVerifier !== undefined) return await this.returned(r, 'consent', consentVerifier, (flow) => this.issueCode(r, flow));
      return await begin();
    } catch (err) {
      if (err instanceof DuplicateParam) throw invalidRequest(err.message);
      throw err;
    }
  }

  /**
   * The flow a verifier of `step` belongs to, checked against the browser's CSRF cookie: a rejected step
   * ends the flow with its error, an accepted and live one goes on with `next`.
   */
  private async returned(r: BrowserRequest, step: Step, verifier: string, next: (flow: OAuth2FlowsTable) => Promise<BrowserRedirect>): Promise<BrowserRedirect> {
    const ret = RETURNS[step];
    const flow = await this.d.flows.bySecret(r.project.id, ret.column, verifier);
    if (!flow) throw new OAuth2Error('invalid_request', `The ${step} verifier is unknown, was already used, or belongs to another project.`, 400);
    const cookie = r.cookies[csrfCookieName(flow.id)];
    if (!cookie || !safeEqual(this.d.flows.hash('csrf_hash', cookie), flow.csrf_hash)) {
      throw new OAuth2Error('request_forbidden', 'The request is not allowed: the CSRF cookie of this authorization flow is missing or does not match. Make sure the browser keeps cookies across the flow.', 403);
    }
    if (ret.rejected && flow.state === ret.rejected) {
      await this.d.flows.advance(flow, ret.rejected, { state: 'done' });
      return this.redirectError(r, flow);
    }
    if (flow.state !== ret.accepted) throw new OAuth2Error('invalid_request', `The ${step} verifier has already been used.`, 400);
    if (Date.parse(flow.expires_at) <= Date.now()) throw new OAuth2Error('invalid_request', ret.expired, 400);
    return next(flow);
  }

  private async liveClient(projectId: string, clientId: string): Promise<OAuth2Client> {
    const client = await this.d.clients.get(projectId, clientId);
    if (!client) throw new OAuth2Error('invalid_client', 'The OAuth 2.0 Client no longer exists.', 401);
    return client;
  }

  /** A new flow row in `state`, with its CSRF cookie (the browser must bring it back on every return). */
  private async insertFlow(r: BrowserRequest, fields: Pick<OAuth2FlowsTable, 'client_id' | 'state' | 'login_challenge_hash' | 'device_challenge_hash'>, request: AuthRequest): Promise<{ flow: OAuth2FlowsTable; cookie: CookieChange }> {
    const csrf = randomToken();
    const now = new Date();
    const ttlMs = r.config.ttl.loginConsentRequestMs;
    const flow: OAuth2FlowsTable = {
      id: newId(), project_id: r.project.id, ...fields, login_verifier_hash: null, consent_challenge_hash: null,
      consent_verifier_hash: null, code_hash: null, device_verifier_hash: null, csrf_hash: this.d.flows.hash('csrf_hash', csrf), request: JSON.stringify(request),
      subject: null, login: null, consent: null, error: null, created_at: now.toISOString(), updated_at: now.toISOString(),
      expires_at: new Date(now.getTime() + ttlMs).toISOString(),
    };
    await this.d.flows.insert(flow);
    return { flow, cookie: { name: csrfCookieName(flow.id), value: csrf, maxAge: Math.floor(ttlMs / 1000) } };
  }

  private async startDevice(r: BrowserRequest, userCode: string | undefined): Promise<BrowserRedirect> {
    const challenge = randomToken();
    const request: AuthRequest = { response_type: 'device_code', redirect_uri: '', redirect_uri_given: false, scope: [], audience: [], state: '', request_url: `${r.issuer}/oauth2/device/verify` };
    // The client is known once the user code is entered; until then no login challenge exists
    // (the hash of a value never handed out stands in for it).
    const { cookie } = await this.insertFlow(r, {
      client_id: '', state: 'device_requested', login_challenge_hash: this.d.flows.hash('login_challenge_hash', randomToken()),
      device_challenge_hash: this.d.flows.hash('device_challenge_hash', challenge),
    }, request);
    const params = { device_challenge: challenge, user_code: userCode && userCode.length <= 64 ? userCode : undefined };
    const page = configuredUrl(r.config.urls.deviceVerification, r.issuer, params) ?? withParams(`${r.issuer}/ui/device_verification`, params);
    return redirect(page, [cookie]);
  }

  /** After the user code was accepted: the flow continues into the ordinary login step. */
  private async afterDevice(r: BrowserRequest, flow: OAuth2FlowsTable): Promise<BrowserRedirect> {
    const client = await this.liveClient(r.project.id, flow.client_id);
    const remembered = await this.d.store.loginByCookie(r.project.id, r.cookies[loginSessionCookie(r.project.id)]);
    const request: AuthRequest = { ...(JSON.parse(flow.request) as AuthRequest), login_session_id: remembered?.sid ?? newId(), remembered: remembered ?? undefined };
    const loginChallenge = randomToken();
    const set = { state: 'login_requested' as const, login_challenge_hash: this.d.flows.hash('login_challenge_hash', loginChallenge), request: JSON.stringify(request) };
    await this.d.flows.advance(flow, 'device_accepted', set);
    return this.toLogin(r, { ...flow, ...set }, client, request, loginChallenge, [], () => true, () => {
      throw new OAuth2Error('login_required', 'No existing login session was found.', 400);
    });
  }

  private async start(r: BrowserRequest): Promise<BrowserRedirect> {
    const { project, config, issuer, query: q } = r;
    // Until the redirect URI is trusted, errors cannot go back to the client: they go to the
    // project's error page (`urls.error`), as in Hydra, or are answered here when none is set.
    const untrusted = (e: OAuth2Error) => {
      const page = configuredUrl(config.urls.error, issuer, { error: e.error, error_description: e.description });
      if (!page) throw e;
      return redirect(page);
    };
    const clientId = param(q, 'client_id');
    if (!clientId) return untrusted(invalidRequest('The client_id parameter is missing.'));
    const client = await this.d.clients.get(project.id, clientId);
    if (!client) return untrusted(new OAuth2Error('invalid_client', 'The requested OAuth 2.0 Client does not exist.', 401));
    const given = param(q, 'redirect_uri');
    let redirectUri: string;
    if (given !== undefined) {
      if (!client.redirect_uris.includes(given)) return untrusted(invalidRequest("The 'redirect_uri' parameter does not match any of the OAuth 2.0 Client's pre-registered redirect urls."));
      redirectUri = given;
    } else if (client.redirect_uris.length === 1) {
      redirectUri = client.redirect_uris[0];
    } else {
      return untrusted(invalidRequest("The 'redirect_uri' parameter is required when the client has not exactly one registered redirect url."));
    }
    // From here on the redirect URI is trusted: errors go back to the client (RFC 6749 §4.1.2.1).
    const state = param(q, 'state');
    const fail = (error: string, description: string) => redirect(withParams(redirectUri, { error, error_description: description, state }));

    const responseType = param(q, 'response_type');
    if (!responseType) return fail('invalid_request', 'The response_type parameter is missing.');
    if (responseType !== 'code' || !client.response_types.includes('code')) return fail('unsupported_response_type', `The response_type "${responseType.slice(0, 50)}" is not supported for this client.`);
    if (!client.grant_types.includes('authorization_code')) return fail('unauthorized_client', 'The client is not allowed to use the authorization code grant.');
    if (!state || state.length < 8) return fail('invalid_state', 'The state is missing or does not have enough characters and is therefore considered too weak.');
    const scopes = splitSpaces(param(q, 'scope'));
    const badScope = scopesAllowed(client, scopes);
    if (badScope !== null) return fail('invalid_scope', `The OAuth 2.0 Client is not allowed to request scope "${badScope.slice(0, 100)}".`);
    const audience = audienceParam(q);
    const badAud = audienceNotAllowed(client, audience);
    if (badAud) return fail('invalid_request', `Requested audience "${badAud.slice(0, 100)}" has not been whitelisted by the OAuth 2.0 Client.`);
    const challenge = param(q, 'code_challenge');
    const method = param(q, 'code_challenge_method') ?? (challenge ? 'plain' : undefined);
    if (challenge !== undefined) {
      if (method !== 'S256') return fail('invalid_request', 'The code_challenge_method must be S256.');
      if (!/^[A-Za-z0-9_-]{43,128}$/.test(challenge)) return fail('invalid_request', 'The code_challenge is malformed.');
    } else if ((client.token_endpoint_auth_method === 'none' && config.pkce.enforcedForPublicClients) || config.pkce.enforced) {
      return fail('invalid_request', 'Clients must include a code_challenge when performing the authorize code flow, but it is missing.');
    }
    const prompt = param(q, 'prompt');
    const prompts = splitSpaces(prompt);
    const maxAge = Number(param(q, 'max_age') ?? NaN);
    // max_age: an authentication older than this many seconds must be done again (OIDC Core §3.1.2.1).
    const fresh = (authenticatedAt: number) => !Number.isFinite(maxAge) || epoch(new Date()) - authenticatedAt <= maxAge;
    // prompt=login or a too old remembered login: the login UI sees skip=false and must authenticate again.
    let remembered = prompts.includes('login') ? null : await this.d.store.loginByCookie(project.id, r.cookies[loginSessionCookie(project.id)]);
    if (remembered && !fresh(remembered.authenticated_at)) remembered = null;

    const request: AuthRequest = {
      response_type: responseType, redirect_uri: redirectUri, redirect_uri_given: given !== undefined, scope: scopes, audience, state,
      nonce: param(q, 'nonce'), code_challenge: challenge, code_challenge_method: challenge ? method : undefined, prompt,
      max_age: param(q, 'max_age'), login_hint: param(q, 'login_hint'), ui_locales: splitSpaces(param(q, 'ui_locales')),
      acr_values: splitSpaces(param(q, 'acr_values')), display: param(q, 'display'),
      request_url: `${issuer}/oauth2/auth?${r.rawQuery}`,
      login_session_id: remembered?.sid ?? newId(),
      remembered: remembered ?? undefined,
    };
    const loginChallenge = randomToken();
    const { flow, cookie } = await this.insertFlow(r, {
      client_id: client.client_id, state: 'login_requested', login_challenge_hash: this.d.flows.hash('login_challenge_hash', loginChallenge), device_challenge_hash: null,
    }, request);
    const next = await this.toLogin(r, flow, client, request, loginChallenge, prompts, fresh, () => fail('login_required', 'Prompt "none" was requested, but no existing login session was found.'));
    return redirect(next.location, [cookie, ...next.cookies]);
  }

  /**
   * The login step of a flow in state login_requested: with no custom login UI a live session of the
   * project's identity plane logs the user in at once; otherwise the login UI gets the challenge.
   */
  private async toLogin(
    r: BrowserRequest, flow: OAuth2FlowsTable, client: OAuth2Client, request: AuthRequest, loginChallenge: string,
    prompts: string[], fresh: (authenticatedAt: number) => boolean, loginRequired: () => BrowserRedirect,
  ): Promise<BrowserRedirect> {
    const remembered = request.remembered ?? null;
    // With no custom login UI, the project's own identity plane is the login provider (Ory Network): a live
    // session of it logs the user in at once, as a login UI accepting the request would. A remembered login
    // alone never does: like Hydra, the login UI then gets the challenge with skip=true and accepts it
    // itself. Nor does a session of another subject than the remembered one, which Hydra would refuse.
    const loginUrl = r.config.urls.login ?? '';
    if (!loginUrl && !prompts.includes('login')) {
      const session = await this.projectSession(r);
      if (session && fresh(session.authenticatedAt) && (!remembered || remembered.subject === session.subject)) {
        const login: LoginResult = {
          authenticated_at: remembered?.authenticated_at ?? session.authenticatedAt, amr: session.amr, identity_provider_session_id: session.id, sid: request.login_session_id,
        };
        await this.d.flows.advance(flow, 'login_requested', { state: 'login_accepted', subject: session.subject, login: JSON.stringify(login) });
        return this.toConsent(r, { ...flow, state: 'login_accepted', subject: session.subject, login: JSON.stringify(login) }, client);
      }
    }
    if (prompts.includes('none') && !remembered) return loginRequired();
    return redirect(uiUrl(loginUrl, r.issuer, 'login', { login_challenge: loginChallenge }));
  }

  /** The identity plane's session behind the browser's cookie, if that plane is wired. */
  private async projectSession(r: BrowserRequest): Promise<{ subject: string; id?: string; authenticatedAt: number; amr?: string[] } | null> {
    const sessions = this.d.sessions?.();
    const token = r.cookies[SESSION_COOKIE];
    if (!sessions || !token || token.length > 2048) return null;
    try {
      const s = (await sessions.byToken(r.project, token)) as IdentitySession | null;
      if (!s || s.active === false) return null;
      const subject = s.identity?.id ?? s.identity_id;
      if (typeof subject !== 'string' || !subject) return null;
      const at = Date.parse(typeof s.authenticated_at === 'string' ? s.authenticated_at : '');
      const amr = Array.isArray(s.authentication_methods) ? s.authentication_methods.map((m) => m?.method).filter((m): m is string => typeof m === 'string') : undefined;
      return { subject, id: typeof s.id === 'string' ? s.id : undefined, authenticatedAt: Number.isNaN(at) ? epoch(new Date()) : Math.floor(at / 1000), amr };
    } catch {
      return null;
    }
  }

  /** A flow whose login or consent was rejected: the error goes back to the client (or, for a device, the device). */
  private async redirectError(r: BrowserRequest, flow: OAuth2FlowsTable): Promise<BrowserRedirect> {
    const request = JSON.parse(flow.request) as AuthRequest;
    const e = JSON.parse(flow.error ?? '{}') as { error?: string; error_description?: string };
    const error = e.error || 'access_denied';
    const description = e.error_description || 'The resource owner denied the request';
    if (request.device_code_id) {
      // A device flow has no redirect URI: the device learns it from its next poll (access_denied), the
      // browser goes to the project's error page, or is told here when none is set.
      await this.d.devices.deny(flow.project_id, request.device_code_id);
      const page = configuredUrl(r.config.urls.error, r.issuer, { error, error_description: description });
      if (page) return redirect(page);
      throw new OAuth2Error(error, description, 403);
    }
    return redirect(withParams(request.redirect_uri, { error, error_description: description, state: request.state }));
  }

  private async afterLogin(r: BrowserRequest, flow: OAuth2FlowsTable): Promise<BrowserRedirect> {
    const { project } = r;
    const client = await this.liveClient(project.id, flow.client_id);
    const request = JSON.parse(flow.request) as AuthRequest;
    const login = JSON.parse(flow.login ?? '{}') as LoginResult;
    const cookies: CookieChange[] = [];
    // A skipped login (request.remembered) keeps the browser's remembered login as it is, as Hydra does.
    if (!request.remembered) {
      const cookieName = loginSessionCookie(project.id);
      if (login.remember && flow.subject) {
        // The login UI asked to remember this login: the browser gets a session cookie for later flows.
        const rememberFor = Math.max(0, Math.floor(login.remember_for ?? 0));
        const token = await this.d.store.createLogin(project.id, login.sid ?? newId(), flow.subject, login.authenticated_at, rememberFor);
        cookies.push({ name: cookieName, value: token, ...(rememberFor > 0 ? { maxAge: rememberFor } : {}) });
      } else if (r.cookies[cookieName]) {
        // A fresh login (prompt=login, max_age) that is not to be remembered ends the browser's older
        // remembered login, so a later flow does not offer skip for a subject this browser left (Hydra).
        const old = await this.d.store.loginByCookie(project.id, r.cookies[cookieName]);
        if (old) await this.d.store.revokeLogins(project.id, { sid: old.sid });
        cookies.push({ name: cookieName, clear: true });
      }
    }
    const next = await this.toConsent(r, flow, client);
    return redirect(next.location, [...cookies, ...next.cookies]);
  }

  private async toConsent(r: BrowserRequest, flow: OAuth2FlowsTable, client: OAuth2Client): Promise<BrowserRedirect> {
    const request = JSON.parse(flow.request) as AuthRequest;
    if (client.skip_consent) {
      const consent = { grant_scope: request.scope, grant_access_token_audience: request.audience, session: { access_token: {}, id_token: {} } };
      await this.d.flows.advance(flow, 'login_accepted', { state: 'consent_accepted', consent: JSON.stringify(consent) });
      return this.issueCode(r, { ...flow, state: 'consent_accepted' });
    }
    const challenge = randomToken();
    const skip = !!flow.subject && consentMaySkip(request, client) && (await this.d.store.consentCovers(flow.project_id, flow.subject, client.client_id, request.scope, request.audience));
    if (!skip && splitSpaces(request.prompt).includes('none')) {
      await this.d.flows.advance(flow, 'login_accepted', { state: 'done' });
      return redirect(withParams(request.redirect_uri, { error: 'consent_required', error_description: "Prompt 'none' was requested, but no previous consent was found.", state: request.state }));
    }
    await this.d.flows.advance(flow, 'login_accepted', { state: 'consent_requested', consent_challenge_hash: this.d.flows.hash('consent_challenge_hash', challenge), request: JSON.stringify({ ...request, consent_skip: skip }) });
    return redirect(uiUrl(r.config.urls.consent, r.issuer, 'consent', { consent_challenge: challenge }));
  }

  /** A flow in consent_accepted: the code goes to the client (or, for a device flow, the device is approved). */
  private async issueCode(r: BrowserRequest, flow: OAuth2FlowsTable): Promise<BrowserRedirect> {
    const request = JSON.parse(flow.request) as AuthRequest;
    if (request.device_code_id) {
      // Device flow: no code; the device's next poll gets the tokens, the browser the success page.
      await this.d.flows.advance(flow, 'consent_accepted', { state: 'code_issued' });
      if (!(await this.d.devices.approve(flow.project_id, request.device_code_id))) throw new OAuth2Error('invalid_request', 'The device authorization has already been handled.', 400);
      return redirect(configuredUrl(r.config.urls.deviceSuccess, r.issuer, {}) ?? `${r.issuer}/ui/device_success`);
    }
    const consent = JSON.parse(flow.consent ?? '{}') as { grant_scope?: string[] };
    const code = randomToken('ory_ac_');
    await this.d.flows.advance(flow, 'consent_accepted', { state: 'code_issued', code_hash: this.d.flows.hash('code_hash', code), expires_at: new Date(Date.now() + r.config.ttl.authCodeMs).toISOString() });
    return redirect(withParams(request.redirect_uri, { code, scope: (consent.grant_scope ?? []).join(' '), state: request.state }));
  }
}

/**
 * Whether a remembered consent may be offered as skip=true at all (Hydra's requestConsent): never with
 * prompt=consent, and for a public client only when its redirect URI proves who it is (https, or http
 * on localhost), as RFC 6749 §10.2 asks.
 */
function consentMaySkip(request: AuthRequest, client: OAuth2Client): boolean {
  if (splitSpaces(request.prompt).includes('consent')) return false;
  if (client.token_endpoint_auth_method !== 'none') return true;
  try {
    const u = new URL(request.redirect_uri);
    const localhost = ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname) || u.hostname.endsWith('.localhost');
    return u.protocol === 'https:' || (u.protocol === 'http:' && localhost);
  } catch {
    return false;
  }
}
