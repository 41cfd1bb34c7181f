import { randomToken } from '../platform/crypto.js';
import { ErrorId, OryError } from '../platform/errors/errors.js';
import { field, type Body } from './body.js';
import type { Outcome } from './context.js';
import type { FlowContext } from './flow-context.js';
import { fail, flowOk, openSubmission } from './flow-kit.js';
import type { Flow } from './flow-store.js';
import { codeUi } from './forms.js';
import { text } from './text.js';
import type { WireIdentity } from './ports.js';
import { setValue } from './ui.js';

// The code method, as recovery and verification both use it: a 6-digit code mailed to an address,
// stored only as an HMAC, single-use and attempt-limited.

export type CodeKind = 'recovery' | 'verification';

/**
 * The first steps of a recovery or verification submission, alike for both: a finished flow, a
 * missing method, an address to send a code to, or a missing code each end the request here;
 * otherwise the submitted code comes back to be checked.
 */
export async function codeStep(ctx: FlowContext, flow: Flow, kind: CodeKind, body: Body): Promise<{ outcome: Outcome } | { code: string }> {
  const refused = await openSubmission(ctx, flow, kind, body, 'code', true);
  if (refused) return { outcome: refused };
  const email = field(body, 'email', 320)?.trim();
  const code = field(body, 'code', 64)?.trim();
  if (email !== undefined && email !== '') return { outcome: await sendCode(ctx, flow, kind, email) };
  if (code === undefined || code === '') {
    const missing = flow.state === 'sent_email' ? 'code' : 'email';
    return { outcome: await fail(ctx, flow, missing, text.required(missing)) };
  }
  return { code };
}

/** Sends (or re-sends) a code to an address. Unknown addresses get the same answer and no message. */
async function sendCode(ctx: FlowContext, flow: Flow, kind: CodeKind, rawAddress: string): Promise<Outcome> {
  const { ss, cfg } = ctx;
  const address = rawAddress.toLowerCase();
  setValue(flow.ui, 'email', address);
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(address)) return fail(ctx, flow, 'email', text.invalidEmail(rawAddress));
  const found = await ss.identities.findByAddress(ctx.projectId, kind === 'recovery' ? 'recovery' : 'verifiable', address);
  // A deactivated identity cannot sign in, so it gets no recovery code (and the same answer as a stranger).
  const identity = found && !(kind === 'recovery' && found.state === 'inactive') ? found : null;
  // Codes per recipient are limited (mail bombing), counted whether or not the address is known.
  // Counters written under the legacy key still count until their window ends.
  const bf = cfg.bruteForce;
  const [key, legacyKey] = ss.secrets.recipientThrottleKeys(ctx.projectId, address);
  const limits = [key, legacyKey].map((k) => ({ key: k, max: bf.maxCodesPerRecipient }));
  const wait = await ss.throttle.retryAfter(ctx.projectId, limits, bf.windowMs, ctx.now());
  if (wait > 0) throw new OryError(429, 'Too many requests', 'Too many codes were sent to this address; retry later.', ErrorId.tooManyRequests, undefined, { 'retry-after': String(wait) });
  await ss.throttle.fail(ctx.projectId, [key], bf.windowMs, ctx.now());
  flow.identityId = identity?.id ?? null;
  flow.codeAddress = address;
  flow.codeAttempts = 0;
  // An unknown address gets a code hash nothing can match, so the flow looks the same either way.
  let code: string | null = null;
  if (identity) code = issueCode(ctx, flow);
  else {
    flow.codeHash = randomToken();
    flow.active = 'code';
  }
  flow.state = 'sent_email';
  flow.ui = codeUi(kind, address);
  await ctx.flows.update(flow, ctx.iso());
  if (code !== null) await queueCode(ctx, kind, address, code, identity ?? undefined);
  return flowOk(ctx, flow);
}

/** A fresh code for the flow: its hash is set on `flow` (the caller stores it), the code is returned once. */
export function issueCode(ctx: FlowContext, flow: Flow): string {
  const code = ctx.ss.secrets.newCode();
  flow.codeHash = ctx.ss.secrets.codeHash(ctx.projectId, flow.id, code);
  flow.active = 'code';
  return code;
}

const CODE_MAIL: Record<CodeKind, { template_type: string; subject: string; body: (code: string) => string }> = {
  recovery: {
    template_type: 'recovery_code_valid',
    subject: 'Recover access to your account',
    body: (code) => `Hi,\n\nplease recover access to your account by entering the following code:\n\n${code}\n`,
  },
  verification: {
    template_type: 'verification_code_valid',
    subject: 'Please verify your email address',
    body: (code) => `Hi,\n\nplease verify your account by entering the following code:\n\n${code}\n`,
  },
};

/**
 * Queues the mail carrying `code` to `address` with the project's courier, which renders the
 * project's template for it where there is one (`RecoveryCode`/`VerificationCode`, `Identity`, `RequestURL`).
 */
export async function queueCode(ctx: FlowContext, kind: CodeKind, address: string, code: string, identity?: WireIdentity): Promise<void> {
  const mail = CODE_MAIL[kind];
  const data = {
    [kind === 'recovery' ? 'RecoveryCode' : 'VerificationCode']: code,
    RequestURL: ctx.ri.baseUrl,
    ...(identity ? { Identity: { id: identity.id, schema_id: identity.schema_id, traits: identity.traits } } : {}),
  };
  await ctx.ss.courier.queue(ctx.projectId, { recipient: address, template_type: mail.template_type, subject: mail.subject, body: mail.body(code), data }, ctx.identityConfig);
}

/** Single-use, attempt-limited code check. True for exactly one caller with the right code. */
export async function checkCode(ctx: FlowContext, flow: Flow, code: string): Promise<boolean> {
  const max = ctx.cfg.maxCodeAttempts;
  if (flow.state !== 'sent_email' || !flow.codeHash || !/^\d{6}$/.test(code)) {
    if (flow.codeHash) await ctx.flows.countCodeAttempt(flow, max, ctx.iso());
    return false;
  }
  const hash = ctx.ss.secrets.matchingCodeHash(ctx.projectId, flow.id, code, flow.codeHash);
  if (!hash) {
    await ctx.flows.countCodeAttempt(flow, max, ctx.iso());
    return false;
  }
  return ctx.flows.consumeCode(flow, hash, ctx.iso());
}
