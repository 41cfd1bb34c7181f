import { renderSVG } from 'uqr';
import type { FlowContext } from './flow-context.js';
import type { Flow, FlowExtra } from './flow-store.js';
import { passwordIdentifiers } from './identity-forms.js';
import type { SecondFactorType, WireIdentity } from './ports.js';
import { text } from './text.js';
import { csrfNode, imgNode, input, textNode, type UiAnyNode, type UiContainer } from './ui.js';

// The forms of the second factors (Kratos's `totp` and `lookup_secret` nodes). A settings flow keeps
// what it shows before it is confirmed (a new TOTP seed, new lookup codes) sealed in its row, and
// fills them in only when the flow is rendered.

const TOTP_QR = 'totp_qr';
const TOTP_SECRET = 'totp_secret_key';
const LOOKUP_CODES = 'lookup_secret_codes';

/** The form of an aal2 login flow: one part per second factor the identity has set up. */
export function mfaLoginUi(types: SecondFactorType[]): UiContainer {
  const nodes: UiAnyNode[] = [csrfNode()];
  if (types.includes('totp')) {
    nodes.push(input('totp', 'totp_code', 'text', { required: true, autocomplete: 'one-time-code', label: text.labelAuthenticationCode() }));
    nodes.push(input('totp', 'method', 'submit', { value: 'totp', label: text.loginTotp() }));
  }
  if (types.includes('lookup_secret')) {
    nodes.push(input('lookup_secret', 'lookup_secret', 'text', { required: true, label: text.labelLookupCode() }));
    nodes.push(input('lookup_secret', 'method', 'submit', { value: 'lookup_secret', label: text.loginLookup() }));
  }
  return { action: '', method: 'POST', nodes, messages: [text.loginMfa()] };
}

/**
 * The settings form's second-factor parts for the identity: link or unlink an authenticator app,
 * generate, confirm or disable lookup codes. A new TOTP seed is sealed into `extra` for the flow.
 */
export async function secondFactorSettingsNodes(ctx: FlowContext, identity: WireIdentity, extra: FlowExtra): Promise<UiAnyNode[]> {
  const { ss, cfg } = ctx;
  if (!cfg.totpEnabled && !cfg.lookupEnabled) return [];
  const have = new Set(await ss.secondFactors.enabledTypes(ctx.identityConfig, ctx.projectId, identity.id));
  const nodes: UiAnyNode[] = [];
  if (cfg.totpEnabled) {
    if (have.has('totp')) {
      delete extra.totp_setup;
      nodes.push(input('totp', 'totp_unlink', 'submit', { value: true, label: text.totpUnlink() }));
    } else {
      if (!ss.secrets.openPending(extra.totp_setup)) extra.totp_setup = ss.secrets.sealPending(ss.secondFactors.newTotpSecret());
      nodes.push(imgNode('totp', TOTP_QR, '', text.totpQr()));
      nodes.push(textNode('totp', TOTP_SECRET, text.totpSecret(''), text.totpSecretLabel()));
      nodes.push(input('totp', 'totp_code', 'text', { required: true, autocomplete: 'one-time-code', label: text.labelVerifyCode() }));
      nodes.push(input('totp', 'method', 'submit', { value: 'totp', label: text.labelSave() }));
    }
  }
  if (cfg.lookupEnabled) {
    if (extra.lookup_pending) {
      nodes.push(textNode('lookup_secret', LOOKUP_CODES, text.lookupList([]), text.lookupSecretsLabel()));
      nodes.push(input('lookup_secret', 'lookup_secret_confirm', 'submit', { value: true, label: text.lookupConfirm() }));
    }
    nodes.push(input('lookup_secret', 'lookup_secret_regenerate', 'submit', { value: true, label: text.lookupRegenerate() }));
    if (have.has('lookup_secret') && !extra.lookup_pending) nodes.push(input('lookup_secret', 'lookup_secret_disable', 'submit', { value: true, label: text.lookupDisable() }));
    nodes.push(input('lookup_secret', 'method', 'submit', { value: 'lookup_secret', label: text.labelSave() }));
  }
  return nodes;
}

/**
 * Fills in what a settings flow shows only when rendered: the pending TOTP seed (as text and as a QR
 * code of its `otpauth://` URI) and pending lookup codes. `ui` is the copy about to be sent.
 */
export function revealPending(ctx: FlowContext, flow: Flow, ui: UiContainer, identity?: WireIdentity): void {
  const secret = ctx.ss.secrets.openPending(flow.extra.totp_setup);
  const codes = ctx.ss.secrets.openPending(flow.extra.lookup_pending)?.split(',') ?? [];
  for (const n of ui.nodes) {
    if (n.type === 'img' && n.attributes.id === TOTP_QR && secret) {
      const account = (identity && passwordIdentifiers(ctx, identity)[0]) || identity?.id || flow.identityId || 'account';
      const uri = ctx.ss.secondFactors.totpUri(ctx.cfg.totpIssuer, account, secret);
      n.attributes.src = `data:image/svg+xml;base64,${Buffer.from(renderSVG(uri, { border: 2 })).toString('base64')}`;
    }
    if (n.type === 'text' && n.attributes.id === TOTP_SECRET && secret) n.attributes.text = text.totpSecret(secret);
    if (n.type === 'text' && n.attributes.id === LOOKUP_CODES) n.attributes.text = text.lookupList(codes);
  }
}

