import { field, traitsFrom } from './body.js';
import { flowDisabled } from './errors.js';
import { fail, newFlow, openSubmission, reload, respondNew, uiLink, type FlowModule } from './flow-kit.js';
import { activeSession, alreadyLoggedIn, issueSession, loggedIn } from './flow-sessions.js';
import { registrationUi } from './forms.js';
import { addTraitError, identityErrorMessage, MAX_PASSWORD_LENGTH, passwordPolicyMessage, pickSchema, traitsNotAnObject } from './identity-forms.js';
import type { WireIdentity } from './ports.js';
import { text } from './text.js';
import { addMessage, getPath, setValue, traitFields } from './ui.js';
import { startVerification } from './verification.js';

/**
 * The registration flow (Kratos's, password method): traits valid under the flow's identity schema
 * and a password that meets the project's policy create an identity and sign it in. A new email
 * address gets a verification flow with its code already sent.
 */
export const registrationFlow: FlowModule = {
  kind: 'registration',

  async create(ctx, type, returnTo, query) {
    if (!ctx.cfg.registrationEnabled) throw flowDisabled('Registration');
    if (await activeSession(ctx)) return alreadyLoggedIn(ctx, type, returnTo);
    const schemaId = pickSchema(ctx, query.identity_schema);
    return respondNew(ctx, await newFlow(ctx, 'registration', type, { returnTo, schemaId, ui: registrationUi(ctx.ss.schemas, ctx.ri, ctx.cfg, schemaId) }));
  },

  async freshUi(ctx, old) {
    return registrationUi(ctx.ss.schemas, ctx.ri, ctx.cfg, old.schemaId ?? ctx.ss.schemas.defaultSchemaId(ctx.identityConfig));
  },

  async submit(ctx, flow, body) {
    const { ss, cfg } = ctx;
    if (!cfg.registrationEnabled) throw flowDisabled('Registration');
    const refused = await openSubmission(ctx, flow, 'registration', body, 'password', cfg.passwordEnabled);
    if (refused) return refused;
    const schemaId = flow.schemaId ?? ss.schemas.defaultSchemaId(ctx.identityConfig);
    const schema = ss.schemas.get(ctx.identityConfig, schemaId);
    if (!schema) return fail(ctx, flow, null, text.generic(`The identity schema "${schemaId}" of this flow is no longer available.`));
    const fields = traitFields(schema.schema);
    const traits = traitsFrom(body, fields);
    const password = field(body, 'password', MAX_PASSWORD_LENGTH) ?? '';
    for (const f of fields) setValue(flow.ui, f.name, traits ? getPath(traits, f.name.slice(7)) : undefined);
    let invalid = false;
    if (!traits) return fail(ctx, flow, null, traitsNotAnObject(body?.traits));
    const validation = ss.schemas.validateTraits(schema, traits);
    if (!validation.ok) {
      addTraitError(flow.ui, validation.message, validation.path, traits);
      invalid = true;
    }
    if (!password) {
      addMessage(flow.ui, 'password', text.required('password'));
      invalid = true;
    }
    if (invalid) return fail(ctx, flow);
    if (validation.ok) {
      if (validation.extensions.passwordIdentifiers.length === 0) return fail(ctx, flow, null, text.identifierMissing());
      const policy = passwordPolicyMessage(ctx, validation.extensions.passwordIdentifiers, password);
      if (policy) return fail(ctx, flow, 'password', policy);
    }
    // Claim the flow first, so concurrent (replayed) submissions cannot create two identities.
    if (!(await ctx.flows.transition(flow, 'choose_method', 'passed_challenge', ctx.iso()))) {
      return fail(ctx, await reload(ctx, flow), null, text.retrySuccess('registration'));
    }
    let identity: WireIdentity;
    try {
      identity = await ss.identities.create(ctx.ri.project, { schema_id: schemaId, traits, state: 'active', credentials: { password: { config: { password } } } });
    } catch (err) {
      flow.state = 'choose_method';
      const message = identityErrorMessage(err);
      if (message) return fail(ctx, flow, null, message);
      await ctx.flows.update(flow, ctx.iso());
      throw err;
    }
    flow.active = 'password';
    await ctx.flows.update(flow, ctx.iso());
    const continueWith: unknown[] = [];
    // Kratos sends a verification code for the new address and points the client to that flow.
    const address = (identity.verifiable_addresses ?? []).find((a) => !a.verified && a.via === 'email');
    if (address && cfg.verificationEnabled && cfg.codeEnabled) {
      const vf = await startVerification(ctx, flow.type, identity.id, address.value, flow.csrfBinding);
      continueWith.push({ action: 'show_verification_ui', flow: { id: vf.id, verifiable_address: address.value, ...(flow.type === 'browser' ? { url: uiLink(ctx, 'verification', vf.id) } : {}) } });
    }
    const { session, token } = await issueSession(ctx, identity.id, 'password');
    return loggedIn(ctx, flow, 'registration', session, token, { identity, continueWith });
  },
};
