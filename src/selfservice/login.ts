import { badRequest, ErrorId, OryError } from '../platform/errors/errors.js';
import { badField, field } from './body.js';
import { identityMismatch } from './errors.js';
import { fail, newFlow, openSubmission, reload, respondNew, type FlowModule } from './flow-kit.js';
import { activeSession, alreadyLoggedIn, issueSession, loggedIn } from './flow-sessions.js';
import { loginUi } from './forms.js';
import { MAX_PASSWORD_LENGTH, passwordIdentifiers, pickSchema } from './identity-forms.js';
import { text } from './text.js';
import { addMessage, clearMessages, setValue } from './ui.js';
import { aal2LoginUrl, belowRequiredAal, mfaFlowFor, submitSecondFactor } from './second-factor.js';
import { mfaLoginUi } from './second-factor-forms.js';
import type { Flow, FlowExtra } from './flow-store.js';
import type { FlowContext } from './flow-context.js';
import type { Body } from './body.js';
import type { Outcome } from './context.js';
import type { UiContainer } from './ui.js';
import { isPasskeyLogin, passkeyLoginNodes, verifyLoginAnswer, webauthnLoginNodes } from './webauthn.js';

/**
 * The login flow (Kratos's, password method): identifier and password give a session. With
 * `?refresh=true` and a session it re-authenticates that session's identity and replaces the session.
 * Failed attempts are throttled per identifier and per client address.
 */
export const loginFlow: FlowModule = {
  kind: 'login',

  async create(ctx, type, returnTo, query) {
    if (query.aal === 'aal2') {
      // A second factor raises the current session (Kratos's aal2 login flow).
      const { session, types } = await mfaFlowFor(ctx);
      if (session.aal === 'aal2' && !query.refresh) return alreadyLoggedIn(ctx, type, returnTo);
      const extra: FlowExtra = { requested_aal: 'aal2', refresh: !!query.refresh };
      const made = await newFlow(ctx, 'login', type, {
        returnTo,
        ui: await mfaUi(ctx, types, session.identityId, extra),
        extra,
        identityId: session.identityId,
        sessionId: session.id,
      });
      return respondNew(ctx, made);
    }
    if (query.aal !== undefined && query.aal !== 'aal1') throw badRequest(`Unknown authenticator assurance level "${query.aal.slice(0, 16)}": use aal1 or aal2.`);
    const current = await activeSession(ctx);
    if (current && !query.refresh) return alreadyLoggedIn(ctx, type, returnTo);
    const schemaId = pickSchema(ctx, query.identity_schema);
    const refresh = !!query.refresh && !!current;
    const extra: FlowExtra = { refresh };
    const made = await newFlow(ctx, 'login', type, {
      returnTo,
      schemaId,
      ui: await firstFactorUi(ctx, schemaId, extra),
      extra,
      // A re-authentication must be done by the same identity, and replaces the session it refreshes.
      identityId: refresh ? current!.session.identity?.id ?? null : null,
      sessionId: refresh ? current!.session.id : null,
    });
    if (query.refresh && current?.session.identity) {
      // Re-authentication: the identifier is fixed to the current identity.
      const ids = passwordIdentifiers(ctx, current.session.identity);
      if (ids[0]) setValue(made.flow.ui, 'identifier', ids[0]);
      made.flow.ui.messages = [text.loginReauthenticate()];
      await ctx.flows.update(made.flow, ctx.iso());
    }
    return respondNew(ctx, made);
  },

  async freshUi(ctx, old, extra) {
    if (old.extra.requested_aal === 'aal2') {
      Object.assign(extra, { requested_aal: 'aal2' });
      const types = old.identityId ? await ctx.ss.secondFactors.enabledTypes(ctx.identityConfig, ctx.projectId, old.identityId) : [];
      return mfaUi(ctx, types, old.identityId ?? '', extra);
    }
    return firstFactorUi(ctx, old.schemaId ?? ctx.ss.schemas.defaultSchemaId(ctx.identityConfig), extra);
  },

  async submit(ctx, flow, body) {
    const { ss, cfg, ri } = ctx;
    if (flow.extra.requested_aal === 'aal2') return submitSecondFactor(ctx, flow, body);
    if (isPasskeyLogin(body)) return submitPasskey(ctx, flow, body);
    const refused = await openSubmission(ctx, flow, 'login', body, 'password', cfg.passwordEnabled);
    if (refused) return refused;
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
    if (invalid || badField(body, 'password', MAX_PASSWORD_LENGTH)) return fail(ctx, flow);

    // Brute force: refuse before checking anything while the identifier or the address is over its
    // limit. Counters written under the identifier's legacy key still count until their window ends.
    const now = ctx.now();
    const [idKey, legacyIdKey] = ss.secrets.identifierThrottleKeys(ctx.projectId, identifier.toLowerCase());
    const ipKey = `a:${addressKey(ri.ip)}`;
    const bf = cfg.bruteForce;
    const limits = [
      { key: idKey, max: bf.maxPerIdentifier },
      { key: legacyIdKey, max: bf.maxPerIdentifier },
      { key: ipKey, max: bf.maxPerAddress },
    ];
    const wait = await ss.throttle.retryAfter(ctx.projectId, limits, bf.windowMs, now);
    if (wait > 0) {
      throw new OryError(429, 'Too many requests', 'Too many failed login attempts; retry later.', ErrorId.tooManyRequests, undefined, { 'retry-after': String(wait) });
    }

    const identity = await ss.identities.findByPasswordIdentifier(ctx.projectId, identifier);
    // Same hashing work whether or not the identifier exists, so timing reveals nothing.
    const ok = await ss.identities.verifyPassword(ctx.projectId, identity?.id ?? '', password);
    if (!identity || !ok || identity.state === 'inactive') {
      await ss.throttle.fail(ctx.projectId, [idKey, ipKey], bf.windowMs, now);
      return fail(ctx, flow, null, text.invalidCredentials());
    }
    await ss.throttle.reset(ctx.projectId, idKey);
    await ss.throttle.reset(ctx.projectId, legacyIdKey);
    if (flow.identityId && flow.identityId !== identity.id) throw identityMismatch();
    if (!(await ctx.flows.transition(flow, 'choose_method', 'passed_challenge', ctx.iso()))) {
      return fail(ctx, await reload(ctx, flow), null, text.retrySuccess('login'));
    }
    flow.active = 'password';
    await ctx.flows.update(flow, ctx.iso());
    const { session, token } = await issueSession(ctx, identity.id, 'password');
    if (flow.sessionId) await ss.sessions.revoke(ctx.projectId, flow.sessionId);
    // An identity with a second factor goes on to it (the session is aal1 until then).
    const next = flow.type === 'browser' && (await belowRequiredAal(ctx, identity.id, 'aal1', 'whoami')) ? aal2LoginUrl(ctx, flow.returnTo) : undefined;
    return loggedIn(ctx, flow, 'login', session, token, { next });
  },
};

/** The first-factor form: password, and passkeys when the project has them on. */
async function firstFactorUi(ctx: FlowContext, schemaId: string, extra: FlowExtra): Promise<UiContainer> {
  const ui = loginUi(ctx.ss.schemas, ctx.ri, ctx.cfg, schemaId);
  if (ctx.cfg.passkeyEnabled) ui.nodes.push(...(await passkeyLoginNodes(ctx, extra)));
  return ui;
}

/** The aal2 form: one part per second factor the identity has, a security key's with its challenge in `extra`. */
async function mfaUi(ctx: FlowContext, types: string[], identityId: string, extra: FlowExtra): Promise<UiContainer> {
  const ui = mfaLoginUi(types.filter((t): t is 'totp' | 'lookup_secret' => t === 'totp' || t === 'lookup_secret'));
  if (types.includes('webauthn')) ui.nodes.push(...(await webauthnLoginNodes(ctx, identityId, extra)));
  return ui;
}

/**
 * A passkey login (aal1): the authenticator's answer to this flow's challenge names the identity
 * (its user handle). Failures count against the client address, as wrong passwords do; a refresh
 * must be done by the identity it refreshes.
 */
async function submitPasskey(ctx: FlowContext, flow: Flow, body: Body): Promise<Outcome> {
  const { ss, cfg, ri } = ctx;
  clearMessages(flow.ui);
  if (flow.state === 'passed_challenge') return fail(ctx, flow, null, text.retrySuccess('login'));
  if (!cfg.passkeyEnabled) return fail(ctx, flow, null, text.noStrategy('login'));
  const now = ctx.now();
  const ipKey = `a:${addressKey(ri.ip)}`;
  const bf = cfg.bruteForce;
  const wait = await ss.throttle.retryAfter(ctx.projectId, [{ key: ipKey, max: bf.maxPerAddress }], bf.windowMs, now);
  if (wait > 0) throw new OryError(429, 'Too many requests', 'Too many failed login attempts; retry later.', ErrorId.tooManyRequests, undefined, { 'retry-after': String(wait) });
  const proven = await verifyLoginAnswer(ctx, flow, 'passkey', flow.identityId, body);
  if (proven === 'missing') return fail(ctx, flow, 'passkey_login', text.required('passkey_login'));
  const identity = proven ? await ss.identities.get(ctx.projectId, proven) : null;
  if (!identity || identity.state === 'inactive') {
    await ss.throttle.fail(ctx.projectId, [ipKey], bf.windowMs, now);
    return fail(ctx, flow, null, proven ? text.invalidCredentials() : text.webauthnInvalid());
  }
  if (!(await ctx.flows.transition(flow, 'choose_method', 'passed_challenge', ctx.iso()))) {
    return fail(ctx, await reload(ctx, flow), null, text.retrySuccess('login'));
  }
  flow.active = 'passkey';
  delete flow.extra.passkey_login;
  await ctx.flows.update(flow, ctx.iso());
  const { session, token } = await issueSession(ctx, identity.id, 'passkey');
  if (flow.sessionId) await ss.sessions.revoke(ctx.projectId, flow.sessionId);
  const next = flow.type === 'browser' && (await belowRequiredAal(ctx, identity.id, 'aal1', 'whoami')) ? aal2LoginUrl(ctx, flow.returnTo) : undefined;
  return loggedIn(ctx, flow, 'login', session, token, { next });
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
