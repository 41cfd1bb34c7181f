import { InvalidArgumentError } from 'commander';
import type { TSchema } from '@sinclair/typebox';
import { compileSchema } from '../platform/http/validation.js';
import { Email, Name } from '../platform/http/schemas.js';

// Option parsers for the CLI. Each checks a value with the schema and the validator the API uses for
// the same field, so the CLI accepts exactly what the API accepts.

function check(schema: TSchema): (value: string) => boolean {
  const validate = compileSchema(schema, 'body');
  return (value) => validate(value) === true;
}
const isEmail = check(Email);
const isName = check(Name);

/** An email address as the API accepts one (format `email`, at most 320 characters). */
export function emailArg(value: string): string {
  if (!isEmail(value)) throw new InvalidArgumentError(value.length > Email.maxLength! ? `an email address has at most ${Email.maxLength} characters.` : 'not an email address.');
  return value;
}

/** A name as the API accepts one (not blank, at most 256 characters), trimmed as the API stores it. */
export function nameArg(value: string): string {
  if (!isName(value)) throw new InvalidArgumentError(value.trim() === '' ? 'a name must not be empty.' : `a name has at most ${Name.maxLength} characters.`);
  return value.trim();
}
