import { Ajv, type Options, type ValidateFunction } from 'ajv';
import type { DataValidationCxt } from 'ajv/dist/types/index.js';
import addFormatsModule from 'ajv-formats';
import type { FormatsPlugin } from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext resolution.
const addFormats: FormatsPlugin = (addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? (addFormatsModule as unknown as FormatsPlugin);

const base: Options = { removeAdditional: false, useDefaults: true, allErrors: false, strict: false };

// Bodies are validated as sent: a string where a number belongs is an error, not a coercion.
const bodyAjv = new Ajv({ ...base, coerceTypes: false });
// Query strings, params and headers are always text on the wire, so they are coerced.
const textAjv = new Ajv({ ...base, coerceTypes: 'array' });
addFormats(bodyAjv);
addFormats(textAjv);

const compileNow = (schema: object, httpPart: string | undefined) => (httpPart === 'body' ? bodyAjv : textAjv).compile(schema);

/**
 * Fastify validator compiler: strict for bodies, coercing for the parts of a request that are text.
 *
 * Each validator is compiled on its route's first request, not at startup: two hundred validators
 * compiled up front slow every request of the process, even on routes that never run them, and
 * startup besides. A test compiles every route's schemas, so a broken schema still fails CI rather
 * than a first request.
 */
export const validatorCompiler: FastifySchemaCompiler<any> = ({ schema, httpPart }) => {
  let compiled: ValidateFunction | undefined;
  const text = httpPart !== 'body';
  const validate = (data: unknown, dataCtx?: DataValidationCxt) => {
    compiled ??= compileNow(schema as object, httpPart);
    const ok = compiled(data, dataCtx);
    validate.errors = compiled.errors;
    return ok && !(text && (validate.errors = nonFinite(data)));
  };
  validate.errors = null as ValidateFunction['errors'];
  // Ajv's mark: Fastify then passes the parent object, so a validator may coerce or default a root value.
  validate.schemaEnv = true;
  return validate;
};

/** Compiles a schema at once (for tests that prove every route's schemas compile). */
export const compileSchema = compileNow;

/**
 * Ajv coerces `1e309` to `Infinity`, which passes `integer` and `minimum`: such a value would reach a
 * query as a page size or an offset. A coerced text part holding a number that is not finite is
 * refused, naming the parameter.
 */
function nonFinite(data: unknown): ValidateFunction['errors'] {
  if (data === null || typeof data !== 'object') return null;
  for (const [name, value] of Object.entries(data)) {
    const values = Array.isArray(value) ? value : [value];
    if (values.some((v) => typeof v === 'number' && !Number.isFinite(v))) {
      return [{ instancePath: `/${name}`, schemaPath: '#/finite', keyword: 'finite', params: {}, message: 'must be a finite number' }];
    }
  }
  return null;
}
