import { badRequest, OryError, ErrorId } from '../platform/errors/errors.js';
import { field, type Body } from './body.js';
import type { Outcome } from './context.js';
import { FlowHttpError, noActiveSession } from './errors.js';
import type { FlowContext } from './flow-context.js';
import { fail, reload } from './flow-kit.js';
import type { Flow } from './flow-store.js';
import { activeSession, loggedIn } from './flow-sessions.js';
import type { SecondFactorType, WireIdentity } from './ports.js';
import { text } from './text.js';
import { verifyLoginAnswer } from './webauthn.js';

// Second factors in the flows (Kratos's `totp` and `lookup_secret` methods): set up and removed in
// the settings flow, used in an `aal2` login flow that upgrades the current session. The identity
// core keeps the credentials; the forms are in `second-factor-forms.ts`.

/** Kratos's 401 for `?aal=aal2` without a session to upgrade. */
export const aal1Required = () =>
  new FlowHttpError(401, 'The request could not be authorized', 'You can not requested a higher AAL (AAL2/AAL3) without an active session.', 'session_aal1_required');

/** The login URL that upgrades a session to aal2, returning to `returnTo` afterwards. */
export function aal2LoginUrl(ctx: FlowContext, returnTo?: string | null): string {
  const url = `${ctx.ri.baseUrl}/self-service/login/browser?aal=aal2`;
  return returnTo ? `${url}&return_to=${encodeURIComponent(returnTo)}` : url;
}

/** Whether the current session of the identity is below what `which` requires (see `needsAal2`). */
export function belowRequiredAal(ctx: FlowContext, identityId: string, aal: string | undefined, which: 'whoami' | 'settings'): Promise<boolean> {
  return ctx.ss.secondFactors.needsAal2(ctx.identityConfig, ctx.projectId, identityId, aal ?? 'aal1', which);
}

// ------------------------------------------------------------------ login (aal2)

/**
 * A submission of an aal2 login flow: the second factor is checked for the flow's identity, and the
 * session the flow was made for becomes aal2 (same id, same token). Failed attempts count against
 * the identity like failed passwords.
 */
export async function submitSecondFactor(ctx: FlowContext, flow: Flow, body: Body): Promise<Outcome> {
  const { ss, cfg } = ctx;
  // Kratos: a bare `webauthn_login` answer is a security-key submission.
  const method = field(body, 'method', 64) ?? (body.webauthn_login !== undefined ? 'webauthn' : undefined);
  if (flow.state === 'passed_challenge') return fail(ctx, flow, null, text.retrySuccess('login'));
  const types = flow.identityId ? await ss.secondFactors.enabledTypes(ctx.identityConfig, ctx.projectId, flow.identityId) : [];
  if ((method !== 'totp' && method !== 'lookup_secret' && method !== 'webauthn') || !types.includes(method)) return fail(ctx, flow, null, text.noStrategy('login'));
  const current = await activeSession(ctx);
  if (!current || current.session.id !== flow.sessionId) throw noActiveSession();
  const identityId = flow.identityId!;

  const key = ss.secrets.identifierThrottleKeys(ctx.projectId, `mfa:${identityId}`)[0];
  const bf = cfg.bruteForce;
  const wait = await ss.throttle.retryAfter(ctx.projectId, [{ key, max: bf.maxPerIdentifier }], bf.windowMs, ctx.now());
  if (wait > 0) throw new OryError(429, 'Too many requests', 'Too many failed attempts; retry later.', ErrorId.tooManyRequests, undefined, { 'retry-after': String(wait) });
  const refuse = async (node: string | null, message: ReturnType<typeof text.totpInvalid>) => {
    await ss.throttle.fail(ctx.projectId, [key], bf.windowMs, ctx.now());
    return fail(ctx, flow, node, message);
  };

  if (method === 'totp') {
    const code = (field(body, 'totp_code', 32) ?? '').trim();
    if (!code) return fail(ctx, flow, 'totp_code', text.required('totp_code'));
    if (!(await ss.secondFactors.verifyTotp(ctx.projectId, identityId, code, ctx.now()))) return refuse('totp_code', text.totpInvalid());
  } else if (method === 'webauthn') {
    const proven = await verifyLoginAnswer(ctx, flow, 'webauthn', identityId, body);
    if (proven === 'missing') return fail(ctx, flow, 'webauthn_login', text.required('webauthn_login'));
    if (proven !== identityId) return refuse(null, text.webauthnInvalid());
    delete flow.extra.webauthn_login;
  } else {
    const code = (field(body, 'lookup_secret', 64) ?? '').trim();
    if (!code) return fail(ctx, flow, 'lookup_secret', text.required('lookup_secret'));
    const used = await ss.secondFactors.useLookupCode(ctx.projectId, identityId, code, ctx.iso());
    if (used === 'invalid') return refuse('lookup_secret', text.lookupInvalid());
    if (used === 'used') return refuse('lookup_secret', text.lookupUsed());
    if (used === 'none') return refuse('lookup_secret', text.noLookup());
  }
  await ss.throttle.reset(ctx.projectId, key);
  if (!(await ctx.flows.transition(flow, 'choose_method', 'passed_challenge', ctx.iso()))) {
    return fail(ctx, await reload(ctx, flow), null, text.retrySuccess('login'));
  }
  flow.active = method;
  await ctx.flows.update(flow, ctx.iso());
  const session = await ss.sessions.completeMethod(ctx.ri.project, current.session.id, identityId, { method, aal: 'aal2', completed_at: ctx.iso() });
  if (!session) throw noActiveSession();
  return loggedIn(ctx, flow, 'login', session, current.token, {});
}

/** `?aal=aal2` needs a session, of an identity with a second factor, not already at aal2 (unless refreshing). */
export async function mfaFlowFor(ctx: FlowContext): Promise<{ session: { id: string; identityId: string; aal: string }; types: SecondFactorType[] }> {
  const current = await activeSession(ctx);
  if (!current?.session.identity) throw aal1Required();
  const identityId = current.session.identity.id;
  const types = await ctx.ss.secondFactors.enabledTypes(ctx.identityConfig, ctx.projectId, identityId);
  if (types.length === 0) throw badRequest('This account has no second factor set up, so the session cannot be raised to aal2.');
  return { session: { id: current.session.id, identityId, aal: current.session.authenticator_assurance_level ?? 'aal1' }, types };
}

// ------------------------------------------------------------------ settings

/**
 * A settings submission with method `totp` or `lookup_secret` (the session is the flow's identity's
 * and privileged; the caller checked both). Returns the answer, with `rebuild` telling the caller
 * to re-render the form from the identity's new state.
 */
export async function submitSecondFactorSettings(
  ctx: FlowContext,
  flow: Flow,
  identity: WireIdentity,
  method: 'totp' | 'lookup_secret',
  body: Body,
): Promise<{ saved: true } | { shown: true } | { refused: [node: string | null, message: ReturnType<typeof text.totpInvalid>] }> {
  const { ss } = ctx;
  const flag = (name: string) => field(body, name, 8) === 'true' || (body as Record<string, unknown> | null)?.[name] === true;
  if (method === 'totp') {
    if (flag('totp_unlink')) {
      await ss.secondFactors.remove(ctx.projectId, identity.id, 'totp');
      return { saved: true };
    }
    const code = (field(body, 'totp_code', 32) ?? '').trim();
    if (!code) return { refused: ['totp_code', text.required('totp_code')] };
    const secret = ss.secrets.openPending(flow.extra.totp_setup);
    if (!secret) return { refused: [null, text.noStrategy('settings')] };
    if (!(await ss.secondFactors.linkTotp(ctx.projectId, identity.id, secret, code, ctx.now()))) return { refused: ['totp_code', text.totpInvalid()] };
    delete flow.extra.totp_setup;
    return { saved: true };
  }
  if (flag('lookup_secret_regenerate')) {
    flow.extra.lookup_pending = ss.secrets.sealPending(ss.secondFactors.newLookupCodes().join(','));
    return { shown: true };
  }
  if (flag('lookup_secret_confirm')) {
    const codes = ss.secrets.openPending(flow.extra.lookup_pending)?.split(',');
    if (!codes?.length) return { refused: [null, text.noLookup()] };
    await ss.secondFactors.setLookupCodes(ctx.projectId, identity.id, codes);
    delete flow.extra.lookup_pending;
    return { saved: true };
  }
  if (flag('lookup_secret_disable')) {
    delete flow.extra.lookup_pending;
    if ((await ss.secondFactors.lookupCodesLeft(ctx.projectId, identity.id)) === null) return { refused: [null, text.noLookup()] };
    await ss.secondFactors.remove(ctx.projectId, identity.id, 'lookup_secret');
    return { saved: true };
  }
  if (flag('lookup_secret_reveal')) {
    // Codes are kept only as HMACs: they are shown once, when made, and never again.
    return { refused: [null, text.generic('Backup recovery codes are stored hashed and can not be shown again. Generate new ones instead.')] };
  }
  return { refused: [null, text.noStrategy('settings')] };
}

