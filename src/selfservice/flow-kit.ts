import { createHash } from 'node:crypto';
import { newId } from '../platform/ids.js';
import { asBody, field, type Body } from './body.js';
import type { CookieSpec, Outcome } from './context.js';
import { csrfViolation, flowExpired, flowNotFound, flowParamMissing } from './errors.js';
import type { FlowContext } from './flow-context.js';
import type { Flow, FlowExtra, FlowKind, FlowType } from './flow-store.js';
import { flowBody } from './flow-wire.js';
import type { WireIdentity } from './ports.js';
import { checkReturnTo } from './return-to.js';
import { text, type OneShotKind, type UiText } from './text.js';
import { addMessage, clearMessages, scrubSecrets, type UiContainer } from './ui.js';

// The flow kit: what every self-service flow shares. Creating a flow (with its CSRF cookie), loading
// one for a submission (CSRF check, expiry with a replacement flow), and the answers: the flow as
// JSON, or for a browser that wants HTML a redirect to the project's UI for it.

const CSRF_COOKIE_MAX_AGE = 365 * 24 * 3600;

/** The query of `GET /self-service/{kind}/api|browser` as far as the flows read it. */
export interface CreateFlowQuery {
  return_to?: string;
  refresh?: boolean;
  identity_schema?: string;
  /** Login: `aal2` raises the current session with a second factor. */
  aal?: string;
}

/** One self-service flow, as the kit drives it. */
export interface FlowModule {
  kind: FlowKind;
  /** Starts a flow of `type` (`returnTo` already checked). Throws OryErrors for a disabled flow. */
  create(ctx: FlowContext, type: FlowType, returnTo: string | null, query: CreateFlowQuery): Promise<Outcome>;
  /** A submission of a flow that passed its CSRF and expiry checks. */
  submit(ctx: FlowContext, flow: Flow, body: Body): Promise<Outcome>;
  /** The form of the flow that replaces an expired `old` one; it may keep what the form needs in `extra`. */
  freshUi(ctx: FlowContext, old: Flow, extra: FlowExtra): Promise<UiContainer>;
  /** Who may read a flow beyond its browser (settings: only its identity, with a session); its identity, or throws. */
  viewer?(ctx: FlowContext, flow: Flow): Promise<WireIdentity>;
}

/** `GET /self-service/{kind}/api|browser`: a refused `return_to` is a 400 before anything else. */
export async function createFlow(ctx: FlowContext, mod: FlowModule, type: FlowType, query: CreateFlowQuery): Promise<Outcome> {
  return mod.create(ctx, type, checkReturnTo(ctx.ri, ctx.cfg, query.return_to), query);
}

/** `GET /self-service/{kind}/flows?id=`: 404 unknown (or another project's), 403 foreign browser, 410 expired. */
export async function showFlow(ctx: FlowContext, mod: FlowModule, id: string | undefined): Promise<Outcome> {
  if (!id) throw flowParamMissing();
  const flow = await ctx.flows.get(mod.kind, id);
  if (!flow) throw flowNotFound();
  const secret = csrfSecretFor(ctx, flow);
  // A browser flow is only shown to the browser it was made for (Kratos: CSRF check on fetch).
  if (flow.type === 'browser' && !secret && !skipsCsrf(flow)) throw csrfViolation();
  const identity = mod.viewer ? await mod.viewer(ctx, flow) : undefined;
  const now = ctx.now();
  if (Date.parse(flow.expiresAt) <= now) {
    const init = `${ctx.ri.baseUrl}/self-service/${flow.kind}/${flow.type}`;
    throw flowExpired(flow.kind, flow.expiresAt, now, {}, flow.type === 'browser' ? { redirect_to: init, return_to: flow.returnTo ?? '' } : { api: init });
  }
  return { status: 200, body: flowBody(ctx, flow, secret, identity) };
}

/**
 * `POST /self-service/{kind}?flow=`: loads the flow, checks a browser flow's CSRF token, answers an
 * expired flow with a replacement (Kratos's `use_flow_id`), and hands the rest to the flow.
 */
export async function submitFlow(ctx: FlowContext, mod: FlowModule, flowId: string | undefined, rawBody: unknown): Promise<Outcome> {
  const body = asBody(rawBody);
  if (!flowId) throw flowParamMissing();
  const flow = await ctx.flows.get(mod.kind, flowId);
  if (!flow) throw flowNotFound();
  if (flow.type === 'browser' && !skipsCsrf(flow)) {
    // The token must be this flow's token for this browser's cookie, and the cookie must be the
    // one the flow was created for: a token lifted from another browser or flow is refused.
    const secret = csrfSecretFor(ctx, flow);
    const sent = field(body, 'csrf_token', 200) ?? ctx.ri.csrfHeader ?? '';
    if (!secret || !ctx.ss.secrets.csrfTokenMatches(ctx.projectId, flow.id, secret, sent)) throw csrfViolation();
  }
  const now = ctx.now();
  if (Date.parse(flow.expiresAt) <= now) {
    // Kratos: a replacement flow carries the "expired" message; the client is pointed to it.
    const extra: FlowExtra = {};
    const ui = await mod.freshUi(ctx, flow, extra);
    ui.messages = [text.flowExpired(flow.kind, flow.expiresAt, now)];
    const { flow: replacement } = await newFlow(ctx, flow.kind, flow.type, {
      returnTo: flow.returnTo,
      schemaId: flow.schemaId,
      identityId: flow.identityId,
      sessionId: flow.sessionId,
      ui,
      extra,
      csrfBinding: flow.csrfBinding,
    });
    const redirect = browserToUi(ctx, replacement);
    if (redirect) return redirect;
    throw flowExpired(flow.kind, flow.expiresAt, now, { use_flow_id: replacement.id });
  }
  return mod.submit(ctx, flow, body);
}

/** A flow just made, with the cookies to set and the browser's CSRF secret (for its token). */
export interface NewFlow {
  flow: Flow;
  cookies: CookieSpec[];
  csrfSecret: string | null;
}

/**
 * Creates and stores a flow. A browser flow is bound to the browser's CSRF cookie (set here when the
 * browser has none), or to `o.csrfBinding` when it continues another flow of that browser.
 */
export async function newFlow(
  ctx: FlowContext,
  kind: FlowKind,
  type: FlowType,
  o: { returnTo?: string | null; schemaId?: string | null; identityId?: string | null; sessionId?: string | null; state?: string; ui: UiContainer; extra?: FlowExtra; csrfBinding?: string | null; lifespanMs?: number },
): Promise<NewFlow> {
  const { ri } = ctx;
  const now = ctx.now();
  const cookies: CookieSpec[] = [];
  let csrfSecret: string | null = null;
  let csrfBinding: string | null = null;
  if (type === 'browser' && o.extra?.skip_csrf_check !== true) {
    const name = csrfCookieName(ctx.projectId);
    const existing = ri.cookies[name];
    csrfSecret = existing && /^[A-Za-z0-9_-]{43}$/.test(existing) ? existing : ctx.ss.secrets.newCsrfSecret();
    csrfBinding = o.csrfBinding || ctx.ss.secrets.csrfBinding(ctx.projectId, csrfSecret);
    if (csrfSecret !== existing) cookies.push({ name, value: csrfSecret, maxAge: CSRF_COOKIE_MAX_AGE, sameSite: 'Lax' });
  }
  scrubSecrets(o.ui);
  const flow: Flow = {
    id: newId(),
    projectId: ctx.projectId,
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
    issuedAt: ctx.iso(now),
    expiresAt: ctx.iso(now + (o.lifespanMs ?? ctx.cfg.lifespanMs[kind])),
    createdAt: ctx.iso(now),
    updatedAt: ctx.iso(now),
  };
  await ctx.flows.insert(flow);
  // Housekeeping, now and then: flows expired for a day are of no use to anyone (an expired flow
  // still answers 410 during that day, so clients learn to start over).
  if (Math.random() < 0.01) await ctx.flows.deleteExpired(ctx.iso(now - 24 * 3600_000));
  return { flow, cookies, csrfSecret };
}

/** A new flow's answer: the browser to the project's UI for it, else the flow; plus its cookies. */
export function respondNew(ctx: FlowContext, made: NewFlow, identity?: WireIdentity): Outcome {
  const { flow, cookies, csrfSecret } = made;
  const redirect = browserToUi(ctx, flow);
  if (redirect) return { ...redirect, cookies };
  return { status: 200, body: flowBody(ctx, flow, csrfSecret, identity), cookies };
}

/** A flow failed validation: persist its messages and answer 400 with it (or send the browser back to the UI). */
export async function fail(ctx: FlowContext, flow: Flow, node?: string | null, message?: UiText, identity?: WireIdentity): Promise<Outcome> {
  if (message) addMessage(flow.ui, node ?? null, message);
  scrubSecrets(flow.ui);
  await ctx.flows.update(flow, ctx.iso());
  return browserToUi(ctx, flow) ?? { status: 400, body: flowBody(ctx, flow, csrfSecretFor(ctx, flow), identity) };
}

/** A step that succeeded but keeps the flow going (code sent): 200 with the flow, or back to the UI. */
export function flowOk(ctx: FlowContext, flow: Flow): Outcome {
  return browserToUi(ctx, flow) ?? { status: 200, body: flowBody(ctx, flow, csrfSecretFor(ctx, flow)) };
}

/**
 * A flow that reached its end without a session to hand out (settings saved, address verified): a
 * browser goes to the flow's `return_to`, the flow's configured "after" URL or its UI, in that order;
 * otherwise 200 with the flow.
 */
export async function flowDone(ctx: FlowContext, flow: Flow, kind: 'settings' | 'verification', identity?: WireIdentity): Promise<Outcome> {
  await ctx.flows.update(flow, ctx.iso());
  const { cfg } = ctx;
  if (flow.type === 'browser' && !ctx.ri.wantsJson) {
    const ui = cfg.uiUrl[kind];
    const target = flow.returnTo ?? cfg.afterReturnUrl[kind] ?? (ui ? withQuery(ui, 'flow', flow.id) : null);
    if (target) return { status: 303, redirect: target };
  }
  return { status: 200, body: flowBody(ctx, flow, csrfSecretFor(ctx, flow), identity) };
}

/** The flow as stored now (another request may have moved it on), messages cleared for a new answer. */
export async function reload(ctx: FlowContext, flow: Flow): Promise<Flow> {
  const fresh = (await ctx.flows.get(flow.kind, flow.id)) ?? flow;
  clearMessages(fresh.ui);
  return fresh;
}

/**
 * The opening checks of a submission of a flow that finishes once: a finished flow is not run again,
 * and the method must be `method` and `enabled`. Clears the old messages; returns the failure answer,
 * or null to go on.
 */
export async function openSubmission(ctx: FlowContext, flow: Flow, kind: OneShotKind, body: Body, method: 'password' | 'code', enabled: boolean): Promise<Outcome | null> {
  clearMessages(flow.ui);
  if (flow.state === 'passed_challenge') return fail(ctx, flow, null, text.retrySuccess(kind));
  if (field(body, 'method', 64) !== method || !enabled) return fail(ctx, flow, null, text.noStrategy(kind));
  return null;
}

/** Where a browser is sent to see a flow: the project's UI for it, or the flow's JSON. */
export function uiLink(ctx: FlowContext, kind: FlowKind, id: string): string {
  const ui = ctx.cfg.uiUrl[kind];
  return ui ? withQuery(ui, 'flow', id) : `${ctx.ri.baseUrl}/self-service/${kind}/flows?id=${id}`;
}

/** The name of a project's CSRF cookie (one per project, so two projects on one host do not clash). */
export function csrfCookieName(projectId: string): string {
  return `csrf_token_${createHash('sha256').update(projectId).digest('hex').slice(0, 16)}`;
}

/** The browser's CSRF cookie secret if the flow was made for it, else null. */
export function csrfSecretFor(ctx: FlowContext, flow: Flow): string | null {
  if (flow.type !== 'browser' || !flow.csrfBinding) return null;
  const secret = ctx.ri.cookies[csrfCookieName(ctx.projectId)];
  if (!secret || secret.length > 200) return null;
  return ctx.ss.secrets.csrfBindingMatches(ctx.projectId, secret, flow.csrfBinding) ? secret : null;
}

export function withQuery(url: string, key: string, value: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}${key}=${encodeURIComponent(value)}`;
}

/** For a browser that wants HTML and a project with a UI for the flow: the redirect to it; else null. */
function browserToUi(ctx: FlowContext, flow: Flow): Outcome | null {
  if (flow.type !== 'browser' || ctx.ri.wantsJson) return null;
  const ui = ctx.cfg.uiUrl[flow.kind];
  return ui ? { status: 303, redirect: withQuery(ui, 'flow', flow.id) } : null;
}

/**
 * A flow that no browser of the user created (Kratos's `DangerousSkipCSRFCheck`: recovery flows of the
 * admin API) carries no CSRF binding and is read and submitted without a CSRF token.
 */
function skipsCsrf(flow: Flow): boolean {
  return flow.extra.skip_csrf_check === true;
}
