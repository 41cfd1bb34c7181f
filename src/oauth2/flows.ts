import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../platform/db/schema.js';
import type { OAuth2FlowsTable } from './tables.js';
import type { ResolvedProject } from '../tenancy/project-resolver.js';
import type { ClientService, OAuth2Client } from './clients.js';
import { newId, nowIso } from '../platform/ids.js';
import { OryError, ErrorId, notFound } from '../platform/errors/errors.js';
import { OAuth2Error, invalidRequest } from './errors.js';
import { authCodeLifespanMs } from './tokens.js';
import { DuplicateParam, audienceParam, configDuration, epoch, param, splitSpaces, configuredUrl, uiUrl, withParams } from './util.js';
import { randomToken, safeEqual, secretHash } from '../platform/crypto.js';
import { scopesAllowed } from './token-endpoint.js';
import type { DeviceCodeStore } from './device.js';
import type { FailureLimiter } from './rate-limit.js';
import { loginSessionCookie, type OAuth2SessionStore, type RememberedLogin } from './sessions.js';

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

interface LoginResult {
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

/** The identity plane's session lookup, when it exists (src/identity, built separately). */
export interface SessionLookup {
  byToken(project: ResolvedProject, token: string): Promise<unknown>;
}

type Deps = { db: Kysely<Database>; secret: string; clients: ClientService; store: OAuth2SessionStore; devices: DeviceCodeStore; limiter: FailureLimiter; sessions?: () => SessionLookup | undefined };

/** The failure-limit bucket of wrong user codes, per project (a client id cannot collide in practice). */
const USER_CODE_BUCKET = 'urn:gatehouse:oauth2:device:user_code';
const WRONG_USER_CODE = "The 'user_code' session could not be found or has expired or is otherwise malformed.";

const SESSION_COOKIE = 'ory_kratos_session';
const csrfCookieName = (flowId: string) => `ory_oauth2_csrf_${flowId.replace(/-/g, '').slice(-16)}`;


/** The client as login and consent UIs see it: no secret, ever. */
const publicClient = (c: OAuth2Client | null): Record<string, unknown> => {
  if (!c) return {};
  const { client_secret: _s, ...rest } = c as OAuth2Client & { client_secret?: string };
  return rest;
};

/**
 * The authorization-code flow with Hydra's login and consent challenges. A flow row moves through
 * login_requested → login_accepted → consent_requested → consent_accepted → code_issued → code_used;
 * each step is a conditional update on the expected state, so a challenge, verifier or code works once.
 * Challenges, verifiers, codes and the browser-binding CSRF cookie are stored only as HMACs.
 */
export class FlowService {
  constructor(private readonly d: Deps) {}

  private h(purpose: string, v: string): string {
    return secretHash(this.d.secret, `oauth2-flow-${purpose}`, v);
  }

  private async flowBy(projectId: string, column: 'login_challenge_hash' | 'login_verifier_hash' | 'consent_challenge_hash' | 'consent_verifier_hash' | 'code_hash' | 'device_challenge_hash' | 'device_verifier_hash', purpose: string, value: string): Promise<OAuth2FlowsTable | undefined> {
    if (!value || value.length > 512) return undefined;
    return this.d.db.selectFrom('oauth2_flows').selectAll().where('project_id', '=', projectId).where(column, '=', this.h(purpose, value)).executeTakeFirst();
  }

  byId(projectId: string, id: string): Promise<OAuth2FlowsTable | undefined> {
    return this.d.db.selectFrom('oauth2_flows').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
  }

  byCode(projectId: string, code: string): Promise<OAuth2FlowsTable | undefined> {
    return this.flowBy(projectId, 'code_hash', 'code', code);
  }

  async markCodeUsed(projectId: string, flowId: string): Promise<boolean> {
    const r = await this.d.db.updateTable('oauth2_flows').set({ state: 'code_used', updated_at: nowIso() }).where('project_id', '=', projectId).where('id', '=', flowId).where('state', '=', 'code_issued').executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  private async transition(flow: OAuth2FlowsTable, from: OAuth2FlowsTable['state'], set: Partial<OAuth2FlowsTable>): Promise<void> {
    const r = await this.d.db.updateTable('oauth2_flows').set({ ...set, updated_at: nowIso() }).where('project_id', '=', flow.project_id).where('id', '=', flow.id).where('state', '=', from).executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new OryError(409, 'The request was already handled', 'This challenge has already been used.', ErrorId.conflict);
  }

  /** GET /oauth2/auth: starts a flow, or continues one with a login or consent verifier. */
  async authorize(req: FastifyRequest, reply: FastifyReply, issuer: string): Promise<FastifyReply> {
    return this.resume(req, reply, issuer, (q) => this.start(req, reply, issuer, q));
  }

  /**
   * The browser's return to a flow endpoint: with a login or consent verifier the flow goes on, with
   * none `begin` starts one. A repeated parameter is an invalid_request.
   */
  private async resume(req: FastifyRequest, reply: FastifyReply, issuer: string, begin: (q: Record<string, unknown>) => Promise<FastifyReply>): Promise<FastifyReply> {
    const q = (req.query ?? {}) as Record<string, unknown>;
    try {
      const loginVerifier = param(q, 'login_verifier');
      if (loginVerifier !== undefined) return await this.afterLogin(req, reply, issuer, loginVerifier);
      const consentVerifier = param(q, 'consent_verifier');
      if (consentVerifier !== undefined) return await this.afterConsent(req, reply, issuer, consentVerifier);
      return await begin(q);
    } catch (err) {
      if (err instanceof DuplicateParam) throw invalidRequest(err.message);
      throw err;
    }
  }

  /**
   * GET /oauth2/device/verify (RFC 8628 §3.3): starts a device flow and sends the browser to the device
   * verification UI with a device challenge, or continues one with a device, login or consent verifier.
   */
  async deviceVerify(req: FastifyRequest, reply: FastifyReply, issuer: string): Promise<FastifyReply> {
    return this.resume(req, reply, issuer, (q) => {
      const deviceVerifier = param(q, 'device_verifier');
      if (deviceVerifier !== undefined) return this.afterDevice(req, reply, issuer, deviceVerifier);
      return this.startDevice(req, reply, issuer, param(q, 'user_code'));
    });
  }

  private async startDevice(req: FastifyRequest, reply: FastifyReply, issuer: string, userCode: string | undefined): Promise<FastifyReply> {
    const project = req.project!;
    const config = project.services.oauth2.config ?? {};
    const challenge = randomToken();
    const csrf = randomToken();
    const now = new Date();
    const ttlMs = configDuration(config?.ttl?.login_consent_request, 30 * 60_000);
    const request: AuthRequest = { response_type: 'device_code', redirect_uri: '', redirect_uri_given: false, scope: [], audience: [], state: '', request_url: `${issuer}/oauth2/device/verify` };
    const flow: OAuth2FlowsTable = {
      // The client is known once the user code is entered; until then no login challenge exists
      // (the hash of a value never handed out stands in for it).
      id: newId(), project_id: project.id, client_id: '', state: 'device_requested',
      login_challenge_hash: this.h('login-challenge', randomToken()), login_verifier_hash: null, consent_challenge_hash: null,
      consent_verifier_hash: null, code_hash: null, device_challenge_hash: this.h('device-challenge', challenge), device_verifier_hash: null,
      csrf_hash: this.h('csrf', csrf), request: JSON.stringify(request), subject: null, login: null, consent: null, error: null,
      created_at: now.toISOString(), updated_at: now.toISOString(), expires_at: new Date(now.getTime() + ttlMs).toISOString(),
    };
    await this.d.db.insertInto('oauth2_flows').values(flow).execute();
    reply.setCookie(csrfCookieName(flow.id), csrf, { path: '/', httpOnly: true, sameSite: 'lax', secure: issuer.startsWith('https:'), maxAge: Math.floor(ttlMs / 1000) });
    const params = { device_challenge: challenge, user_code: userCode && userCode.length <= 64 ? userCode : undefined };
    const page = configuredUrl(config?.urls?.device?.verification, issuer, params) ?? withParams(`${issuer}/ui/device_verification`, params);
    return reply.code(302).header('location', page).send();
  }

  /** After the user code was accepted: the flow continues into the ordinary login step. */
  private async afterDevice(req: FastifyRequest, reply: FastifyReply, issuer: string, verifier: string): Promise<FastifyReply> {
    const project = req.project!;
    const flow = await this.flowBy(project.id, 'device_verifier_hash', 'device-verifier', verifier);
    if (!flow) throw new OAuth2Error('invalid_request', 'The device verifier is unknown, was already used, or belongs to another project.', 400);
    this.checkCsrf(req, flow);
    if (flow.state !== 'device_accepted') throw new OAuth2Error('invalid_request', 'The device verifier has already been used.', 400);
    if (Date.parse(flow.expires_at) <= Date.now()) throw new OAuth2Error('invalid_request', 'The device authorization request has expired.', 400);
    const client = await this.d.clients.get(project.id, flow.client_id);
    if (!client) throw new OAuth2Error('invalid_client', 'The OAuth 2.0 Client no longer exists.', 401);
    const remembered = await this.d.store.loginByCookie(project.id, req.cookies?.[loginSessionCookie(project.id)]);
    const request: AuthRequest = { ...(JSON.parse(flow.request) as AuthRequest), login_session_id: remembered?.sid ?? newId(), remembered: remembered ?? undefined };
    const loginChallenge = randomToken();
    const set = { state: 'login_requested' as const, login_challenge_hash: this.h('login-challenge', loginChallenge), request: JSON.stringify(request) };
    await this.transition(flow, 'device_accepted', set);
    return this.toLogin(req, reply, issuer, { ...flow, ...set }, client, request, loginChallenge, [], () => true, () => {
      throw new OAuth2Error('login_required', 'No existing login session was found.', 400);
    });
  }

  /**
   * PUT /admin/oauth2/auth/requests/device/accept: the verification UI submits the user code a person
   * typed for a device challenge. Wrong codes count against a per-project failure limit (429 above it),
   * so user codes cannot be guessed; an unknown challenge (or another project's) is a 404.
   */
  async acceptUserCode(projectId: string, challenge: string, userCode: string | undefined): Promise<{ redirect_to: string }> {
    const flow = await this.live(projectId, 'device_challenge_hash', 'device-challenge', challenge);
    if (!userCode) throw new OryError(400, 'The request was malformed or contained invalid parameters', "Field 'user_code' must not be empty.", ErrorId.badRequest);
    const wait = await this.d.limiter.retryAfter(projectId, USER_CODE_BUCKET);
    if (wait > 0) throw new OryError(429, 'Too many requests', 'Too many wrong user codes were entered; retry later.', ErrorId.tooManyRequests, undefined, { 'retry-after': String(wait) });
    if (flow.state !== 'device_requested') throw new OryError(409, 'The request was already handled', 'This device challenge has already been used.', ErrorId.conflict);
    const row = await this.d.devices.byUserCode(projectId, userCode);
    const client = row ? await this.d.clients.get(projectId, row.client_id) : null;
    if (!row || !client || row.state !== 'pending' || Date.parse(row.expires_at) <= Date.now() || !(await this.d.devices.claim(projectId, row.id, flow.id))) {
      await this.d.limiter.fail(projectId, USER_CODE_BUCKET);
      throw new OryError(400, 'The request was malformed or contained invalid parameters', WRONG_USER_CODE, ErrorId.badRequest);
    }
    const request = JSON.parse(flow.request) as AuthRequest;
    const requestUrl = withParams(request.request_url, { client_id: client.client_id });
    const next: AuthRequest = { ...request, scope: JSON.parse(row.scope) as string[], audience: JSON.parse(row.audience) as string[], request_url: requestUrl, device_code_id: row.id };
    const verifier = randomToken();
    await this.transition(flow, 'device_requested', { state: 'device_accepted', client_id: client.client_id, device_verifier_hash: this.h('device-verifier', verifier), request: JSON.stringify(next) });
    return { redirect_to: withParams(requestUrl, { device_verifier: verifier }) };
  }

  private async start(req: FastifyRequest, reply: FastifyReply, issuer: string, q: Record<string, unknown>): Promise<FastifyReply> {
    const project = req.project!;
    const config = project.services.oauth2.config ?? {};
    // Until the redirect URI is trusted, errors cannot go back to the client: they go to the
    // project's error page (`urls.error`), as in Hydra, or are answered here when none is set.
    const untrusted = (e: OAuth2Error) => {
      const page = configuredUrl(config?.urls?.error, issuer, { error: e.error, error_description: e.description });
      if (!page) throw e;
      return reply.code(302).header('location', page).send();
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
    const fail = (error: string, description: string) => reply.code(302).header('location', withParams(redirectUri, { error, error_description: description, state })).send();

    const responseType = param(q, 'response_type');
    if (!responseType) return fail('invalid_request', 'The response_type parameter is missing.');
    if (responseType !== 'code' || !client.response_types.includes('code')) return fail('unsupported_response_type', `The response_type "${responseType.slice(0, 50)}" is not supported for this client.`);
    if (!client.grant_types.includes('authorization_code')) return fail('unauthorized_client', 'The client is not allowed to use the authorization code grant.');
    if (!state || state.length < 8) return fail('invalid_state', 'The state is missing or does not have enough characters and is therefore considered too weak.');
    const scopes = splitSpaces(param(q, 'scope'));
    const badScope = scopesAllowed(client, scopes);
    if (badScope !== null) return fail('invalid_scope', `The OAuth 2.0 Client is not allowed to request scope "${badScope.slice(0, 100)}".`);
    const audience = audienceParam(q);
    const badAud = audience.find((a) => !client.audience.includes(a));
    if (badAud) return fail('invalid_request', `Requested audience "${badAud.slice(0, 100)}" has not been whitelisted by the OAuth 2.0 Client.`);
    const challenge = param(q, 'code_challenge');
    const method = param(q, 'code_challenge_method') ?? (challenge ? 'plain' : undefined);
    if (challenge !== undefined) {
      if (method !== 'S256') return fail('invalid_request', 'The code_challenge_method must be S256.');
      if (!/^[A-Za-z0-9_-]{43,128}$/.test(challenge)) return fail('invalid_request', 'The code_challenge is malformed.');
    } else if (client.token_endpoint_auth_method === 'none' && config?.oauth2?.pkce?.enforced_for_public_clients !== false) {
      return fail('invalid_request', 'Clients must include a code_challenge when performing the authorize code flow, but it is missing.');
    } else if (config?.oauth2?.pkce?.enforced === true) {
      return fail('invalid_request', 'Clients must include a code_challenge when performing the authorize code flow, but it is missing.');
    }
    const prompt = param(q, 'prompt');
    const prompts = splitSpaces(prompt);
    const maxAge = Number(param(q, 'max_age') ?? NaN);
    // max_age: an authentication older than this many seconds must be done again (OIDC Core §3.1.2.1).
    const fresh = (authenticatedAt: number) => !Number.isFinite(maxAge) || epoch(new Date()) - authenticatedAt <= maxAge;
    // prompt=login or a too old remembered login: the login UI sees skip=false and must authenticate again.
    let remembered = prompts.includes('login') ? null : await this.d.store.loginByCookie(project.id, req.cookies?.[loginSessionCookie(project.id)]);
    if (remembered && !fresh(remembered.authenticated_at)) remembered = null;

    const rawQuery = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
    const request: AuthRequest = {
      response_type: responseType, redirect_uri: redirectUri, redirect_uri_given: given !== undefined, scope: scopes, audience, state,
      nonce: param(q, 'nonce'), code_challenge: challenge, code_challenge_method: challenge ? method : undefined, prompt,
      max_age: param(q, 'max_age'), login_hint: param(q, 'login_hint'), ui_locales: splitSpaces(param(q, 'ui_locales')),
      acr_values: splitSpaces(param(q, 'acr_values')), display: param(q, 'display'),
      request_url: `${issuer}/oauth2/auth?${rawQuery}`,
      login_session_id: remembered?.sid ?? newId(),
      remembered: remembered ?? undefined,
    };
    const loginChallenge = randomToken();
    const csrf = randomToken();
    const now = new Date();
    const ttlMs = configDuration(config?.ttl?.login_consent_request, 30 * 60_000);
    const flow: OAuth2FlowsTable = {
      id: newId(), project_id: project.id, client_id: client.client_id, state: 'login_requested',
      login_challenge_hash: this.h('login-challenge', loginChallenge), login_verifier_hash: null, consent_challenge_hash: null,
      consent_verifier_hash: null, code_hash: null, device_challenge_hash: null, device_verifier_hash: null, csrf_hash: this.h('csrf', csrf), request: JSON.stringify(request),
      subject: null, login: null, consent: null, error: null, created_at: now.toISOString(), updated_at: now.toISOString(),
      expires_at: new Date(now.getTime() + ttlMs).toISOString(),
    };
    await this.d.db.insertInto('oauth2_flows').values(flow).execute();
    reply.setCookie(csrfCookieName(flow.id), csrf, { path: '/', httpOnly: true, sameSite: 'lax', secure: issuer.startsWith('https:'), maxAge: Math.floor(ttlMs / 1000) });
    return this.toLogin(req, reply, issuer, flow, client, request, loginChallenge, prompts, fresh, () => fail('login_required', 'Prompt "none" was requested, but no existing login session was found.'));
  }

  /**
   * The login step of a flow in state login_requested: with no custom login UI a live session of the
   * project's identity plane logs the user in at once; otherwise the login UI gets the challenge.
   */
  private async toLogin(
    req: FastifyRequest, reply: FastifyReply, issuer: string, flow: OAuth2FlowsTable, client: OAuth2Client, request: AuthRequest, loginChallenge: string,
    prompts: string[], fresh: (authenticatedAt: number) => boolean, loginRequired: () => FastifyReply,
  ): Promise<FastifyReply> {
    const project = req.project!;
    const config = project.services.oauth2.config ?? {};
    const remembered = request.remembered ?? null;
    // With no custom login UI, the project's own identity plane is the login provider (Ory Network): a live
    // session of it logs the user in at once, as a login UI accepting the request would. A remembered login
    // alone never does: like Hydra, the login UI then gets the challenge with skip=true and accepts it
    // itself. Nor does a session of another subject than the remembered one, which Hydra would refuse.
    const loginUrl = typeof config?.urls?.login === 'string' && config.urls.login ? config.urls.login : '';
    if (!loginUrl && !prompts.includes('login')) {
      const session = await this.projectSession(req);
      if (session && fresh(session.authenticatedAt) && (!remembered || remembered.subject === session.subject)) {
        const login: LoginResult = {
          authenticated_at: remembered?.authenticated_at ?? session.authenticatedAt, amr: session.amr, identity_provider_session_id: session.id, sid: request.login_session_id,
        };
        await this.transition(flow, 'login_requested', { state: 'login_accepted', subject: session.subject, login: JSON.stringify(login) });
        return this.toConsent({ ...flow, state: 'login_accepted', subject: session.subject, login: JSON.stringify(login) }, client, reply, issuer, config);
      }
    }
    if (prompts.includes('none') && !remembered) return loginRequired();
    return reply.code(302).header('location', uiUrl(loginUrl, issuer, 'login', { login_challenge: loginChallenge })).send();
  }

  /** The identity plane's session behind the browser's cookie, if that plane is wired. */
  private async projectSession(req: FastifyRequest): Promise<{ subject: string; id?: string; authenticatedAt: number; amr?: string[] } | null> {
    const sessions = this.d.sessions?.();
    const token = req.cookies?.[SESSION_COOKIE];
    if (!sessions || !token || token.length > 2048) return null;
    try {
      const s = (await sessions.byToken(req.project!, token)) as Record<string, any> | null;
      if (!s || s.active === false) return null;
      const subject = s.identity?.id ?? s.identity_id;
      if (typeof subject !== 'string' || !subject) return null;
      const at = Date.parse(s.authenticated_at ?? '');
      const amr = Array.isArray(s.authentication_methods) ? s.authentication_methods.map((m: { method?: string }) => m?.method).filter((m: unknown): m is string => typeof m === 'string') : undefined;
      return { subject, id: typeof s.id === 'string' ? s.id : undefined, authenticatedAt: Number.isNaN(at) ? epoch(new Date()) : Math.floor(at / 1000), amr };
    } catch {
      return null;
    }
  }

  private checkCsrf(req: FastifyRequest, flow: OAuth2FlowsTable): void {
    const cookie = req.cookies?.[csrfCookieName(flow.id)];
    if (!cookie || !safeEqual(this.h('csrf', cookie), flow.csrf_hash)) {
      throw new OAuth2Error('request_forbidden', 'The request is not allowed: the CSRF cookie of this authorization flow is missing or does not match. Make sure the browser keeps cookies across the flow.', 403);
    }
  }

  private async redirectError(req: FastifyRequest, reply: FastifyReply, issuer: string, flow: OAuth2FlowsTable): Promise<FastifyReply> {
    const request = JSON.parse(flow.request) as AuthRequest;
    const e = JSON.parse(flow.error ?? '{}') as { error?: string; error_description?: string };
    if (request.device_code_id) {
      // A device flow has no redirect URI: the device learns it from its next poll (access_denied), the
      // browser goes to the project's error page, or is told here when none is set.
      await this.d.devices.deny(flow.project_id, request.device_code_id);
      const error = e.error || 'access_denied';
      const description = e.error_description || 'The resource owner denied the request';
      const page = configuredUrl(req.project!.services.oauth2.config?.urls?.error, issuer, { error, error_description: description });
      if (page) return reply.code(302).header('location', page).send();
      throw new OAuth2Error(error, description, 403);
    }
    return reply.code(302).header('location', withParams(request.redirect_uri, { error: e.error || 'access_denied', error_description: e.error_description || 'The resource owner denied the request', state: request.state })).send();
  }

  private async afterLogin(req: FastifyRequest, reply: FastifyReply, issuer: string, verifier: string): Promise<FastifyReply> {
    const project = req.project!;
    const flow = await this.flowBy(project.id, 'login_verifier_hash', 'login-verifier', verifier);
    if (!flow) throw new OAuth2Error('invalid_request', 'The login verifier is unknown, was already used, or belongs to another project.', 400);
    this.checkCsrf(req, flow);
    if (flow.state === 'login_rejected') {
      await this.transition(flow, 'login_rejected', { state: 'done' });
      return this.redirectError(req, reply, issuer, flow);
    }
    if (flow.state !== 'login_accepted') throw new OAuth2Error('invalid_request', 'The login verifier has already been used.', 400);
    if (Date.parse(flow.expires_at) <= Date.now()) throw new OAuth2Error('invalid_request', 'The authorization request has expired.', 400);
    const client = await this.d.clients.get(project.id, flow.client_id);
    if (!client) throw new OAuth2Error('invalid_client', 'The OAuth 2.0 Client no longer exists.', 401);
    const request = JSON.parse(flow.request) as AuthRequest;
    const login = JSON.parse(flow.login ?? '{}') as LoginResult;
    // A skipped login (request.remembered) keeps the browser's remembered login as it is, as Hydra does.
    if (!request.remembered) {
      const cookieName = loginSessionCookie(project.id);
      if (login.remember && flow.subject) {
        // The login UI asked to remember this login: the browser gets a session cookie for later flows.
        const rememberFor = Math.max(0, Math.floor(login.remember_for ?? 0));
        const token = await this.d.store.createLogin(project.id, login.sid ?? newId(), flow.subject, login.authenticated_at, rememberFor);
        reply.setCookie(cookieName, token, { path: '/', httpOnly: true, sameSite: 'lax', secure: issuer.startsWith('https:'), ...(rememberFor > 0 ? { maxAge: rememberFor } : {}) });
      } else if (req.cookies?.[cookieName]) {
        // A fresh login (prompt=login, max_age) that is not to be remembered ends the browser's older
        // remembered login, so a later flow does not offer skip for a subject this browser left (Hydra).
        const old = await this.d.store.loginByCookie(project.id, req.cookies[cookieName]);
        if (old) await this.d.store.revokeLogins(project.id, { sid: old.sid });
        reply.clearCookie(cookieName, { path: '/' });
      }
    }
    return this.toConsent(flow, client, reply, issuer, project.services.oauth2.config ?? {});
  }

  private async toConsent(flow: OAuth2FlowsTable, client: OAuth2Client, reply: FastifyReply, issuer: string, config: Record<string, any>): Promise<FastifyReply> {
    const request = JSON.parse(flow.request) as AuthRequest;
    if (client.skip_consent) {
      const consent = { grant_scope: request.scope, grant_access_token_audience: request.audience, session: { access_token: {}, id_token: {} } };
      await this.transition(flow, 'login_accepted', { state: 'consent_accepted', consent: JSON.stringify(consent) });
      return this.issueCode({ ...flow, state: 'consent_accepted' }, reply, issuer, config);
    }
    const challenge = randomToken();
    const skip = !!flow.subject && consentMaySkip(request, client) && (await this.d.store.consentCovers(flow.project_id, flow.subject, client.client_id, request.scope, request.audience));
    if (!skip && splitSpaces(request.prompt).includes('none')) {
      await this.transition(flow, 'login_accepted', { state: 'done' });
      return reply.code(302).header('location', withParams(request.redirect_uri, { error: 'consent_required', error_description: "Prompt 'none' was requested, but no previous consent was found.", state: request.state })).send();
    }
    await this.transition(flow, 'login_accepted', { state: 'consent_requested', consent_challenge_hash: this.h('consent-challenge', challenge), request: JSON.stringify({ ...request, consent_skip: skip }) });
    return reply.code(302).header('location', uiUrl(config?.urls?.consent, issuer, 'consent', { consent_challenge: challenge })).send();
  }

  private async afterConsent(req: FastifyRequest, reply: FastifyReply, issuer: string, verifier: string): Promise<FastifyReply> {
    const project = req.project!;
    const flow = await this.flowBy(project.id, 'consent_verifier_hash', 'consent-verifier', verifier);
    if (!flow) throw new OAuth2Error('invalid_request', 'The consent verifier is unknown, was already used, or belongs to another project.', 400);
    this.checkCsrf(req, flow);
    if (flow.state === 'consent_rejected') {
      await this.transition(flow, 'consent_rejected', { state: 'done' });
      return this.redirectError(req, reply, issuer, flow);
    }
    if (flow.state !== 'consent_accepted') throw new OAuth2Error('invalid_request', 'The consent verifier has already been used.', 400);
    if (Date.parse(flow.expires_at) <= Date.now()) throw new OAuth2Error('invalid_request', 'The authorization request has expired.', 400);
    return this.issueCode(flow, reply, issuer, project.services.oauth2.config ?? {});
  }

  private async issueCode(flow: OAuth2FlowsTable, reply: FastifyReply, issuer: string, config: Record<string, any>): Promise<FastifyReply> {
    const request = JSON.parse(flow.request) as AuthRequest;
    if (request.device_code_id) {
      // Device flow: no code; the device's next poll gets the tokens, the browser the success page.
      await this.transition(flow, 'consent_accepted', { state: 'code_issued' });
      if (!(await this.d.devices.approve(flow.project_id, request.device_code_id))) throw new OAuth2Error('invalid_request', 'The device authorization has already been handled.', 400);
      const page = configuredUrl(config?.urls?.device?.success, issuer, {}) ?? `${issuer}/ui/device_success`;
      return reply.code(302).header('location', page).send();
    }
    const consent = JSON.parse(flow.consent ?? '{}') as { grant_scope?: string[] };
    const code = randomToken('ory_ac_');
    await this.transition(flow, 'consent_accepted', { state: 'code_issued', code_hash: this.h('code', code), expires_at: new Date(Date.now() + authCodeLifespanMs(config)).toISOString() });
    return reply.code(302).header('location', withParams(request.redirect_uri, { code, scope: (consent.grant_scope ?? []).join(' '), state: request.state })).send();
  }

  // ---- admin API: login and consent requests ----

  private async live(projectId: string, column: 'login_challenge_hash' | 'consent_challenge_hash' | 'device_challenge_hash', purpose: string, challenge: string): Promise<OAuth2FlowsTable> {
    const flow = await this.flowBy(projectId, column, purpose, challenge);
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

  /** OAuth2LoginRequest; 410 with redirect_to when the challenge was already handled. */
  async getLoginRequest(projectId: string, challenge: string, reply: FastifyReply): Promise<unknown> {
    const flow = await this.live(projectId, 'login_challenge_hash', 'login-challenge', challenge);
    const request = JSON.parse(flow.request) as AuthRequest;
    if (flow.state !== 'login_requested') return reply.code(410).send({ redirect_to: request.request_url });
    const client = await this.d.clients.get(projectId, flow.client_id);
    return {
      challenge, client: publicClient(client), request_url: request.request_url, requested_scope: request.scope,
      requested_access_token_audience: request.audience, skip: !!request.remembered, subject: request.remembered?.subject ?? '',
      oidc_context: this.oidcContext(request), session_id: request.login_session_id ?? flow.id,
    };
  }

  async acceptLogin(projectId: string, challenge: string, body: { subject: string; acr?: string; amr?: string[]; context?: unknown; remember?: boolean; remember_for?: number; identity_provider_session_id?: string; force_subject_identifier?: string }): Promise<{ redirect_to: string }> {
    const flow = await this.live(projectId, 'login_challenge_hash', 'login-challenge', challenge);
    const request = JSON.parse(flow.request) as AuthRequest;
    // skip=true: the login UI may only confirm the remembered subject. To log in someone else it sends the
    // browser back to request_url with prompt=login (Hydra's acceptOAuth2LoginRequest, same message).
    if (request.remembered && body.subject !== request.remembered.subject) {
      throw new OryError(400, 'The request was malformed or contained invalid parameters', "Field 'subject' does not match subject from previous authentication.", ErrorId.badRequest);
    }
    const verifier = randomToken();
    const login: LoginResult = {
      acr: body.acr, amr: body.amr, context: body.context, remember: body.remember, remember_for: body.remember_for,
      authenticated_at: request.remembered?.authenticated_at ?? epoch(new Date()), identity_provider_session_id: body.identity_provider_session_id,
      sid: request.login_session_id ?? flow.id,
    };
    await this.transition(flow, 'login_requested', { state: 'login_accepted', subject: body.subject, login: JSON.stringify(login), login_verifier_hash: this.h('login-verifier', verifier) });
    return { redirect_to: withParams((JSON.parse(flow.request) as AuthRequest).request_url, { login_verifier: verifier }) };
  }

  async rejectLogin(projectId: string, challenge: string, body: RejectBody): Promise<{ redirect_to: string }> {
    const flow = await this.live(projectId, 'login_challenge_hash', 'login-challenge', challenge);
    const verifier = randomToken();
    await this.transition(flow, 'login_requested', { state: 'login_rejected', error: JSON.stringify(rejection(body)), login_verifier_hash: this.h('login-verifier', verifier) });
    return { redirect_to: withParams((JSON.parse(flow.request) as AuthRequest).request_url, { login_verifier: verifier }) };
  }

  async getConsentRequest(projectId: string, challenge: string, reply: FastifyReply): Promise<unknown> {
    const flow = await this.live(projectId, 'consent_challenge_hash', 'consent-challenge', challenge);
    const request = JSON.parse(flow.request) as AuthRequest;
    if (flow.state !== 'consent_requested') return reply.code(410).send({ redirect_to: request.request_url });
    const login = JSON.parse(flow.login ?? '{}') as LoginResult;
    const client = await this.d.clients.get(projectId, flow.client_id);
    const out: Record<string, unknown> = {
      challenge, consent_request_id: flow.id, client: publicClient(client), request_url: request.request_url, requested_scope: request.scope,
      requested_access_token_audience: request.audience, skip: !!request.consent_skip, subject: flow.subject ?? '', login_session_id: request.login_session_id ?? flow.id,
      oidc_context: this.oidcContext(request), context: login.context ?? {},
    };
    if (login.acr) out.acr = login.acr;
    if (login.amr) out.amr = login.amr;
    return out;
  }

  async acceptConsent(projectId: string, challenge: string, body: { grant_scope?: string[]; grant_access_token_audience?: string[]; session?: { access_token?: unknown; id_token?: unknown }; remember?: boolean; remember_for?: number; context?: unknown }): Promise<{ redirect_to: string }> {
    const flow = await this.live(projectId, 'consent_challenge_hash', 'consent-challenge', challenge);
    const client = await this.d.clients.get(projectId, flow.client_id);
    if (!client) throw notFound('The OAuth 2.0 client of this request no longer exists.');
    const scopes = [...new Set(body.grant_scope ?? [])];
    const bad = scopesAllowed(client, scopes);
    if (bad !== null) throw new OryError(400, 'The request was malformed or contained invalid parameters', `The client may not be granted the scope "${bad.slice(0, 100)}".`, ErrorId.oauth2InvalidScope);
    const audience = [...new Set(body.grant_access_token_audience ?? [])];
    const badAud = audience.find((a) => !client.audience.includes(a));
    if (badAud) throw new OryError(400, 'The request was malformed or contained invalid parameters', `The client may not be granted the audience "${badAud.slice(0, 100)}".`, ErrorId.badRequest);
    const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
    const session = { access_token: isObject(body.session?.access_token) ? body.session.access_token : {}, id_token: isObject(body.session?.id_token) ? body.session.id_token : {} };
    const verifier = randomToken();
    await this.transition(flow, 'consent_requested', { state: 'consent_accepted', consent: JSON.stringify({ grant_scope: scopes, grant_access_token_audience: audience, session, remember: body.remember }), consent_verifier_hash: this.h('consent-verifier', verifier) });
    const request = JSON.parse(flow.request) as AuthRequest;
    const rememberFor = Math.max(0, Math.floor(body.remember_for ?? 0));
    const now = new Date();
    await this.d.store.recordConsent({
      id: flow.id, project_id: projectId, subject: flow.subject ?? '', client_id: flow.client_id, login_session_id: request.login_session_id ?? null,
      grant_scope: JSON.stringify(scopes), grant_audience: JSON.stringify(audience), session: JSON.stringify(session),
      consent_request: JSON.stringify({ challenge, consent_request_id: flow.id, client: publicClient(client), requested_scope: request.scope, requested_access_token_audience: request.audience, skip: !!request.consent_skip, subject: flow.subject ?? '', request_url: request.request_url }),
      context: JSON.stringify(body.context ?? {}), remember: body.remember ? 1 : 0, remember_for: rememberFor, skip: request.consent_skip ? 1 : 0, handled_at: now.toISOString(),
      expires_at: body.remember && rememberFor > 0 ? new Date(now.getTime() + rememberFor * 1000).toISOString() : null, revoked_at: null,
    });
    return { redirect_to: withParams((JSON.parse(flow.request) as AuthRequest).request_url, { consent_verifier: verifier }) };
  }

  async rejectConsent(projectId: string, challenge: string, body: RejectBody): Promise<{ redirect_to: string }> {
    const flow = await this.live(projectId, 'consent_challenge_hash', 'consent-challenge', challenge);
    const verifier = randomToken();
    await this.transition(flow, 'consent_requested', { state: 'consent_rejected', error: JSON.stringify(rejection(body)), consent_verifier_hash: this.h('consent-verifier', verifier) });
    return { redirect_to: withParams((JSON.parse(flow.request) as AuthRequest).request_url, { consent_verifier: verifier }) };
  }
}

export interface RejectBody {
  error?: string;
  error_description?: string;
  error_hint?: string;
  error_debug?: string;
  status_code?: number;
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

function rejection(body: RejectBody): { error: string; error_description: string } {
  const error = body.error && /^[\x20-\x7e]{1,100}$/.test(body.error) ? body.error : 'access_denied';
  const description = [body.error_description || 'The resource owner denied the request', body.error_hint].filter(Boolean).join(' ').slice(0, 1000);
  return { error, error_description: description };
}
