import { field, type Body } from './body.js';
import type { FlowContext } from './flow-context.js';
import type { FlowExtra } from './flow-store.js';
import type { KeyKind, RelyingParty, WireIdentity } from './ports.js';
import { text, type UiText } from './text.js';
import { input, type UiAnyNode, type UiScriptNode } from './ui.js';
import { WEBAUTHN_JS_INTEGRITY } from './webauthn-script.js';

// WebAuthn in the flows (Kratos's `webauthn` and `passkey` methods): the nodes that carry a
// ceremony's options to the browser, and the checks of what comes back. Each ceremony's challenge
// is kept server-side, sealed in the flow's `extra`, and only that flow's challenge is accepted: a
// client never gets to say which challenge it answered. The identity core keeps the keys.

/** The largest WebAuthn answer accepted (an attestation with certificates stays far below). */
const MAX_ANSWER = 32 * 1024;

/** What a flow keeps of a ceremony it started (sealed in `extra`). */
interface Ceremony {
  challenge: string;
  /** Registration: the user handle the options named. */
  handle?: string;
}

type CeremonySlot = 'webauthn_register' | 'passkey_register' | 'webauthn_login' | 'passkey_login';

/**
 * The project's relying party for `kind`: the configured `rp`, else the host and origin the client
 * addressed the project by, and the project's name.
 */
export function relyingParty(ctx: FlowContext, kind: KeyKind): RelyingParty {
  const rp = ctx.cfg.rp[kind];
  const base = new URL(ctx.ri.baseUrl);
  return { id: rp.id ?? base.hostname, name: rp.displayName ?? ctx.ri.project.name, origins: rp.origins ?? [base.origin] };
}

function keep(ctx: FlowContext, extra: FlowExtra, slot: CeremonySlot, c: Ceremony): void {
  extra[slot] = ctx.ss.secrets.sealPending(JSON.stringify(c));
}

function kept(ctx: FlowContext, extra: FlowExtra, slot: CeremonySlot): Ceremony | null {
  const opened = ctx.ss.secrets.openPending(extra[slot]);
  if (!opened) return null;
  try {
    const c = JSON.parse(opened) as Ceremony;
    return typeof c.challenge === 'string' ? c : null;
  } catch {
    return null;
  }
}

/** The WebAuthn answer of a submission: the parsed JSON of `name`, null when absent, 'bad' when it is not JSON. */
export function answerOf(body: Body, name: string): unknown | null | 'bad' {
  const raw = body[name];
  if (raw === undefined || raw === '') return null;
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) return raw;
  const s = field(body, name, MAX_ANSWER);
  if (!s) return 'bad';
  try {
    const v = JSON.parse(s);
    return v && typeof v === 'object' ? v : 'bad';
  } catch {
    return 'bad';
  }
}

export function scriptNode(ctx: FlowContext, group: 'webauthn' | 'passkey'): UiScriptNode {
  return {
    type: 'script',
    group,
    attributes: {
      id: 'webauthn_script',
      src: `${ctx.ri.baseUrl}/.well-known/ory/webauthn.js`,
      async: true,
      referrerpolicy: 'no-referrer',
      crossorigin: 'anonymous',
      integrity: WEBAUTHN_JS_INTEGRITY,
      type: 'text/javascript',
      nonce: '',
      node_type: 'script',
    },
    messages: [],
    meta: {},
  };
}

const optionsJson = (options: object) => JSON.stringify({ publicKey: options });

// ------------------------------------------------------------------ settings

/**
 * The settings form's WebAuthn parts: the identity's security keys and passkeys (each with a remove
 * button), and the options to add one; the new challenges are kept in `extra`.
 */
export async function webauthnSettingsNodes(ctx: FlowContext, identity: WireIdentity, extra: FlowExtra): Promise<UiAnyNode[]> {
  const { ss, cfg } = ctx;
  const nodes: UiAnyNode[] = [];
  const userName = accountName(identity);
  if (cfg.webauthnEnabled) {
    for (const k of await ss.webauthn.list(ctx.projectId, identity.id, 'webauthn')) {
      nodes.push(input('webauthn', 'webauthn_remove', 'submit', { value: k.id, label: text.webauthnRemove(k.display_name || 'unnamed', k.added_at) }));
    }
    const { options, userHandle } = await ss.webauthn.registrationOptions(ctx.projectId, identity.id, 'webauthn', relyingParty(ctx, 'webauthn'), userName);
    keep(ctx, extra, 'webauthn_register', { challenge: options.challenge, handle: userHandle });
    const json = optionsJson(options);
    nodes.push(input('webauthn', 'webauthn_register_displayname', 'text', { value: '', label: text.webauthnDisplayName() }));
    nodes.push(input('webauthn', 'webauthn_register_trigger', 'button', { value: json, onclick: `window.oryWebAuthnRegistration(${json})`, onclickTrigger: 'oryWebAuthnRegistration', label: text.webauthnRegister() }));
    nodes.push(input('webauthn', 'webauthn_register', 'hidden', { value: '' }));
    nodes.push(scriptNode(ctx, 'webauthn'));
  }
  if (cfg.passkeyEnabled) {
    const keys = await ss.webauthn.list(ctx.projectId, identity.id, 'passkey');
    // The last passkey of an identity without a password cannot go: it would lock the user out.
    const lastFactor = keys.length < 2 && !(await hasPassword(ctx, identity.id));
    for (const k of keys) {
      nodes.push(input('passkey', 'passkey_remove', 'submit', { value: k.id, disabled: lastFactor, label: text.passkeyRemove(k.display_name || 'unnamed', k.added_at) }));
    }
    const { options, userHandle } = await ss.webauthn.registrationOptions(ctx.projectId, identity.id, 'passkey', relyingParty(ctx, 'passkey'), userName);
    keep(ctx, extra, 'passkey_register', { challenge: options.challenge, handle: userHandle });
    nodes.push(input('passkey', 'passkey_register_trigger', 'button', { value: '', onclick: 'window.oryPasskeySettingsRegistration()', onclickTrigger: 'oryPasskeySettingsRegistration', label: text.passkeyRegister() }));
    nodes.push(input('passkey', 'passkey_settings_register', 'hidden', { value: '' }));
    nodes.push(input('passkey', 'passkey_create_data', 'hidden', { value: optionsJson(options) }));
    if (!cfg.webauthnEnabled) nodes.push(scriptNode(ctx, 'passkey'));
  }
  return nodes;
}

/** Which WebAuthn method a settings submission is for: `method`, or the fields only one method has (as Kratos). */
export function webauthnSettingsMethod(body: Body): KeyKind | null {
  const method = field(body, 'method', 64);
  if (method === 'webauthn' || (!method && (body.webauthn_register !== undefined || body.webauthn_remove !== undefined))) return 'webauthn';
  if (method === 'passkey' || (!method && (body.passkey_settings_register !== undefined || body.passkey_remove !== undefined))) return 'passkey';
  return null;
}

/**
 * A settings submission adding or removing a key of `kind` (the session is the flow's identity's and
 * privileged; the caller checked both). A new key counts as a completed method of the session, as in
 * Kratos: a security key raises it to aal2.
 */
export async function submitWebAuthnSettings(
  ctx: FlowContext,
  flow: { extra: FlowExtra },
  identity: WireIdentity,
  sessionId: string,
  kind: KeyKind,
  body: Body,
): Promise<{ saved: true } | { refused: [node: string | null, message: UiText] }> {
  const { ss } = ctx;
  const removeField = kind === 'webauthn' ? 'webauthn_remove' : 'passkey_remove';
  const registerField = kind === 'webauthn' ? 'webauthn_register' : 'passkey_settings_register';
  const remove = field(body, removeField, 2048);
  if (remove) {
    const keys = await ss.webauthn.list(ctx.projectId, identity.id, kind);
    if (!keys.some((k) => k.id === remove.toLowerCase())) return { refused: [null, text.generic(`You tried to remove a ${kind === 'webauthn' ? 'WebAuthn credential' : 'passkey'} which does not exist.`)] };
    if (kind === 'passkey' && keys.length < 2 && !(await hasPassword(ctx, identity.id))) {
      return { refused: [removeField, text.generic('unable to remove this passkey because it would lock you out of your account')] };
    }
    if (!(await ss.webauthn.removeKey(ctx.projectId, identity.id, kind, remove.toLowerCase()))) return { refused: [null, text.noWebAuthnDevice()] };
    return { saved: true };
  }
  const answer = answerOf(body, registerField);
  if (answer === null) return { refused: [registerField, text.required(registerField)] };
  const ceremony = kept(ctx, flow.extra, kind === 'webauthn' ? 'webauthn_register' : 'passkey_register');
  if (answer === 'bad' || !ceremony?.handle) return { refused: [null, text.webauthnInvalid()] };
  const name = (field(body, 'webauthn_register_displayname', 256) ?? '').trim();
  const verified = await ss.webauthn.verifyRegistration(ctx.projectId, identity.id, kind, relyingParty(ctx, kind), ceremony.challenge, answer, name);
  if (!verified) return { refused: [null, text.webauthnInvalid()] };
  await ss.webauthn.addKey(ctx.projectId, identity.id, kind, ceremony.handle, verified);
  delete flow.extra[kind === 'webauthn' ? 'webauthn_register' : 'passkey_register'];
  await ss.sessions.completeMethod(ctx.ri.project, sessionId, identity.id, { method: kind, aal: kind === 'webauthn' ? 'aal2' : 'aal1', completed_at: ctx.iso() });
  return { saved: true };
}

// ------------------------------------------------------------------ login

/** The aal2 login form's security-key part: options naming the identity's keys; the challenge kept in `extra`. */
export async function webauthnLoginNodes(ctx: FlowContext, identityId: string, extra: FlowExtra): Promise<UiAnyNode[]> {
  const options = await ctx.ss.webauthn.authenticationOptions(ctx.projectId, identityId, 'webauthn', relyingParty(ctx, 'webauthn'));
  keep(ctx, extra, 'webauthn_login', { challenge: options.challenge });
  const json = optionsJson(options);
  return [
    input('webauthn', 'webauthn_login_trigger', 'button', { value: json, onclick: `window.oryWebAuthnLogin(${json})`, onclickTrigger: 'oryWebAuthnLogin', label: text.loginWebAuthn() }),
    input('webauthn', 'webauthn_login', 'hidden', { value: '' }),
    scriptNode(ctx, 'webauthn'),
  ];
}

/** The aal1 login form's passkey part: discoverable-credential options; the challenge kept in `extra`. */
export async function passkeyLoginNodes(ctx: FlowContext, extra: FlowExtra): Promise<UiAnyNode[]> {
  const options = await ctx.ss.webauthn.authenticationOptions(ctx.projectId, null, 'passkey', relyingParty(ctx, 'passkey'));
  keep(ctx, extra, 'passkey_login', { challenge: options.challenge });
  return [
    input('passkey', 'passkey_challenge', 'hidden', { value: optionsJson(options) }),
    input('passkey', 'passkey_login', 'hidden', { value: '', onload: 'window.oryPasskeyLoginAutocompleteInit()', onloadTrigger: 'oryPasskeyLoginAutocompleteInit' }),
    input('passkey', 'passkey_login_trigger', 'button', { value: '', onclick: 'window.oryPasskeyLogin()', onclickTrigger: 'oryPasskeyLogin', label: text.loginPasskey() }),
    scriptNode(ctx, 'passkey'),
  ];
}

/**
 * Checks a login flow's WebAuthn answer against the challenge the flow kept. `webauthn`: a key of
 * `identityId`; `passkey`: any passkey of the project, or `identityId`'s when it is set (refresh).
 * The identity proven, 'missing' when no answer was sent, or null when it does not verify.
 */
export async function verifyLoginAnswer(ctx: FlowContext, flow: { extra: FlowExtra }, kind: KeyKind, identityId: string | null, body: Body): Promise<string | 'missing' | null> {
  const name = kind === 'webauthn' ? 'webauthn_login' : 'passkey_login';
  const answer = answerOf(body, name);
  if (answer === null) return 'missing';
  const ceremony = kept(ctx, flow.extra, name);
  if (answer === 'bad' || !ceremony) return null;
  return ctx.ss.webauthn.verifyAuthentication(ctx.projectId, identityId, kind, relyingParty(ctx, kind), ceremony.challenge, answer);
}

/** Whether a login submission is a passkey one (`method: passkey`, or Kratos's bare `passkey_login`). */
export function isPasskeyLogin(body: Body): boolean {
  const method = field(body, 'method', 64);
  return method === 'passkey' || (!method && body.passkey_login !== undefined);
}

/** Whether the identity can sign in with a password (the identity core lists its credential types). */
async function hasPassword(ctx: FlowContext, identityId: string): Promise<boolean> {
  const identity = await ctx.ss.identities.get(ctx.projectId, identityId);
  return !!(identity as (WireIdentity & { credentials?: Record<string, unknown> }) | null)?.credentials?.password;
}

/** The name an authenticator shows for the account: the first string trait that looks like an identifier. */
function accountName(identity: WireIdentity): string {
  const t = identity.traits ?? {};
  for (const k of ['email', 'username', 'phone']) if (typeof t[k] === 'string' && t[k]) return (t[k] as string).slice(0, 64);
  return identity.id;
}
