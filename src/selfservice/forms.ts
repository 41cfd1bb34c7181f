import type { FlowConfig } from './config.js';
import type { RequestInfo } from './context.js';
import type { SchemaPort, WireIdentity } from './ports.js';
import { text } from './text.js';
import { csrfNode, input, traitFields, traitNodes, type TraitField, type UiContainer, type UiNode } from './ui.js';

// The forms of each flow in Ory's ui node model. `action` is filled in when a flow is rendered (it
// depends on the flow id and on how the client addressed the project), never stored.

/** Login with identifier and password. */
export function loginUi(schemas: SchemaPort, ri: RequestInfo, cfg: FlowConfig, schemaId: string): UiContainer {
  const nodes: UiNode[] = [csrfNode()];
  if (cfg.passwordEnabled) {
    const schema = schemas.get(ri.project.services.identity.config, schemaId);
    const ids = traitFields(schema?.schema).filter((f) => f.isPasswordIdentifier);
    const label = ids.length === 1 ? text.labelGenerated(ids[0].title, 'identifier') : text.labelId();
    nodes.push(input('default', 'identifier', 'text', { required: true, value: '', autocomplete: 'username', label }));
    nodes.push(input('password', 'password', 'password', { required: true, autocomplete: 'current-password', label: text.labelPassword() }));
    nodes.push(input('password', 'method', 'submit', { value: 'password', label: text.loginSubmit() }));
  }
  return { action: '', method: 'POST', nodes };
}

/** Registration: the schema's traits, a password. */
export function registrationUi(schemas: SchemaPort, ri: RequestInfo, cfg: FlowConfig, schemaId: string): UiContainer {
  const nodes: UiNode[] = [csrfNode()];
  if (cfg.passwordEnabled) {
    const schema = schemas.get(ri.project.services.identity.config, schemaId);
    nodes.push(...traitNodes(traitFields(schema?.schema), 'default'));
    nodes.push(input('password', 'password', 'password', { required: true, autocomplete: 'new-password', label: text.labelPassword() }));
    nodes.push(input('password', 'method', 'submit', { value: 'password', label: text.registrationSubmit() }));
  }
  return { action: '', method: 'POST', nodes };
}

/** Settings: the profile (traits with their values) and a new password. */
export function settingsUi(schemas: SchemaPort, ri: RequestInfo, cfg: FlowConfig, identity: WireIdentity): UiContainer {
  const nodes: UiNode[] = [csrfNode()];
  const schema = schemas.get(ri.project.services.identity.config, identity.schema_id);
  const fields: TraitField[] = traitFields(schema?.schema);
  nodes.push(...traitNodes(fields, 'profile', identity.traits));
  nodes.push(input('profile', 'method', 'submit', { value: 'profile', label: text.labelSave() }));
  if (cfg.passwordEnabled) {
    nodes.push(input('password', 'password', 'password', { required: true, autocomplete: 'new-password', label: text.labelPassword() }));
    nodes.push(input('password', 'method', 'submit', { value: 'password', label: text.labelSave() }));
  }
  return { action: '', method: 'POST', nodes };
}

/** Recovery or verification, first step: the address to send a code to. */
export function emailUi(): UiContainer {
  return {
    action: '',
    method: 'POST',
    nodes: [
      csrfNode(),
      input('code', 'email', 'email', { required: true, autocomplete: 'email', label: text.labelEmail() }),
      input('code', 'method', 'submit', { value: 'code', label: text.labelSubmit() }),
    ],
  };
}

/**
 * Recovery or verification, second step: the code, with a button to re-send it to `address`. Without
 * an address (a code an admin created, Kratos's admin recovery form) only the code and the submit
 * button: nothing was sent, and there is no CSRF token to carry.
 */
export function codeUi(kind: 'recovery' | 'verification', address: string | null): UiContainer {
  const code = input('code', 'code', 'text', { required: true, pattern: '[0-9]+', maxlength: 6, autocomplete: 'one-time-code', label: text.labelCode(kind) });
  const submit = input('code', 'method', 'submit', { value: 'code', label: text.labelContinue() });
  if (address === null) return { action: '', method: 'POST', nodes: [code, submit] };
  return {
    action: '',
    method: 'POST',
    nodes: [csrfNode(), code, submit, input('code', 'email', 'submit', { value: address, label: text.labelResendCode() })],
    messages: [text.codeSent(kind)],
  };
}
