import { checkCode, codeStep, issueCode } from './code-method.js';
import type { FlowContext } from './flow-context.js';
import { browserLocationChangeRequired, flowDisabled } from './errors.js';
import { fail, newFlow, reload, respondNew, uiLink, withQuery, type FlowModule } from './flow-kit.js';
import type { Flow, FlowType } from './flow-store.js';
import { flowBody } from './flow-wire.js';
import { activeSession, alreadyLoggedIn, issueSession, sessionCookie } from './flow-sessions.js';
import { codeUi, emailUi, settingsUi } from './forms.js';
import { text } from './text.js';

/**
 * The recovery flow (Kratos's, code method): a code mailed to a recovery address signs the identity
 * in, ends its other sessions and hands over to a settings flow with a privileged session.
 */
export const recoveryFlow: FlowModule = {
  kind: 'recovery',

  async create(ctx, type, returnTo) {
    if (!ctx.cfg.recoveryEnabled || !ctx.cfg.codeEnabled) throw flowDisabled('Recovery');
    if (await activeSession(ctx)) return alreadyLoggedIn(ctx, type, returnTo);
    return respondNew(ctx, await newFlow(ctx, 'recovery', type, { returnTo, ui: emailUi() }));
  },

  async freshUi() {
    return emailUi();
  },

  async submit(ctx, flow, body) {
    const { ss, ri, cfg } = ctx;
    if (!cfg.recoveryEnabled || !cfg.codeEnabled) throw flowDisabled('Recovery');
    const step = await codeStep(ctx, flow, 'recovery', body);
    if ('outcome' in step) return step.outcome;
    if (!(await checkCode(ctx, flow, step.code))) return fail(ctx, await reload(ctx, flow), 'code', text.codeInvalid('recovery'));
    if (!(await ctx.flows.transition(flow, 'sent_email', 'passed_challenge', ctx.iso()))) {
      return fail(ctx, await reload(ctx, flow), null, text.retrySuccess('recovery'));
    }
    const identityId = flow.identityId!;
    const { session, token } = await issueSession(ctx, identityId, 'code_recovery');
    // Recovery means the account may have been taken over: every other session ends.
    await ss.sessions.revokeAllOfIdentity(ctx.projectId, identityId, session.id);
    const identity = (await ss.identities.get(ctx.projectId, identityId))!;
    const nextUi = settingsUi(ss.schemas, ri, cfg, identity);
    const privilegedUntil = new Date(Date.parse(session.authenticated_at) + cfg.privilegedSessionMaxAgeMs).toISOString();
    nextUi.messages = [text.recoverySuccessful(privilegedUntil, ctx.now())];
    const settings = await newFlow(ctx, 'settings', flow.type, {
      returnTo: flow.returnTo,
      identityId,
      sessionId: session.id,
      schemaId: identity.schema_id,
      state: 'show_form',
      ui: nextUi,
      csrfBinding: flow.csrfBinding,
    });
    const settingsLink = uiLink(ctx, 'settings', settings.flow.id);
    flow.ui = emailUi();
    flow.ui.messages = [];
    // The session token is shown in this one response only; the stored flow never keeps it.
    const showSettings = [{ action: 'show_settings_ui', flow: { id: settings.flow.id, ...(flow.type === 'browser' ? { url: settingsLink } : {}) } }];
    flow.extra.continue_with = showSettings;
    await ctx.flows.update(flow, ctx.iso());
    if (flow.type === 'api') {
      const wire = flowBody(ctx, flow, null);
      wire.continue_with = [{ action: 'set_ory_session_token', ory_session_token: token }, ...showSettings];
      return { status: 200, body: wire };
    }
    // The settings flow's CSRF cookie too, for a browser that had none (an admin-created recovery flow).
    const cookies = [sessionCookie(ctx, session, token), ...settings.cookies];
    if (ri.wantsJson) return { status: 422, error: browserLocationChangeRequired(settingsLink), cookies };
    return { status: 303, redirect: settingsLink, cookies };
  },
};

/**
 * Kratos's `createRecoveryCodeForIdentity` (admin API): a recovery flow of `o.type` for the identity,
 * already waiting for its code, plus that code and the link to the flow. The code is handed out here
 * once and stored as an HMAC like the ones the courier sends; flow and code expire after
 * `o.lifespanMs`. No browser of the user made the flow, so it skips the CSRF check (Kratos's
 * `DangerousSkipCSRFCheck`). Null when the identity is not one of the project's.
 */
export async function createRecoveryCode(ctx: FlowContext, identityId: string, o: { type: FlowType; lifespanMs: number }): Promise<{ flow: Flow; code: string; link: string } | null> {
  const identity = await ctx.ss.identities.get(ctx.projectId, identityId);
  if (!identity) return null;
  const { flow } = await newFlow(ctx, 'recovery', o.type, {
    ui: codeUi('recovery', null),
    state: 'sent_email',
    identityId: identity.id,
    extra: { skip_csrf_check: true },
    lifespanMs: o.lifespanMs,
  });
  const code = issueCode(ctx, flow);
  await ctx.flows.update(flow, ctx.iso());
  // Kratos links to the project's recovery UI; without one, to the flow's own form action.
  const recoveryUi = ctx.cfg.uiUrl.recovery;
  const link = recoveryUi ? withQuery(recoveryUi, 'flow', flow.id) : `${ctx.ri.baseUrl}/self-service/recovery?flow=${flow.id}`;
  return { flow, code, link };
}
