import { Ajv, type Options } from 'ajv';
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

/** Fastify validator compiler: strict for bodies, coercing for the parts of a request that are text. */
export const validatorCompiler: FastifySchemaCompiler<any> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object);
