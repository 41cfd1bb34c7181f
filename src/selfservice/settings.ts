import { aal2Required, OryError } from '../platform/errors/errors.js';
import { field, traitsFrom } from './body.js';
import type { Outcome } from './context.js';
import { identityMismatch, noActiveSession, refreshRequired } from './errors.js';
import type { FlowContext } from './flow-context.js';
import { fail, flowDone, newFlow, respondNew, uiLink, type FlowModule } from './flow-kit.js';
import type { Flow, FlowExtra } from './flow-store.js';
import { activeSession, identityOf } from './flow-sessions.js';
import { settingsUi } from './forms.js';
import { addTraitError, identityErrorMessage, MAX_PASSWORD_LENGTH, passwordIdentifiers, passwordPolicyMessage, traitsNotAnObject } from './identity-forms.js';
import type { WireIdentity, WireSession } from './ports.js';
import { aal2LoginUrl, belowRequiredAal, submitSecondFactorSettings } from './second-factor.js';
import { secondFactorSettingsNodes } from './second-factor-forms.js';
import { submitWebAuthnSettings, webauthnSettingsMethod, webauthnSettingsNodes } from './webauthn.js';
import { text, type UiText } from './text.js';
import { clearMessages, csrfNode, getPath, setValue, traitFields, type UiContainer } from './ui.js';

/**
 * The settings flow (Kratos's, profile and password methods): the signed-in identity changes its
 * traits or password. Only that identity's session may read or submit the flow; changing the password
 * or what identifies the account needs a privileged (recently authenticated) session.
 */
export const settingsFlow: FlowModule = {
  kind: 'settings',

  async create(ctx, type, returnTo) {
    const { ri, cfg } = ctx;
    const current = await activeSession(ctx);
    if (!current) {
      if (type === 'browser' && !ri.wantsJson && cfg.uiUrl.login) return { status: 303, redirect: `${ri.baseUrl}/self-service/login/browser` };
      throw noActiveSession();
    }
    const identity = await identityOf(ctx, current.session);
    if (await belowRequiredAal(ctx, identity.id, current.session.authenticator_assurance_level, 'settings')) {
      // Kratos: a browser is sent to raise the session first; others learn where to send it.
      const upgrade = aal2LoginUrl(ctx, returnTo ?? `${ri.baseUrl}/self-service/settings/browser`);
      if (type === 'browser' && !ri.wantsJson) return { status: 303, redirect: upgrade };
      throw aal2Required(upgrade);
    }
    const extra: FlowExtra = {};
    const ui = await settingsForm(ctx, identity, extra);
    const made = await newFlow(ctx, 'settings', type, { returnTo, identityId: identity.id, sessionId: current.session.id, schemaId: identity.schema_id, state: 'show_form', ui, extra });
    return respondNew(ctx, made, identity);
  },

  async freshUi(ctx, old, extra) {
    const identity = await ctx.ss.identities.get(ctx.projectId, old.identityId ?? '');
    return identity ? settingsForm(ctx, identity, extra) : { action: '', method: 'POST', nodes: [csrfNode()] };
  },

  /** Settings flows are readable only with a session of the identity they belong to. */
  async viewer(ctx, flow) {
    const current = await activeSession(ctx);
    if (!current) throw noActiveSession();
    const identity = await identityOf(ctx, current.session);
    if (identity.id !== flow.identityId) throw identityMismatch();
    return identity;
  },

  async submit(ctx, flow, body) {
    const { ss, ri, cfg } = ctx;
    const current = await activeSession(ctx);
    if (!current) throw noActiveSession();
    const identity = await identityOf(ctx, current.session);
    if (identity.id !== flow.identityId) throw identityMismatch();
    await requireAal(ctx, current.session, identity.id, flow);
    clearMessages(flow.ui);
    const method = field(body, 'method', 64);
    const refused = (node: string | null, message: UiText) => fail(ctx, flow, node, message, identity);
    const privileged = Date.parse(current.session.authenticated_at) + cfg.privilegedSessionMaxAgeMs > ctx.now();
    const refreshUrl = `${ri.baseUrl}/self-service/login/browser?refresh=true&return_to=${encodeURIComponent(uiLink(ctx, 'settings', flow.id))}`;

    if (method === 'password' && cfg.passwordEnabled) {
      const password = field(body, 'password', MAX_PASSWORD_LENGTH) ?? '';
      if (!password) return refused('password', text.required('password'));
      if (!privileged) throw refreshRequired(refreshUrl);
      const policy = passwordPolicyMessage(ctx, passwordIdentifiers(ctx, identity), password);
      if (policy) return refused('password', policy);
      try {
        await ss.identities.setPassword(ri.project, identity.id, password);
      } catch (err) {
        if (err instanceof OryError && err.code === 400) return refused('password', text.generic(err.reason ?? err.message));
        throw err;
      }
      return saved(ctx, flow, identity.id, 'password');
    }
    if (method === 'profile') {
      const schema = ss.schemas.get(ctx.identityConfig, identity.schema_id);
      if (!schema) return refused(null, text.generic('The identity schema is no longer available.'));
      const fields = traitFields(schema.schema);
      const traits = traitsFrom(body, fields);
      if (!traits) return refused(null, traitsNotAnObject(body?.traits));
      for (const f of fields) setValue(flow.ui, f.name, getPath(traits, f.name.slice(7)));
      const validation = ss.schemas.validateTraits(schema, traits);
      if (!validation.ok) {
        addTraitError(flow.ui, validation.message, validation.path, traits);
        return fail(ctx, flow, undefined, undefined, identity);
      }
      // Changing what identifies the account (login identifiers, addresses) needs a fresh login.
      const sensitive = fields.filter((f) => f.isPasswordIdentifier || f.isRecovery || f.isVerifiable);
      const changed = sensitive.some((f) => JSON.stringify(getPath(traits, f.name.slice(7))) !== JSON.stringify(getPath(identity.traits, f.name.slice(7))));
      if (changed && !privileged) throw refreshRequired(refreshUrl);
      try {
        await ss.identities.updateTraits(ri.project, identity.id, traits);
      } catch (err) {
        const message = identityErrorMessage(err);
        if (message) return refused(null, message);
        throw err;
      }
      return saved(ctx, flow, identity.id, 'profile');
    }
    if ((method === 'totp' && cfg.totpEnabled) || (method === 'lookup_secret' && cfg.lookupEnabled)) {
      if (!privileged) throw refreshRequired(refreshUrl);
      const result = await submitSecondFactorSettings(ctx, flow, identity, method, body);
      if ('refused' in result) return refused(...result.refused);
      if ('saved' in result) return saved(ctx, flow, identity.id, method);
      // New lookup codes to show: the form now offers to confirm them.
      flow.ui = await settingsForm(ctx, identity, flow.extra);
      flow.active = method;
      return flowDone(ctx, flow, 'settings', identity);
    }
    const keyKind = webauthnSettingsMethod(body);
    if ((keyKind === 'webauthn' && cfg.webauthnEnabled) || (keyKind === 'passkey' && cfg.passkeyEnabled)) {
      if (!privileged) throw refreshRequired(refreshUrl);
      const result = await submitWebAuthnSettings(ctx, flow, identity, current.session.id, keyKind!, body);
      if ('refused' in result) return refused(...result.refused);
      return saved(ctx, flow, identity.id, keyKind!);
    }
    return refused(null, text.noStrategy('settings'));
  },
};

/** The settings form: profile, password, the second factors and passkeys switched on for the project. */
async function settingsForm(ctx: FlowContext, identity: WireIdentity, extra: FlowExtra): Promise<UiContainer> {
  const ui = settingsUi(ctx.ss.schemas, ctx.ri, ctx.cfg, identity);
  ui.nodes.push(...(await secondFactorSettingsNodes(ctx, identity, extra)));
  ui.nodes.push(...(await webauthnSettingsNodes(ctx, identity, extra)));
  return ui;
}

/** A session below the settings flow's `required_aal` may not change anything (Kratos's 403). */
async function requireAal(ctx: FlowContext, session: WireSession, identityId: string, flow: Flow): Promise<void> {
  if (await belowRequiredAal(ctx, identityId, session.authenticator_assurance_level, 'settings')) throw aal2Required(aal2LoginUrl(ctx, uiLink(ctx, 'settings', flow.id)));
}

/** The change is made: the flow shows the identity as it is now, with Kratos's "saved" message. */
async function saved(ctx: FlowContext, flow: Flow, identityId: string, active: string): Promise<Outcome> {
  const identity: WireIdentity = (await ctx.ss.identities.get(ctx.projectId, identityId))!;
  const fresh = await settingsForm(ctx, identity, flow.extra);
  fresh.messages = [text.settingsSaved()];
  flow.ui = fresh;
  flow.state = 'success';
  flow.active = active;
  return flowDone(ctx, flow, 'settings', identity);
}
