import { checkPasswordPolicy } from '../identity/password-policy.js';
import { OryError } from '../platform/errors/errors.js';
import type { FlowContext } from './flow-context.js';
import type { WireIdentity } from './ports.js';
import { text, type UiText } from './text.js';
import { addMessage, getPath, type UiContainer } from './ui.js';

// What registration, login and settings share about an identity's schema, traits and password: the
// identity core decides, these turn its answers into Kratos's UI messages.

/** The longest password a form accepts (longer ones are treated as missing). */
export const MAX_PASSWORD_LENGTH = 1024;

/** The identity schema a new flow uses: the requested one (400 when the project has none such) or the default. */
export function pickSchema(ctx: FlowContext, requested: string | undefined): string {
  const { schemas } = ctx.ss;
  if (requested) {
    if (!schemas.get(ctx.identityConfig, requested)) throw new OryError(400, 'The request was malformed or contained invalid parameters', `The requested identity schema "${requested.slice(0, 200)}" does not exist.`, 'bad_request');
    return requested;
  }
  return schemas.defaultSchemaId(ctx.identityConfig);
}

/** The password identifiers (email, username, ...) of an identity under its schema; none when it no longer validates. */
export function passwordIdentifiers(ctx: FlowContext, identity: WireIdentity): string[] {
  const { schemas } = ctx.ss;
  const schema = schemas.get(ctx.identityConfig, identity.schema_id);
  if (!schema) return [];
  const v = schemas.validateTraits(schema, identity.traits);
  return v.ok ? v.extensions.passwordIdentifiers : [];
}

/**
 * The project's password policy (the identity core's `checkPasswordPolicy`, shared with the admin
 * API), as the Kratos message for the password node; null when the password is acceptable.
 */
export function passwordPolicyMessage(ctx: FlowContext, identifiers: string[], password: string): UiText | null {
  const problem = checkPasswordPolicy(ctx.identityConfig, identifiers, password);
  if (!problem) return null;
  const min = /at least (\d+) characters long, but got (\d+)/.exec(problem);
  if (min) return text.passwordMinLength(Number(min[1]), Number(min[2]));
  const max = /at most (\d+) characters long, but got (\d+)/.exec(problem);
  if (max) return text.passwordMaxLength(Number(max[1]), Number(max[2]));
  if (/too similar/.test(problem)) return text.passwordTooSimilar();
  return text.passwordPolicy(problem.replace(/^The password can not be used because /, '').replace(/\.$/, ''));
}

/** Puts a trait validation failure on the node it concerns (Kratos's message ids). */
export function addTraitError(ui: UiContainer, message: string, path: string, traits: Record<string, unknown>): void {
  const base = path.replace(/^#\//, '').replace(/\//g, '.');
  const missing = /missing properties: "([^"]+)"/.exec(message);
  if (missing) {
    const name = `${base || 'traits'}.${missing[1]}`;
    addMessage(ui, name, text.required(missing[1]));
    return;
  }
  const name = base || null;
  const format = /"([a-z-]+)" is not valid/.exec(message);
  if (format && name) {
    const value = getPath(traits, name.slice(7));
    addMessage(ui, name, text.generic(`"${String(value)}" is not valid "${format[1]}"`));
    return;
  }
  const reason = message.includes(': ') ? message.slice(message.indexOf(': ') + 2) : message;
  addMessage(ui, name, text.generic(reason));
}

/** The message for submitted `traits` that are not an object ("expected object, but got …"). */
export function traitsNotAnObject(traits: unknown): UiText {
  return text.wrongType('object', jsonType(traits));
}

/** An identity-core error that is the user's to fix (409 duplicate, 400 invalid) as a form message; null for any other error. */
export function identityErrorMessage(err: unknown): UiText | null {
  if (err instanceof OryError && err.code === 409) return text.duplicateCredentials();
  if (err instanceof OryError && err.code === 400) return text.generic(err.reason ?? err.message);
  return null;
}

/** A value's JSON Schema type name, as Kratos reports it. */
function jsonType(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}
