import { checkCode, codeStep, issueCode, queueCode } from './code-method.js';
import type { FlowContext } from './flow-context.js';
import { flowDisabled } from './errors.js';
import { fail, flowDone, newFlow, reload, respondNew, type FlowModule } from './flow-kit.js';
import type { Flow, FlowType } from './flow-store.js';
import { codeUi, emailUi } from './forms.js';
import { text } from './text.js';
import { csrfNode } from './ui.js';

/** The verification flow (Kratos's, code method): a code mailed to an address proves the identity holds it. */
export const verificationFlow: FlowModule = {
  kind: 'verification',

  async create(ctx, type, returnTo) {
    if (!ctx.cfg.verificationEnabled || !ctx.cfg.codeEnabled) throw flowDisabled('Verification');
    return respondNew(ctx, await newFlow(ctx, 'verification', type, { returnTo, ui: emailUi() }));
  },

  async freshUi() {
    return emailUi();
  },

  async submit(ctx, flow, body) {
    if (!ctx.cfg.verificationEnabled || !ctx.cfg.codeEnabled) throw flowDisabled('Verification');
    const step = await codeStep(ctx, flow, 'verification', body);
    if ('outcome' in step) return step.outcome;
    const address = flow.codeAddress;
    if (!(await checkCode(ctx, flow, step.code)) || !address) return fail(ctx, await reload(ctx, flow), 'code', text.codeInvalid('verification'));
    if (!(await ctx.flows.transition(flow, 'sent_email', 'passed_challenge', ctx.iso()))) {
      return fail(ctx, await reload(ctx, flow), null, text.retrySuccess('verification'));
    }
    await ctx.ss.identities.markAddressVerified(ctx.projectId, flow.identityId!, address);
    flow.ui = { action: '', method: 'POST', nodes: [csrfNode()], messages: [text.verificationSuccessful()] };
    return flowDone(ctx, flow, 'verification');
  },
};

/**
 * A verification flow of `type` for the identity's `address` with a code already sent (after
 * registration), bound to the same browser as the flow that made it (`csrfBinding`).
 */
export async function startVerification(ctx: FlowContext, type: FlowType, identityId: string, address: string, csrfBinding: string | null): Promise<Flow> {
  const { flow } = await newFlow(ctx, 'verification', type, { ui: codeUi('verification', address), state: 'sent_email', csrfBinding });
  flow.identityId = identityId;
  flow.codeAddress = address;
  const code = issueCode(ctx, flow);
  await ctx.flows.update(flow, ctx.iso());
  await queueCode(ctx, 'verification', address, code);
  return flow;
}
