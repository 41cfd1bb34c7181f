import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../platform/db/schema.js';
import { ErrorId, OryError } from '../platform/errors/errors.js';
import { newId } from '../platform/ids.js';
import { asBody, badField, field, traitsFrom, type Body } from './body.js';
import { flowConfig, type FlowConfig } from './config.js';
import { SESSION_COOKIE, type CookieSpec, type Outcome, type RequestInfo } from './context.js';
import {
  browserLocationChangeRequired,
  csrfViolation,
  flowDisabled,
  flowExpired,
  flowNotFound,
  flowParamMissing,
  identityMismatch,
  noActiveSession,
  refreshRequired,
  returnToForbidden,
  sessionAlreadyAvailable,
} from './errors.js';
import { FlowStore, type Flow, type FlowKind, type FlowType } from './flow-store.js';
import type { CourierPort, IdentityPort, SchemaPort, SessionPort, WireIdentity, WireSession } from './ports.js';
import { FlowSecrets, safeEqual } from './secrets.js';
import { text, type UiText } from './text.js';
import { SlidingWindowLimiter } from '../platform/rate-limit.js';
import { codeUi, emailUi, loginUi, registrationUi, settingsUi } from './forms.js';
import { checkPasswordPolicy } from '../identity/password-policy.js';
import { addMessage, clearMessages, csrfNode, getPath, scrubSecrets, setValue, traitFields, type UiContainer } from './ui.js';

export interface SelfServiceDeps {
  db: Kysely<Database>;
  /** `secret`: the server secret (HMAC key for CSRF tokens, codes, logout tokens, throttle keys). */
  config: { secret: string };
  identities: IdentityPort;
  sessions: SessionPort;
  courier: CourierPort;
  schemas: SchemaPort;
}

const MAX_PASSWORD_LENGTH = 1024;
const CSRF_COOKIE_MAX_AGE = 365 * 24 * 3600;

/**
 * The self-service flows of a project's frontend API (Ory Kratos's registration, login, settings,
 * recovery, verification and logout), wire-compatible with @ory/client's FrontendApi.
 *
 * Tenancy: every flow read or write is scoped by `ri.project.id`; a flow id of another project is 404.
 * Secrets: CSRF tokens are derived (HMAC of flow id and the browser's cookie secret), codes are stored
 * as HMACs and compared in constant time, passwords never leave the request.
 * Handlers return an `Outcome` (status/body or redirect, plus cookies); they throw OryErrors for
 * errors that are not flow-shaped.
 */
export class SelfService {
  readonly store: FlowStore;
  readonly throttle: SlidingWindowLimiter;
  readonly secrets: FlowSecrets;
  /** The clock (ms since epoch). Tests replace it to move time without sleeping. */
  now: () => number = () => Date.now();

  constructor(private readonly d: SelfServiceDeps) {
    this.store = new FlowStore(d.db);
    this.throttle = new SlidingWindowLimiter(d.db);
    this.secrets = new FlowSecrets(d.config.secret);
  }

  // ================================================================ creating and reading flows

  /** `GET /self-service/{kind}/api|browser`. */
  async create(ri: RequestInfo, kind: FlowKind, type: FlowType, query: { return_to?: string; refresh?: boolean; identity_schema?: string }): Promise<Outcome> {
    const cfg = flowConfig(ri.project);
    const returnTo = this.checkReturnTo(ri, cfg, query.return_to);
    switch (kind) {
      case 'registration': {
        if (!cfg.registrationEnabled) throw flowDisabled('Registration');
        if (await this.activeSession(ri)) return this.alreadyLoggedIn(ri, cfg, type, returnTo);
        const schemaId = this.pickSchema(ri, query.identity_schema);
        return this.respondNew(ri, cfg, await this.newFlow(ri, cfg, 'registration', type, { returnTo, schemaId, ui: registrationUi(this.d.schemas, ri, cfg, schemaId) }));
      }
      case 'login': {
        const current = await this.activeSession(ri);
        if (current && !query.refresh) return this.alreadyLoggedIn(ri, cfg, type, returnTo);
        const schemaId = this.pickSchema(ri, query.identity_schema);
        const refresh = !!query.refresh && !!current;
        const made = await this.newFlow(ri, cfg, 'login', type, {
          returnTo,
          schemaId,
          ui: loginUi(this.d.schemas, ri, cfg, schemaId),
          extra: { refresh },
          // A re-authentication must be done by the same identity, and replaces the session it refreshes.
          identityId: refresh ? current!.session.identity?.id ?? null : null,
          sessionId: refresh ? current!.session.id : null,
        });
        if (query.refresh && current?.session.identity) {
          // Re-authentication: the identifier is fixed to the current identity.
          const ids = this.passwordIdentifiers(ri, current.session.identity);
          if (ids[0]) setValue(made.flow.ui, 'identifier', ids[0]);
          made.flow.ui.messages = [{ id: 1010003, text: 'Please confirm this action by verifying that it is you.', type: 'info' }];
          await this.store.update(made.flow, this.iso());
        }
        return this.respondNew(ri, cfg, made);
      }
      case 'settings': {
        const current = await this.activeSession(ri);
        if (!current) {
          if (type === 'browser' && !ri.wantsJson && cfg.uiUrl.login) return { status: 303, redirect: `${ri.baseUrl}/self-service/login/browser` };
          throw noActiveSession();
        }
        const identity = await this.identityOf(ri, current.session);
        const made = await this.newFlow(ri, cfg, 'settings', type, { returnTo, identityId: identity.id, sessionId: current.session.id, schemaId: identity.schema_id, state: 'show_form', ui: settingsUi(this.d.schemas, ri, cfg, identity) });
        return this.respondNew(ri, cfg, made, identity);
      }
      case 'recovery': {
        if (!cfg.recoveryEnabled || !cfg.codeEnabled) throw flowDisabled('Recovery');
        if (await this.activeSession(ri)) return this.alreadyLoggedIn(ri, cfg, type, returnTo);
        return this.respondNew(ri, cfg, await this.newFlow(ri, cfg, 'recovery', type, { returnTo, ui: emailUi() }));
      }
      case 'verification': {
        if (!cfg.verificationEnabled || !cfg.codeEnabled) throw flowDisabled('Verification');
        return this.respondNew(ri, cfg, await this.newFlow(ri, cfg, 'verification', type, { returnTo, ui: emailUi() }));
      }
    }
  }

  /** `GET /self-service/{kind}/flows?id=`: 404 unknown (or another project's), 403 foreign browser, 410 expired. */
  async get(ri: RequestInfo, kind: FlowKind, id: string | undefined): Promise<Outcome> {
    if (!id) throw flowParamMissing();
    const flow = await this.store.get(ri.project.id, kind, id);
    if (!flow) throw flowNotFound();
    const secret = this.csrfSecretFor(ri, flow);
    // A browser flow is only shown to the browser it was made for (Kratos: CSRF check on fetch).
    if (flow.type === 'browser' && !secret && !skipsCsrf(flow)) throw csrfViolation();
    let identity: WireIdentity | undefined;
    if (kind === 'settings') identity = await this.settingsOwner(ri, flow);
    const now = this.now();
    if (Date.parse(flow.expiresAt) <= now) {
      const init = `${ri.baseUrl}/self-service/${kind}/${flow.type}`;
      throw flowExpired(kind, flow.expiresAt, now, {}, flow.type === 'browser' ? { redirect_to: init, return_to: flow.returnTo ?? '' } : { api: init });
    }
    return { status: 200, body: this.wire(flow, ri, secret, identity) };
  }

  /** `GET /self-service/errors?id=` */
  async getError(ri: RequestInfo, id: string | undefined): Promise<Outcome> {
    if (!id) throw flowParamMissing();
    const row = await this.d.db.selectFrom('selfservice_errors').selectAll().where('project_id', '=', ri.project.id).where('id', '=', id).executeTakeFirst();
    if (!row) throw flowNotFound();
    return { status: 200, body: { id: row.id, error: JSON.parse(row.error), created_at: row.created_at, updated_at: row.updated_at } };
  }

  /**
   * Renders an error of a browser form post: stored and redirected to the project's error UI when one
   * is configured (Kratos's behaviour), otherwise null (the caller answers with the JSON error).
   */
  async browserError(ri: RequestInfo, err: OryError, requestId: string): Promise<Outcome | null> {
    const cfg = flowConfig(ri.project);
    if (!cfg.uiUrl.error) return null;
    const id = newId();
    const now = this.iso();
    const body = err.toBody(requestId);
    await this.d.db.insertInto('selfservice_errors').values({ id, project_id: ri.project.id, error: JSON.stringify(body.error), created_at: now, updated_at: now }).execute();
    return { status: 303, redirect: withQuery(cfg.uiUrl.error, 'id', id) };
  }

  // ================================================================ submitting flows

  /** `POST /self-service/{kind}?flow=` */
  async submit(ri: RequestInfo, kind: FlowKind, flowId: string | undefined, rawBody: unknown): Promise<Outcome> {
    const cfg = flowConfig(ri.project);
    const body = asBody(rawBody);
    const flow = await this.loadForSubmit(ri, cfg, kind, flowId, body);
    if (!('kind' in flow)) return flow;
    switch (kind) {
      case 'login':
        return this.submitLogin(ri, cfg, flow, body);
      case 'registration':
        return this.submitRegistration(ri, cfg, flow, body);
      case 'settings':
        return this.submitSettings(ri, cfg, flow, body);
      case 'recovery':
        return this.submitRecovery(ri, cfg, flow, body);
      case 'verification':
        return this.submitVerification(ri, cfg, flow, body);
    }
  }

  private async loadForSubmit(ri: RequestInfo, cfg: FlowConfig, kind: FlowKind, flowId: string | undefined, body: Body): Promise<Flow | Outcome> {
    if (!flowId) throw flowParamMissing();
    const flow = await this.store.get(ri.project.id, kind, flowId);
    if (!flow) throw flowNotFound();
    if (flow.type === 'browser' && !skipsCsrf(flow)) {
      // The token must be this flow's token for this browser's cookie, and the cookie must be the
      // one the flow was created for: a token lifted from another browser or flow is refused.
      const secret = this.csrfSecretFor(ri, flow);
      const sent = field(body, 'csrf_token', 200) ?? ri.csrfHeader ?? '';
      if (!secret || !safeEqual(sent, this.secrets.csrfToken(ri.project.id, flow.id, secret))) throw csrfViolation();
    }
    const now = this.now();
    if (Date.parse(flow.expiresAt) <= now) {
      // Kratos: a replacement flow carries the "expired" message; the client is pointed to it.
      const replacement = await this.replacementFor(ri, cfg, flow);
      const ui = cfg.uiUrl[kind];
      if (flow.type === 'browser' && !ri.wantsJson && ui) return { status: 303, redirect: withQuery(ui, 'flow', replacement.id) };
      throw flowExpired(kind, flow.expiresAt, now, { use_flow_id: replacement.id });
    }
    return flow;
  }

  private async replacementFor(ri: RequestInfo, cfg: FlowConfig, old: Flow): Promise<Flow> {
    const now = this.now();
    let ui: UiContainer;
    let identity: WireIdentity | undefined;
    switch (old.kind) {
      case 'login':
        ui = loginUi(this.d.schemas, ri, cfg, old.schemaId ?? this.d.schemas.defaultSchemaId(ri.project.services.identity.config));
        break;
      case 'registration':
        ui = registrationUi(this.d.schemas, ri, cfg, old.schemaId ?? this.d.schemas.defaultSchemaId(ri.project.services.identity.config));
        break;
      case 'settings':
        identity = (await this.d.identities.get(ri.project.id, old.identityId ?? '')) ?? undefined;
        ui = identity ? settingsUi(this.d.schemas, ri, cfg, identity) : { action: '', method: 'POST', nodes: [csrfNode()] };
        break;
      default:
        ui = emailUi();
    }
    const expiredText = { login: text.loginExpired, registration: text.registrationExpired, settings: text.settingsExpired, recovery: text.recoveryExpired, verification: text.verificationExpired }[old.kind];
    ui.messages = [expiredText(old.expiresAt, now)];
    const made = await this.newFlow(ri, cfg, old.kind, old.type, {
      returnTo: old.returnTo,
      schemaId: old.schemaId,
      identityId: old.identityId,
      sessionId: old.sessionId,
      state: old.kind === 'settings' ? 'show_form' : 'choose_method',
      ui,
      csrfBinding: old.csrfBinding,
    });
    return made.flow;
  }

  // ---------------------------------------------------------------- login

  private async submitLogin(ri: RequestInfo, cfg: FlowConfig, flow: Flow, body: Body): Promise<Outcome> {
    if (flow.state === 'passed_challenge') {
      clearMessages(flow.ui);
      return this.fail(ri, cfg, flow, null, text.loginRetrySuccess());
    }
    clearMessages(flow.ui);
    const method = field(body, 'method', 64);
    if (method !== 'password' || !cfg.passwordEnabled) return this.fail(ri, cfg, flow, null, text.loginNoStrategy());
    const identifier = (field(body, 'identifier', 512) ?? field(body, 'password_identifier', 512) ?? '').trim();
    const password = field(body, 'password', MAX_PASSWORD_LENGTH) ?? '';
    setValue(flow.ui, 'identifier', identifier);
    let invalid = false;
    if (!identifier) {
      addMessage(flow.ui, 'identifier', text.required('identifier'));
      invalid = true;
    }
    if (!password) {
      addMessage(flow.ui, 'password', text.required('password'));
      invalid = true;
    }
    if (invalid || badField(body, 'password', MAX_PASSWORD_LENGTH)) return this.fail(ri, cfg, flow);

    // Brute force: refuse before checking anything while the identifier or the address is over its limit.
    const now = this.now();
    const idKey = `i:${this.secrets.hmac('throttle', ri.project.id, identifier.toLowerCase()).slice(0, 40)}`;
    const ipKey = `a:${addressKey(ri.ip)}`;
    const bf = cfg.bruteForce;
    const wait = await this.throttle.retryAfter(ri.project.id, [{ key: idKey, max: bf.maxPerIdentifier }, { key: ipKey, max: bf.maxPerAddress }], bf.windowMs, now);
    if (wait > 0) {
      throw new OryError(429, 'Too many requests', 'Too many failed login attempts; retry later.', ErrorId.tooManyRequests, undefined, { 'retry-after': String(wait) });
    }

    const identity = await this.d.identities.findByPasswordIdentifier(ri.project.id, identifier);
    // Same hashing work whether or not the identifier exists, so timing reveals nothing.
    const ok = await this.d.identities.verifyPassword(ri.project.id, identity?.id ?? '', password);
    if (!identity || !ok || identity.state === 'inactive') {
      await this.throttle.fail(ri.project.id, [idKey, ipKey], bf.windowMs, now);
      return this.fail(ri, cfg, flow, null, text.invalidCredentials());
    }
    await this.throttle.reset(ri.project.id, idKey);
    if (flow.identityId && flow.identityId !== identity.id) throw identityMismatch();
    if (!(await this.store.transition(flow, 'choose_method', 'passed_challenge', this.iso()))) {
      return this.fail(ri, cfg, await this.reload(flow), null, text.loginRetrySuccess());
    }
    flow.active = 'password';
    await this.store.update(flow, this.iso());
    const { session, token } = await this.issueSession(ri, identity.id, 'password');
    if (flow.sessionId) await this.d.sessions.revoke(ri.project.id, flow.sessionId);
    return this.loggedIn(ri, cfg, flow, session, token, {});
  }

  // ---------------------------------------------------------------- registration

  private async submitRegistration(ri: RequestInfo, cfg: FlowConfig, flow: Flow, body: Body): Promise<Outcome> {
    if (!cfg.registrationEnabled) throw flowDisabled('Registration');
    if (flow.state === 'passed_challenge') {
      clearMessages(flow.ui);
      return this.fail(ri, cfg, flow, null, text.registrationRetrySuccess());
    }
    clearMessages(flow.ui);
    const method = field(body, 'method', 64);
    if (method !== 'password' || !cfg.passwordEnabled) return this.fail(ri, cfg, flow, null, text.registrationNoStrategy());
    const identityConfig = ri.project.services.identity.config;
    const schemaId = flow.schemaId ?? this.d.schemas.defaultSchemaId(identityConfig);
    const schema = this.d.schemas.get(identityConfig, schemaId);
    if (!schema) return this.fail(ri, cfg, flow, null, text.generic(`The identity schema "${schemaId}" of this flow is no longer available.`));
    const fields = traitFields(schema.schema);
    const traits = traitsFrom(body, fields);
    const password = field(body, 'password', MAX_PASSWORD_LENGTH) ?? '';
    for (const f of fields) setValue(flow.ui, f.name, traits ? getPath(traits, f.name.slice(7)) : undefined);
    let invalid = false;
    if (!traits) {
      addMessage(flow.ui, null, text.wrongType('object', jsonType(body?.traits)));
      return this.fail(ri, cfg, flow);
    }
    const validation = this.d.schemas.validateTraits(schema, traits);
    if (!validation.ok) {
      this.traitError(flow.ui, validation.message, validation.path, traits);
      invalid = true;
    }
    if (!password) {
      addMessage(flow.ui, 'password', text.required('password'));
      invalid = true;
    }
    if (invalid) return this.fail(ri, cfg, flow);
    if (validation.ok) {
      if (validation.extensions.passwordIdentifiers.length === 0) return this.fail(ri, cfg, flow, null, text.identifierMissing());
      const policy = this.passwordPolicy(cfg, ri, validation.extensions.passwordIdentifiers, password);
      if (policy) return this.fail(ri, cfg, flow, 'password', policy);
    }
    // Claim the flow first, so concurrent (replayed) submissions cannot create two identities.
    if (!(await this.store.transition(flow, 'choose_method', 'passed_challenge', this.iso()))) {
      return this.fail(ri, cfg, await this.reload(flow), null, text.registrationRetrySuccess());
    }
    let identity: WireIdentity;
    try {
      identity = await this.d.identities.create(ri.project, { schema_id: schemaId, traits, state: 'active', credentials: { password: { config: { password } } } });
    } catch (err) {
      flow.state = 'choose_method';
      if (err instanceof OryError && err.code === 409) return this.fail(ri, cfg, flow, null, text.duplicateCredentials());
      if (err instanceof OryError && err.code === 400) return this.fail(ri, cfg, flow, null, text.generic(err.reason ?? err.message));
      await this.store.update(flow, this.iso());
      throw err;
    }
    flow.active = 'password';
    await this.store.update(flow, this.iso());
    const continueWith: unknown[] = [];
    // Kratos sends a verification code for the new address and points the client to that flow.
    const address = (identity.verifiable_addresses ?? []).find((a) => !a.verified && a.via === 'email');
    if (address && cfg.verificationEnabled && cfg.codeEnabled) {
      const vf = await this.startVerification(ri, cfg, flow.type, identity.id, address.value, flow.csrfBinding);
      continueWith.push({ action: 'show_verification_ui', flow: { id: vf.id, verifiable_address: address.value, ...(flow.type === 'browser' ? { url: this.uiLink(ri, cfg, 'verification', vf.id) } : {}) } });
    }
    const { session, token } = await this.issueSession(ri, identity.id, 'password');
    return this.loggedIn(ri, cfg, flow, session, token, { identity, continueWith });
  }

  // ---------------------------------------------------------------- settings

  private async submitSettings(ri: RequestInfo, cfg: FlowConfig, flow: Flow, body: Body): Promise<Outcome> {
    const current = await this.activeSession(ri);
    if (!current) throw noActiveSession();
    const identity = await this.identityOf(ri, current.session);
    if (identity.id !== flow.identityId) throw identityMismatch();
    clearMessages(flow.ui);
    const method = field(body, 'method', 64);
    const identityConfig = ri.project.services.identity.config;
    const schema = this.d.schemas.get(identityConfig, identity.schema_id);
    const privileged = Date.parse(current.session.authenticated_at) + cfg.privilegedSessionMaxAgeMs > this.now();
    const refreshUrl = `${ri.baseUrl}/self-service/login/browser?refresh=true&return_to=${encodeURIComponent(this.uiLink(ri, cfg, 'settings', flow.id))}`;

    if (method === 'password' && cfg.passwordEnabled) {
      const password = field(body, 'password', MAX_PASSWORD_LENGTH) ?? '';
      if (!password) return this.fail(ri, cfg, flow, 'password', text.required('password'), identity);
      if (!privileged) throw refreshRequired(refreshUrl);
      const identifiers = this.passwordIdentifiers(ri, identity);
      const policy = this.passwordPolicy(cfg, ri, identifiers, password);
      if (policy) return this.fail(ri, cfg, flow, 'password', policy, identity);
      try {
        await this.d.identities.setPassword(ri.project, identity.id, password);
      } catch (err) {
        if (err instanceof OryError && err.code === 400) return this.fail(ri, cfg, flow, 'password', text.generic(err.reason ?? err.message), identity);
        throw err;
      }
      return this.settingsSaved(ri, cfg, flow, identity.id, 'password');
    }
    if (method === 'profile') {
      if (!schema) return this.fail(ri, cfg, flow, null, text.generic('The identity schema is no longer available.'), identity);
      const fields = traitFields(schema.schema);
      const traits = traitsFrom(body, fields);
      if (!traits) return this.fail(ri, cfg, flow, null, text.wrongType('object', jsonType(body?.traits)), identity);
      for (const f of fields) setValue(flow.ui, f.name, getPath(traits, f.name.slice(7)));
      const validation = this.d.schemas.validateTraits(schema, traits);
      if (!validation.ok) {
        this.traitError(flow.ui, validation.message, validation.path, traits);
        return this.fail(ri, cfg, flow, undefined, undefined, identity);
      }
      // Changing what identifies the account (login identifiers, addresses) needs a fresh login.
      const sensitive = fields.filter((f) => f.isPasswordIdentifier || f.isRecovery || f.isVerifiable);
      const changed = sensitive.some((f) => JSON.stringify(getPath(traits, f.name.slice(7))) !== JSON.stringify(getPath(identity.traits, f.name.slice(7))));
      if (changed && !privileged) throw refreshRequired(refreshUrl);
      try {
        await this.d.identities.updateTraits(ri.project, identity.id, traits);
      } catch (err) {
        if (err instanceof OryError && err.code === 409) return this.fail(ri, cfg, flow, null, text.duplicateCredentials(), identity);
        if (err instanceof OryError && err.code === 400) return this.fail(ri, cfg, flow, null, text.generic(err.reason ?? err.message), identity);
        throw err;
      }
      return this.settingsSaved(ri, cfg, flow, identity.id, 'profile');
    }
    return this.fail(ri, cfg, flow, null, text.settingsNoStrategy(), identity);
  }

  private async settingsSaved(ri: RequestInfo, cfg: FlowConfig, flow: Flow, identityId: string, active: string): Promise<Outcome> {
    const identity = (await this.d.identities.get(ri.project.id, identityId))!;
    const fresh = settingsUi(this.d.schemas, ri, cfg, identity);
    fresh.messages = [text.settingsSaved()];
    flow.ui = fresh;
    flow.state = 'success';
    flow.active = active;
    await this.store.update(flow, this.iso());
    if (flow.type === 'browser' && !ri.wantsJson) {
      const target = flow.returnTo ?? cfg.afterReturnUrl.settings ?? (cfg.uiUrl.settings ? withQuery(cfg.uiUrl.settings, 'flow', flow.id) : null);
      if (target) return { status: 303, redirect: target };
    }
    return { status: 200, body: this.wire(flow, ri, this.csrfSecretFor(ri, flow), identity) };
  }

  // ---------------------------------------------------------------- recovery and verification

  private async submitRecovery(ri: RequestInfo, cfg: FlowConfig, flow: Flow, body: Body): Promise<Outcome> {
    if (!cfg.recoveryEnabled || !cfg.codeEnabled) throw flowDisabled('Recovery');
    const step = await this.codeStep(ri, cfg, flow, body, text.recoveryRetrySuccess, text.recoveryNoStrategy);
    if ('outcome' in step) return step.outcome;
    const { code } = step;
    if (!(await this.checkCode(ri, cfg, flow, code))) return this.fail(ri, cfg, await this.reload(flow), 'code', text.recoveryCodeInvalid());
    if (!(await this.store.transition(flow, 'sent_email', 'passed_challenge', this.iso()))) {
      return this.fail(ri, cfg, await this.reload(flow), null, text.recoveryRetrySuccess());
    }
    const identityId = flow.identityId!;
    const { session, token } = await this.issueSession(ri, identityId, 'code_recovery');
    // Recovery means the account may have been taken over: every other session ends.
    await this.d.sessions.revokeAllOfIdentity(ri.project.id, identityId, session.id);
    const identity = (await this.d.identities.get(ri.project.id, identityId))!;
    const nextUi = settingsUi(this.d.schemas, ri, cfg, identity);
    const privilegedUntil = new Date(Date.parse(session.authenticated_at) + cfg.privilegedSessionMaxAgeMs).toISOString();
    nextUi.messages = [text.recoverySuccessful(privilegedUntil, this.now())];
    const settings = await this.newFlow(ri, cfg, 'settings', flow.type, {
      returnTo: flow.returnTo,
      identityId,
      sessionId: session.id,
      schemaId: identity.schema_id,
      state: 'show_form',
      ui: nextUi,
      csrfBinding: flow.csrfBinding,
    });
    const settingsLink = this.uiLink(ri, cfg, 'settings', settings.flow.id);
    flow.ui = emailUi();
    flow.ui.messages = [];
    // The session token is shown in this one response only; the stored flow never keeps it.
    flow.extra.continue_with = [{ action: 'show_settings_ui', flow: { id: settings.flow.id, ...(flow.type === 'browser' ? { url: settingsLink } : {}) } }];
    await this.store.update(flow, this.iso());
    if (flow.type === 'api') {
      const wire = this.wire(flow, ri, null);
      wire.continue_with = [{ action: 'set_ory_session_token', ory_session_token: token }, ...flow.extra.continue_with];
      return { status: 200, body: wire };
    }
    // The settings flow's CSRF cookie too, for a browser that had none (an admin-created recovery flow).
    const cookies = [this.sessionCookie(cfg, session, token), ...settings.cookies];
    if (ri.wantsJson) return { status: 422, error: browserLocationChangeRequired(settingsLink), cookies };
    return { status: 303, redirect: settingsLink, cookies };
  }

  private async submitVerification(ri: RequestInfo, cfg: FlowConfig, flow: Flow, body: Body): Promise<Outcome> {
    if (!cfg.verificationEnabled || !cfg.codeEnabled) throw flowDisabled('Verification');
    const step = await this.codeStep(ri, cfg, flow, body, text.verificationRetrySuccess, text.verificationNoStrategy);
    if ('outcome' in step) return step.outcome;
    const { code } = step;
    const address = flow.codeAddress;
    if (!(await this.checkCode(ri, cfg, flow, code)) || !address) return this.fail(ri, cfg, await this.reload(flow), 'code', text.verificationCodeInvalid());
    if (!(await this.store.transition(flow, 'sent_email', 'passed_challenge', this.iso()))) {
      return this.fail(ri, cfg, await this.reload(flow), null, text.verificationRetrySuccess());
    }
    await this.d.identities.markAddressVerified(ri.project.id, flow.identityId!, address);
    flow.ui = { action: '', method: 'POST', nodes: [csrfNode()], messages: [text.verificationSuccessful()] };
    await this.store.update(flow, this.iso());
    if (flow.type === 'browser' && !ri.wantsJson) {
      const target = flow.returnTo ?? cfg.afterReturnUrl.verification ?? (cfg.uiUrl.verification ? withQuery(cfg.uiUrl.verification, 'flow', flow.id) : null);
      if (target) return { status: 303, redirect: target };
    }
    return { status: 200, body: this.wire(flow, ri, this.csrfSecretFor(ri, flow)) };
  }

  /** Sends (or re-sends) a code to an address. Unknown addresses get the same answer and no message. */
  /**
   * The first steps of a recovery or verification submission, alike for both: a finished flow, a
   * missing method, an address to send a code to, or a missing code each end the request here;
   * otherwise the submitted code comes back to be checked.
   */
  private async codeStep(ri: RequestInfo, cfg: FlowConfig, flow: Flow, body: Body, retrySuccess: () => UiText, noStrategy: () => UiText): Promise<{ outcome: Outcome } | { code: string }> {
    clearMessages(flow.ui);
    if (flow.state === 'passed_challenge') return { outcome: await this.fail(ri, cfg, flow, null, retrySuccess()) };
    if (field(body, 'method', 64) !== 'code') return { outcome: await this.fail(ri, cfg, flow, null, noStrategy()) };
    const email = field(body, 'email', 320)?.trim();
    const code = field(body, 'code', 64)?.trim();
    if (email !== undefined && email !== '') return { outcome: await this.sendCode(ri, cfg, flow, email) };
    if (code === undefined || code === '') {
      const missing = flow.state === 'sent_email' ? 'code' : 'email';
      return { outcome: await this.fail(ri, cfg, flow, missing, text.required(missing)) };
    }
    return { code };
  }

  private async sendCode(ri: RequestInfo, cfg: FlowConfig, flow: Flow, rawAddress: string): Promise<Outcome> {
    const address = rawAddress.toLowerCase();
    const kind = flow.kind as 'recovery' | 'verification';
    setValue(flow.ui, 'email', address);
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(address)) return this.fail(ri, cfg, flow, 'email', text.invalidEmail(rawAddress));
    const found = await this.d.identities.findByAddress(ri.project.id, kind === 'recovery' ? 'recovery' : 'verifiable', address);
    // A deactivated identity cannot sign in, so it gets no recovery code (and the same answer as a stranger).
    const identity = found && !(kind === 'recovery' && found.state === 'inactive') ? found : null;
    // Codes per recipient are limited (mail bombing), counted whether or not the address is known.
    const bf = cfg.bruteForce;
    const key = `c:${this.secrets.hmac('throttle-code', ri.project.id, address).slice(0, 40)}`;
    const wait = await this.throttle.retryAfter(ri.project.id, [{ key, max: bf.maxCodesPerRecipient }], bf.windowMs, this.now());
    if (wait > 0) throw new OryError(429, 'Too many requests', 'Too many codes were sent to this address; retry later.', ErrorId.tooManyRequests, undefined, { 'retry-after': String(wait) });
    await this.throttle.fail(ri.project.id, [key], bf.windowMs, this.now());
    const code = this.secrets.newCode();
    flow.identityId = identity?.id ?? null;
    flow.codeAddress = address;
    flow.codeAttempts = 0;
    // An unknown address gets a code hash nothing can match, so the flow looks the same either way.
    flow.codeHash = identity ? this.secrets.codeHash(ri.project.id, flow.id, code) : this.secrets.hmac('no-code', newId());
    flow.state = 'sent_email';
    flow.active = 'code';
    flow.ui = codeUi(kind, address);
    await this.store.update(flow, this.iso());
    if (identity) await this.queueCode(ri, kind, address, code);
    return this.flowOk(ri, cfg, flow);
  }

  private async queueCode(ri: RequestInfo, kind: 'recovery' | 'verification', address: string, code: string): Promise<void> {
    if (kind === 'recovery') {
      await this.d.courier.queue(ri.project.id, {
        recipient: address,
        template_type: 'recovery_code_valid',
        subject: 'Recover access to your account',
        body: `Hi,\n\nplease recover access to your account by entering the following code:\n\n${code}\n`,
      });
    } else {
      await this.d.courier.queue(ri.project.id, {
        recipient: address,
        template_type: 'verification_code_valid',
        subject: 'Please verify your email address',
        body: `Hi,\n\nplease verify your account by entering the following code:\n\n${code}\n`,
      });
    }
  }

  /** Creates a verification flow with a code already sent (after registration). */
  private async startVerification(ri: RequestInfo, cfg: FlowConfig, type: FlowType, identityId: string, address: string, csrfBinding: string | null): Promise<Flow> {
    const made = await this.newFlow(ri, cfg, 'verification', type, { ui: codeUi('verification', address), state: 'sent_email', csrfBinding });
    const code = this.secrets.newCode();
    made.flow.identityId = identityId;
    made.flow.codeAddress = address;
    made.flow.codeHash = this.secrets.codeHash(ri.project.id, made.flow.id, code);
    made.flow.active = 'code';
    await this.store.update(made.flow, this.iso());
    await this.queueCode(ri, 'verification', address, code);
    return made.flow;
  }

  /**
   * Kratos's `createRecoveryCodeForIdentity` (admin API): a recovery flow of `o.type` for the identity,
   * already waiting for its code, plus that code and the link to the flow. The code is handed out here
   * once and stored as an HMAC like the ones the courier sends; flow and code expire after
   * `o.lifespanMs`. No browser of the user made the flow, so it skips the CSRF check (Kratos's
   * `DangerousSkipCSRFCheck`). Null when the identity is not one of `ri.project`'s.
   */
  async createRecoveryCode(ri: RequestInfo, identityId: string, o: { type: FlowType; lifespanMs: number }): Promise<{ flow: Flow; code: string; link: string } | null> {
    const identity = await this.d.identities.get(ri.project.id, identityId);
    if (!identity) return null;
    const cfg = flowConfig(ri.project);
    const { flow } = await this.newFlow(ri, cfg, 'recovery', o.type, {
      ui: codeUi('recovery', null),
      state: 'sent_email',
      identityId: identity.id,
      extra: { skip_csrf_check: true },
      lifespanMs: o.lifespanMs,
    });
    const code = this.secrets.newCode();
    flow.codeHash = this.secrets.codeHash(ri.project.id, flow.id, code);
    flow.active = 'code';
    await this.store.update(flow, this.iso());
    // Kratos links to the project's recovery UI; without one, to the flow's own form action.
    const link = cfg.uiUrl.recovery ? withQuery(cfg.uiUrl.recovery, 'flow', flow.id) : `${ri.baseUrl}/self-service/recovery?flow=${flow.id}`;
    return { flow, code, link };
  }

  /** Single-use, attempt-limited code check. True for exactly one caller with the right code. */
  private async checkCode(ri: RequestInfo, cfg: FlowConfig, flow: Flow, code: string): Promise<boolean> {
    if (flow.state !== 'sent_email' || !flow.codeHash || !/^\d{6}$/.test(code)) {
      if (flow.codeHash) await this.store.countCodeAttempt(flow, cfg.maxCodeAttempts, this.iso());
      return false;
    }
    const hash = this.secrets.codeHash(ri.project.id, flow.id, code);
    if (!safeEqual(hash, flow.codeHash)) {
      await this.store.countCodeAttempt(flow, cfg.maxCodeAttempts, this.iso());
      return false;
    }
    return this.store.consumeCode(flow, hash, this.iso());
  }

  // ================================================================ logout

  /** `GET /self-service/logout/browser`: a logout URL for the browser's session. */
  async createLogout(ri: RequestInfo, returnTo: string | undefined): Promise<Outcome> {
    const cfg = flowConfig(ri.project);
    const rt = this.checkReturnTo(ri, cfg, returnTo);
    const token = ri.cookies[SESSION_COOKIE];
    const session = token ? await this.sessionByToken(ri, token) : null;
    if (!session) throw noActiveSession();
    const logoutToken = this.secrets.logoutToken(ri.project.id, session.id);
    const url = `${ri.baseUrl}/self-service/logout?token=${encodeURIComponent(logoutToken)}${rt ? `&return_to=${encodeURIComponent(rt)}` : ''}`;
    return { status: 200, body: { logout_token: logoutToken, logout_url: url } };
  }

  /** `GET /self-service/logout?token=`: ends the session the token names and clears the cookie. */
  async logout(ri: RequestInfo, token: string | undefined, returnTo: string | undefined): Promise<Outcome> {
    const cfg = flowConfig(ri.project);
    const rt = this.checkReturnTo(ri, cfg, returnTo);
    if (!token) throw new OryError(400, 'The request was malformed or contained invalid parameters', 'Please include a token in the URL query.', 'bad_request');
    const sessionId = this.secrets.openLogoutToken(ri.project.id, token);
    if (!sessionId) throw new OryError(401, 'The request could not be authorized', 'Unable to log out because the logout token in the URL query does not match the session cookie.', 'unauthorized');
    const cookieToken = ri.cookies[SESSION_COOKIE];
    const cookieSession = cookieToken ? await this.sessionByToken(ri, cookieToken) : null;
    if (cookieSession && cookieSession.id !== sessionId) {
      throw new OryError(401, 'The request could not be authorized', 'Unable to log out because the logout token in the URL query does not match the session cookie.', 'unauthorized');
    }
    await this.d.sessions.revoke(ri.project.id, sessionId);
    const cookies = [this.clearSessionCookie(cfg)];
    if (ri.wantsJson) return { status: 204, cookies };
    return { status: 303, redirect: rt ?? cfg.afterReturnUrl.logout ?? cfg.defaultReturnUrl, cookies };
  }

  /** `DELETE /self-service/logout/api` with `{session_token}`. */
  async nativeLogout(ri: RequestInfo, rawBody: unknown): Promise<Outcome> {
    const body = asBody(rawBody);
    const token = field(body, 'session_token', 1024);
    if (!token) throw new OryError(400, 'The request was malformed or contained invalid parameters', 'The session_token is required.', 'bad_request');
    const session = await this.sessionByToken(ri, token);
    if (!session) throw new OryError(403, 'The requested action was forbidden', 'Unable to revoke session because it does not exist or does not belong to you.', 'forbidden');
    await this.d.sessions.revoke(ri.project.id, session.id);
    return { status: 204 };
  }

  // ================================================================ shared helpers

  private iso(ms = this.now()): string {
    return new Date(ms).toISOString();
  }

  csrfCookieName(projectId: string): string {
    return `csrf_token_${createHash('sha256').update(projectId).digest('hex').slice(0, 16)}`;
  }

  /** The browser's CSRF cookie secret if the flow was made for it, else null. */
  private csrfSecretFor(ri: RequestInfo, flow: Flow): string | null {
    if (flow.type !== 'browser' || !flow.csrfBinding) return null;
    const secret = ri.cookies[this.csrfCookieName(ri.project.id)];
    if (!secret || secret.length > 200) return null;
    return safeEqual(this.secrets.csrfBinding(ri.project.id, secret), flow.csrfBinding) ? secret : null;
  }

  private async newFlow(
    ri: RequestInfo,
    cfg: FlowConfig,
    kind: FlowKind,
    type: FlowType,
    o: { returnTo?: string | null; schemaId?: string | null; identityId?: string | null; sessionId?: string | null; state?: string; ui: UiContainer; extra?: Record<string, unknown>; csrfBinding?: string | null; lifespanMs?: number },
  ): Promise<{ flow: Flow; cookies: CookieSpec[]; csrfSecret: string | null }> {
    const now = this.now();
    const id = newId();
    const cookies: CookieSpec[] = [];
    let csrfSecret: string | null = null;
    let csrfBinding: string | null = null;
    if (type === 'browser' && o.extra?.skip_csrf_check !== true) {
      const name = this.csrfCookieName(ri.project.id);
      const existing = ri.cookies[name];
      csrfSecret = existing && /^[A-Za-z0-9_-]{43}$/.test(existing) ? existing : this.secrets.newCsrfSecret();
      csrfBinding = this.secrets.csrfBinding(ri.project.id, csrfSecret);
      if (o.csrfBinding && o.csrfBinding !== csrfBinding) csrfBinding = o.csrfBinding;
      if (csrfSecret !== existing) cookies.push({ name, value: csrfSecret, maxAge: CSRF_COOKIE_MAX_AGE, sameSite: 'Lax' });
    }
    scrubSecrets(o.ui);
    const flow: Flow = {
      id,
      projectId: ri.project.id,
      kind,
      type,
      state: o.state ?? (kind === 'settings' ? 'show_form' : 'choose_method'),
      identityId: o.identityId ?? null,
      sessionId: o.sessionId ?? null,
      schemaId: o.schemaId ?? null,
      requestUrl: ri.requestUrl.slice(0, 2048),
      returnTo: o.returnTo ?? null,
      active: null,
      ui: o.ui,
      extra: o.extra ?? {},
      csrfBinding,
      codeHash: null,
      codeAddress: null,
      codeAttempts: 0,
      issuedAt: this.iso(now),
      expiresAt: this.iso(now + (o.lifespanMs ?? cfg.lifespanMs[kind])),
      createdAt: this.iso(now),
      updatedAt: this.iso(now),
    };
    await this.store.insert(flow);
    // Housekeeping, now and then: flows expired for a day are of no use to anyone (an expired flow
    // still answers 410 during that day, so clients learn to start over).
    if (Math.random() < 0.01) await this.store.deleteExpired(ri.project.id, this.iso(now - 24 * 3600_000));
    return { flow, cookies, csrfSecret };
  }

  private respondNew(ri: RequestInfo, cfg: FlowConfig, made: { flow: Flow; cookies: CookieSpec[]; csrfSecret: string | null }, identity?: WireIdentity): Outcome {
    const { flow, cookies, csrfSecret } = made;
    if (flow.type === 'browser' && !ri.wantsJson) {
      const ui = cfg.uiUrl[flow.kind];
      if (ui) return { status: 303, redirect: withQuery(ui, 'flow', flow.id), cookies };
    }
    return { status: 200, body: this.wire(flow, ri, csrfSecret, identity), cookies };
  }

  /** The flow as @ory/client's `LoginFlow`/`RegistrationFlow`/... model. */
  private wire(flow: Flow, ri: RequestInfo, csrfSecret: string | null, identity?: WireIdentity): Record<string, unknown> {
    const ui: UiContainer = JSON.parse(JSON.stringify(flow.ui));
    ui.action = `${ri.baseUrl}/self-service/${flow.kind}?flow=${flow.id}`;
    scrubSecrets(ui);
    setValue(ui, 'csrf_token', flow.type === 'browser' && csrfSecret ? this.secrets.csrfToken(ri.project.id, flow.id, csrfSecret) : '');
    if (!ui.messages || ui.messages.length === 0) delete ui.messages;
    const out: Record<string, unknown> = {
      id: flow.id,
      type: flow.type,
      expires_at: flow.expiresAt,
      issued_at: flow.issuedAt,
      request_url: flow.requestUrl,
      ui,
      state: flow.state,
      created_at: flow.createdAt,
      updated_at: flow.updatedAt,
    };
    if (flow.returnTo) out.return_to = flow.returnTo;
    if (flow.active) out.active = flow.active;
    switch (flow.kind) {
      case 'login':
        out.refresh = !!flow.extra.refresh;
        out.requested_aal = 'aal1';
        out.organization_id = null;
        if (flow.schemaId) out.identity_schema = flow.schemaId;
        break;
      case 'registration':
        out.organization_id = null;
        if (flow.schemaId) out.identity_schema = flow.schemaId;
        break;
      case 'settings':
        out.identity = identity && publicIdentity(identity);
        break;
    }
    if (Array.isArray(flow.extra.continue_with) && flow.extra.continue_with.length) out.continue_with = flow.extra.continue_with;
    return out;
  }

  /** A flow failed validation: persist its messages and answer 400 with it (or send the browser back to the UI). */
  private async fail(ri: RequestInfo, cfg: FlowConfig, flow: Flow, node?: string | null, message?: UiText, identity?: WireIdentity): Promise<Outcome> {
    if (message) addMessage(flow.ui, node ?? null, message);
    scrubSecrets(flow.ui);
    await this.store.update(flow, this.iso());
    if (flow.type === 'browser' && !ri.wantsJson) {
      const ui = cfg.uiUrl[flow.kind];
      if (ui) return { status: 303, redirect: withQuery(ui, 'flow', flow.id) };
    }
    if (flow.kind === 'settings' && !identity) identity = (await this.d.identities.get(ri.project.id, flow.identityId ?? '')) ?? undefined;
    return { status: 400, body: this.wire(flow, ri, this.csrfSecretFor(ri, flow), identity) };
  }

  /** A step that succeeded but keeps the flow going (code sent): 200 with the flow, or back to the UI. */
  private flowOk(ri: RequestInfo, cfg: FlowConfig, flow: Flow): Outcome {
    if (flow.type === 'browser' && !ri.wantsJson) {
      const ui = cfg.uiUrl[flow.kind];
      if (ui) return { status: 303, redirect: withQuery(ui, 'flow', flow.id) };
    }
    return { status: 200, body: this.wire(flow, ri, this.csrfSecretFor(ri, flow)) };
  }

  /** The flow as stored now (another request may have moved it on), messages cleared for a new answer. */
  private async reload(flow: Flow): Promise<Flow> {
    const fresh = (await this.store.get(flow.projectId, flow.kind, flow.id)) ?? flow;
    clearMessages(fresh.ui);
    return fresh;
  }

  /** Login or registration completed: a token for API flows, a cookie for browser flows. */
  private loggedIn(ri: RequestInfo, cfg: FlowConfig, flow: Flow, session: WireSession, token: string, o: { identity?: WireIdentity; continueWith?: unknown[] }): Outcome {
    const continueWith = [...(o.continueWith ?? [])];
    if (flow.type === 'api') {
      continueWith.unshift({ action: 'set_ory_session_token', ory_session_token: token });
      const body: Record<string, unknown> = { session: publicSession(session), session_token: token, continue_with: continueWith };
      if (o.identity) body.identity = publicIdentity(o.identity);
      return { status: 200, body };
    }
    const cookies = [this.sessionCookie(cfg, session, token)];
    const target = flow.returnTo ?? cfg.afterReturnUrl[flow.kind as 'login' | 'registration'] ?? cfg.defaultReturnUrl;
    if (ri.wantsJson) {
      continueWith.push({ action: 'redirect_browser_to', redirect_browser_to: absolute(ri, target) });
      const body: Record<string, unknown> = { session: publicSession(session), continue_with: continueWith };
      if (o.identity) body.identity = publicIdentity(o.identity);
      return { status: 200, body, cookies };
    }
    return { status: 303, redirect: target, cookies };
  }

  private sessionCookie(cfg: FlowConfig, session: WireSession, token: string): CookieSpec {
    const maxAge = cfg.cookiePersistent ? Math.max(1, Math.floor((Date.parse(session.expires_at) - this.now()) / 1000)) : undefined;
    return { name: SESSION_COOKIE, value: token, maxAge, sameSite: cfg.cookieSameSite };
  }

  private clearSessionCookie(cfg: FlowConfig): CookieSpec {
    return { name: SESSION_COOKIE, value: '', maxAge: 0, sameSite: cfg.cookieSameSite };
  }

  private async issueSession(ri: RequestInfo, identityId: string, method: string): Promise<{ session: WireSession; token: string }> {
    return this.d.sessions.issue(ri.project, identityId, {
      methods: [{ method, aal: 'aal1', completed_at: this.iso() }],
      devices: [{ ip_address: ri.ip, ...(ri.userAgent ? { user_agent: ri.userAgent.slice(0, 512) } : {}) }],
    });
  }

  private async sessionByToken(ri: RequestInfo, token: string): Promise<WireSession | null> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 1024) return null;
    const found = await this.d.sessions.byToken(ri.project, token);
    const session = found && 'session' in found && found.session && typeof found.session === 'object' && 'id' in (found.session as object) ? (found.session as WireSession) : (found as WireSession | null);
    if (!session || session.active === false || Date.parse(session.expires_at) <= this.now()) return null;
    return session;
  }

  /** The caller's active session: `X-Session-Token` (native) or the session cookie (browser). */
  private async activeSession(ri: RequestInfo): Promise<{ session: WireSession; token: string } | null> {
    for (const token of [ri.sessionToken, ri.cookies[SESSION_COOKIE]]) {
      if (!token) continue;
      const session = await this.sessionByToken(ri, token);
      if (session) return { session, token };
    }
    return null;
  }

  private async identityOf(ri: RequestInfo, session: WireSession): Promise<WireIdentity> {
    const id = session.identity?.id ?? (session as { identity_id?: string }).identity_id;
    const identity = id ? await this.d.identities.get(ri.project.id, id) : null;
    if (!identity) throw noActiveSession();
    return identity;
  }

  /** Settings flows are readable only with a session of the identity they belong to. */
  private async settingsOwner(ri: RequestInfo, flow: Flow): Promise<WireIdentity> {
    const current = await this.activeSession(ri);
    if (!current) throw noActiveSession();
    const identity = await this.identityOf(ri, current.session);
    if (identity.id !== flow.identityId) throw identityMismatch();
    return identity;
  }

  private alreadyLoggedIn(ri: RequestInfo, cfg: FlowConfig, type: FlowType, returnTo: string | null): Outcome {
    if (type === 'browser' && !ri.wantsJson) return { status: 303, redirect: returnTo ?? cfg.defaultReturnUrl };
    throw sessionAlreadyAvailable();
  }

  private pickSchema(ri: RequestInfo, requested: string | undefined): string {
    const cfg = ri.project.services.identity.config;
    if (requested) {
      if (!this.d.schemas.get(cfg, requested)) throw new OryError(400, 'The request was malformed or contained invalid parameters', `The requested identity schema "${requested.slice(0, 200)}" does not exist.`, 'bad_request');
      return requested;
    }
    return this.d.schemas.defaultSchemaId(cfg);
  }

  private checkReturnTo(ri: RequestInfo, cfg: FlowConfig, raw: string | undefined): string | null {
    if (!raw) return null;
    if (raw.length > 2048) throw returnToForbidden(raw);
    // Browsers drop tabs and newlines inside URLs (`/\t/evil.example` becomes `//evil.example`), and
    // a control character cannot go into a Location header at all: refuse them, and backslashes.
    if (/[\u0000-\u001f\u007f\\]/.test(raw)) throw returnToForbidden(raw);
    if (raw.startsWith('/') && !raw.startsWith('//') && !raw.startsWith('/\\')) return raw;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw returnToForbidden(raw);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw returnToForbidden(raw);
    const own = new URL(ri.baseUrl);
    if (url.origin === own.origin) return url.toString();
    for (const allowed of cfg.allowedReturnUrls) {
      try {
        const a = new URL(allowed);
        if (a.origin === url.origin && url.pathname.startsWith(a.pathname)) return url.toString();
      } catch {
        // an unparsable allow-list entry allows nothing
      }
    }
    throw returnToForbidden(raw);
  }

  /** Where a browser is sent to see a flow: the project's UI for it, or the flow's JSON. */
  private uiLink(ri: RequestInfo, cfg: FlowConfig, kind: FlowKind, id: string): string {
    const ui = cfg.uiUrl[kind];
    return ui ? withQuery(ui, 'flow', id) : `${ri.baseUrl}/self-service/${kind}/flows?id=${id}`;
  }

  private passwordIdentifiers(ri: RequestInfo, identity: WireIdentity): string[] {
    const schema = this.d.schemas.get(ri.project.services.identity.config, identity.schema_id);
    if (!schema) return [];
    const v = this.d.schemas.validateTraits(schema, identity.traits);
    return v.ok ? v.extensions.passwordIdentifiers : [];
  }

  /**
   * The project's password policy (the identity core's `checkPasswordPolicy`, shared with the admin
   * API), as the Kratos message for the password node; null when the password is acceptable.
   */
  private passwordPolicy(_cfg: FlowConfig, ri: RequestInfo, identifiers: string[], password: string): UiText | null {
    const problem = checkPasswordPolicy(ri.project.services.identity.config, identifiers, password);
    if (!problem) return null;
    const min = /at least (\d+) characters long, but got (\d+)/.exec(problem);
    if (min) return text.passwordMinLength(Number(min[1]), Number(min[2]));
    const max = /at most (\d+) characters long, but got (\d+)/.exec(problem);
    if (max) return text.passwordMaxLength(Number(max[1]), Number(max[2]));
    if (/too similar/.test(problem)) return text.passwordTooSimilar();
    return text.passwordPolicy(problem.replace(/^The password can not be used because /, '').replace(/\.$/, ''));
  }

  /** Puts a trait validation failure on the node it concerns (Kratos's message ids). */
  private traitError(ui: UiContainer, message: string, path: string, traits: Record<string, unknown>): void {
    const base = path.replace(/^#\//, '').replace(/\//g, '.');
    const missing = /missing properties: "([^"]+)"/.exec(message);
    if (missing) {
      const name = `${base || 'traits'}.${missing[1]}`;
      addMessage(ui, name, text.required(missing[1]));
      return;
    }
    const name = base || null;
    const format = /"([a-z-]+)" is not valid/.exec(message);
    if (format && name) {
      const value = getPath(traits, name.slice(7));
      addMessage(ui, name, text.generic(`"${String(value)}" is not valid "${format[1]}"`));
      return;
    }
    const reason = message.includes(': ') ? message.slice(message.indexOf(': ') + 2) : message;
    addMessage(ui, name, text.generic(reason));
  }
}

/**
 * A flow that no browser of the user created (Kratos's `DangerousSkipCSRFCheck`: recovery flows of the
 * admin API) carries no CSRF binding and is read and submitted without a CSRF token.
 */
function skipsCsrf(flow: Flow): boolean {
  return flow.extra.skip_csrf_check === true;
}

function withQuery(url: string, key: string, value: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}${key}=${encodeURIComponent(value)}`;
}

function absolute(ri: RequestInfo, target: string): string {
  try {
    return new URL(target, ri.baseUrl).toString();
  } catch {
    return target;
  }
}

/** The client address a throttle counts: IPv4 as is, IPv6 by its /64 (one subscriber's block). */
function addressKey(ip: string): string {
  const v4 = /^(?:::ffff:)?(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (v4) return v4[1];
  if (!ip.includes(':')) return ip.slice(0, 64);
  const [head] = ip.split('::');
  const groups = head.split(':').filter(Boolean);
  const full = ip.includes('::') ? [...groups, '0', '0', '0', '0'].slice(0, 4) : ip.split(':').slice(0, 4);
  return `${full.map((g) => g.toLowerCase()).join(':')}::/64`;
}

/** An identity as an end user may see it: no credentials, no admin metadata. */
function publicIdentity(identity: WireIdentity): WireIdentity {
  const { credentials: _c, metadata_admin: _m, ...rest } = identity as WireIdentity & { credentials?: unknown; metadata_admin?: unknown };
  return rest;
}

function publicSession(session: WireSession): WireSession {
  return session.identity ? { ...session, identity: publicIdentity(session.identity) } : session;
}

/** A value's JSON Schema type name, as Kratos reports it in "expected object, but got …". */
function jsonType(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}
