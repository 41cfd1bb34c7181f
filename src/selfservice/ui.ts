import { text, type UiText } from './text.js';

// Ory's UI node model: a flow carries `ui = {action, method, nodes, messages}` that a standard
// Ory-style UI renders as an HTML form (or native screen) without knowing the method.

export type UiGroup = 'default' | 'password' | 'profile' | 'code' | 'totp' | 'lookup_secret' | 'webauthn' | 'passkey';

/** The functions of `/.well-known/ory/webauthn.js` a button or field calls (Kratos's `onclickTrigger`). */
export type WebAuthnTrigger = 'oryWebAuthnRegistration' | 'oryWebAuthnLogin' | 'oryPasskeyLogin' | 'oryPasskeyLoginAutocompleteInit' | 'oryPasskeyRegistration' | 'oryPasskeySettingsRegistration';

export interface UiNodeInputAttributes {
  name: string;
  type: 'text' | 'password' | 'number' | 'checkbox' | 'hidden' | 'email' | 'tel' | 'submit' | 'button' | 'url' | 'date' | 'datetime-local';
  value?: unknown;
  required?: boolean;
  disabled: boolean;
  node_type: 'input';
  autocomplete?: 'email' | 'tel' | 'url' | 'current-password' | 'new-password' | 'one-time-code' | 'username' | 'username webauthn';
  pattern?: string;
  maxlength?: number;
  onclick?: string;
  onclickTrigger?: WebAuthnTrigger;
  onload?: string;
  onloadTrigger?: WebAuthnTrigger;
}

export interface UiNode {
  type: 'input';
  group: UiGroup;
  attributes: UiNodeInputAttributes;
  messages: UiText[];
  meta: { label?: UiText };
}

/** An image node (the TOTP QR code). */
export interface UiImgNode {
  type: 'img';
  group: UiGroup;
  attributes: { id: string; src: string; width: number; height: number; node_type: 'img' };
  messages: UiText[];
  meta: { label?: UiText };
}

/** A text node (the TOTP secret, the lookup codes). */
export interface UiTextNode {
  type: 'text';
  group: UiGroup;
  attributes: { id: string; text: UiText; node_type: 'text' };
  messages: UiText[];
  meta: { label?: UiText };
}

/** A script node (`/.well-known/ory/webauthn.js`, with its subresource integrity). */
export interface UiScriptNode {
  type: 'script';
  group: UiGroup;
  attributes: { id: string; src: string; async: boolean; referrerpolicy: string; crossorigin: string; integrity: string; type: string; nonce: string; node_type: 'script' };
  messages: UiText[];
  meta: { label?: UiText };
}

export type UiAnyNode = UiNode | UiImgNode | UiTextNode | UiScriptNode;

export interface UiContainer {
  action: string;
  method: 'POST' | 'GET';
  nodes: UiAnyNode[];
  messages?: UiText[];
}

type InputOpts = Omit<Partial<UiNodeInputAttributes>, 'node_type' | 'name' | 'type'> & { label?: UiText };

export function input(group: UiGroup, name: string, type: UiNodeInputAttributes['type'], opts: InputOpts = {}): UiNode {
  const { label, ...attrs } = opts;
  const attributes: UiNodeInputAttributes = { name, type, disabled: false, node_type: 'input', ...attrs };
  if (attributes.value === undefined) delete attributes.value;
  return { type: 'input', group, attributes, messages: [], meta: label ? { label } : {} };
}

export const imgNode = (group: UiGroup, id: string, src: string, label: UiText): UiImgNode => ({
  type: 'img', group, attributes: { id, src, width: 256, height: 256, node_type: 'img' }, messages: [], meta: { label },
});

export const textNode = (group: UiGroup, id: string, content: UiText, label: UiText): UiTextNode => ({
  type: 'text', group, attributes: { id, text: content, node_type: 'text' }, messages: [], meta: { label },
});

/** The input nodes of a form. */
const inputs = (ui: UiContainer): UiNode[] => ui.nodes.filter((n): n is UiNode => n.type === 'input');

/** The hidden CSRF node; its value is filled in when the flow is rendered for a browser, never stored. */
export const csrfNode = (): UiNode => input('default', 'csrf_token', 'hidden', { required: true, value: '' });

/** Sets (or replaces) the value of the node called `name`. */
export function setValue(ui: UiContainer, name: string, value: unknown): void {
  for (const n of inputs(ui)) if (n.attributes.name === name && n.attributes.type !== 'submit') n.attributes.value = value;
}

/** Adds a message to the node called `name`, or to the container when there is no such node. */
export function addMessage(ui: UiContainer, name: string | null, message: UiText): void {
  const node = name ? inputs(ui).find((n) => n.attributes.name === name && n.attributes.type !== 'submit') : undefined;
  if (node) node.messages.push(message);
  else (ui.messages ??= []).push(message);
}

/** Clears every message (before a new submission is evaluated). */
export function clearMessages(ui: UiContainer): void {
  ui.messages = [];
  for (const n of ui.nodes) n.messages = [];
}

/** The hidden fields the browser's WebAuthn answer goes into: never sent back filled in. */
const WEBAUTHN_ANSWERS = new Set(['webauthn_register', 'webauthn_login', 'passkey_register', 'passkey_settings_register', 'passkey_login']);

/** Empties every password field: a password never travels back to the client. */
export function scrubSecrets(ui: UiContainer): void {
  for (const n of inputs(ui)) {
    if (n.attributes.type === 'password') delete n.attributes.value;
    if (n.attributes.name === 'code' || n.attributes.name === 'totp_code' || n.attributes.name === 'lookup_secret') n.attributes.value = '';
    if (WEBAUTHN_ANSWERS.has(n.attributes.name)) n.attributes.value = '';
    if (n.attributes.name === 'csrf_token') n.attributes.value = '';
  }
}

export interface TraitField {
  /** e.g. `traits.email` */
  name: string;
  title: string;
  type: UiNodeInputAttributes['type'];
  required: boolean;
  autocomplete?: UiNodeInputAttributes['autocomplete'];
  isPasswordIdentifier: boolean;
  isVerifiable: boolean;
  isRecovery: boolean;
  pattern?: string;
  maxlength?: number;
}

type JsonSchema = Record<string, any>;

/**
 * The trait inputs of an identity schema: every leaf property of `properties.traits`, nested objects
 * flattened to dotted names (`traits.name.first`), as Kratos renders them.
 */
export function traitFields(schema: JsonSchema | null | undefined): TraitField[] {
  const traits = schema?.properties?.traits;
  const out: TraitField[] = [];
  const walk = (node: JsonSchema, prefix: string, requiredSet: Set<string>, depth: number) => {
    if (!node || typeof node !== 'object' || depth > 8) return;
    const props = node.properties && typeof node.properties === 'object' ? node.properties : {};
    for (const [key, raw] of Object.entries(props as Record<string, JsonSchema>)) {
      if (!raw || typeof raw !== 'object') continue;
      const name = `${prefix}.${key}`;
      const t = Array.isArray(raw.type) ? raw.type.find((x: string) => x !== 'null') : raw.type;
      if (t === 'object') {
        walk(raw, name, new Set(Array.isArray(raw.required) ? raw.required : []), depth + 1);
        continue;
      }
      if (t === 'array') continue; // arrays have no single input; Kratos skips them in forms too
      const ext = raw['ory.sh/kratos'] ?? {};
      const isPasswordIdentifier = ext?.credentials?.password?.identifier === true;
      const isVerifiable = !!ext?.verification?.via;
      const isRecovery = !!ext?.recovery?.via;
      let type: UiNodeInputAttributes['type'] = 'text';
      let autocomplete: UiNodeInputAttributes['autocomplete'];
      if (t === 'number' || t === 'integer') type = 'number';
      else if (t === 'boolean') type = 'checkbox';
      else if (raw.format === 'email') type = 'email';
      else if (raw.format === 'tel') type = 'tel';
      else if (raw.format === 'uri' || raw.format === 'url') type = 'url';
      else if (raw.format === 'date') type = 'date';
      if (isPasswordIdentifier) autocomplete = raw.format === 'email' ? 'email' : 'username';
      else if (raw.format === 'email') autocomplete = 'email';
      out.push({
        name,
        title: typeof raw.title === 'string' ? raw.title : key,
        type,
        required: requiredSet.has(key),
        autocomplete,
        isPasswordIdentifier,
        isVerifiable,
        isRecovery,
        pattern: typeof raw.pattern === 'string' ? raw.pattern : undefined,
        maxlength: typeof raw.maxLength === 'number' ? raw.maxLength : undefined,
      });
    }
  };
  if (traits) walk(traits, 'traits', new Set(Array.isArray(traits.required) ? traits.required : []), 0);
  return out;
}

export function traitNodes(fields: TraitField[], group: UiGroup, values?: Record<string, unknown>): UiNode[] {
  return fields.map((f) =>
    input(group, f.name, f.type, {
      required: f.required || undefined,
      autocomplete: f.autocomplete,
      pattern: f.pattern,
      maxlength: f.maxlength,
      value: values ? getPath(values, f.name.slice('traits.'.length)) : undefined,
      label: text.labelGenerated(f.title, f.name),
    }),
  );
}

/** Reads `a.b.c` from an object; undefined when any part is missing. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (!cur || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
