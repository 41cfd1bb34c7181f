import type { ValidateFunction } from 'ajv';
import { compileSchema } from '../platform/http/validation.js';

/**
 * The types of the project config keys Gatehouse acts on, checked on every write through the
 * Management API (PUT or JSON Patch), as Ory Network does: a config the planes would silently ignore
 * or fail on later is refused with a 400 naming the key, and nothing is stored. Keys Gatehouse does
 * not act on are kept as given (Ory configs carry many).
 */

const DURATION = { type: 'string', pattern: '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$' } as const;
/** A lifespan: a duration that is not zero (a zero session or token lifespan ends it as it starts). */
const LIFESPAN = { ...DURATION, pattern: '^(?=[^1-9]*[1-9])([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$' } as const;
const URL_OR_EMPTY = { type: 'string', maxLength: 2048 } as const;
const STRINGS = { type: 'array', items: { type: 'string', maxLength: 2048 }, maxItems: 1000 } as const;
const obj = (properties: Record<string, object>, extra: object = {}) => ({ type: 'object', properties, ...extra });
/** Headers a project adds to what it sends: token names, values without line breaks (no header injection). */
const HEADERS = obj({}, { maxProperties: 50, propertyNames: { pattern: '^[A-Za-z0-9-]{1,64}$' }, additionalProperties: { type: 'string', maxLength: 1024, pattern: '^[^\\r\\n]*$' } });
/** A WebAuthn relying party: its id is a host name (no scheme, port or path); origins are `scheme://host[:port]`. */
const RELYING_PARTY = obj({
  id: { type: 'string', minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.-]+$' },
  display_name: { type: 'string', minLength: 1, maxLength: 128 },
  origins: { type: 'array', maxItems: 20, items: { type: 'string', maxLength: 2048, pattern: '^https?://[^/?#]+$' } },
  origin: { type: 'string', maxLength: 2048, pattern: '^https?://[^/?#]+$' },
});

const method = obj({ enabled: { type: 'boolean' }, config: { type: 'object' } });
const flow = obj({
  enabled: { type: 'boolean' },
  lifespan: LIFESPAN,
  ui_url: URL_OR_EMPTY,
  use: { enum: ['code', 'link'] },
  privileged_session_max_age: DURATION,
  login_hints: { type: 'boolean' },
  after: { type: 'object' },
  required_aal: { enum: ['highest_available', 'aal1'] },
});

const identity = obj({
  identity: obj({
    default_schema_id: { type: 'string', minLength: 1, maxLength: 2048 },
    schemas: { type: 'array', maxItems: 100, items: obj({ id: { type: 'string', minLength: 1, maxLength: 2048 }, url: { type: 'string', minLength: 1 } }, { required: ['id', 'url'] }) },
  }),
  selfservice: obj({
    default_browser_return_url: URL_OR_EMPTY,
    allowed_return_urls: STRINGS,
    methods: obj(
      {
        password: obj({
          enabled: { type: 'boolean' },
          config: obj({
            min_password_length: { type: 'integer', minimum: 6, maximum: 1024 },
            identifier_similarity_check_enabled: { type: 'boolean' },
            haveibeenpwned_enabled: { type: 'boolean' },
            max_breaches: { type: 'integer', minimum: 0 },
          }),
        }),
        totp: obj({ enabled: { type: 'boolean' }, config: obj({ issuer: { type: 'string', minLength: 1, maxLength: 128 } }) }),
        // Gatehouse offers WebAuthn as a second factor; first-factor keys are passkeys (`passkey`).
        webauthn: obj({ enabled: { type: 'boolean' }, config: obj({ passwordless: { const: false }, rp: RELYING_PARTY }) }),
        passkey: obj({ enabled: { type: 'boolean' }, config: obj({ rp: RELYING_PARTY }) }),
      },
      { additionalProperties: method },
    ),
    flows: obj({}, { additionalProperties: flow }),
  }),
  session: obj({
    lifespan: LIFESPAN,
    earliest_possible_extend: DURATION,
    cookie: obj({ persistent: { type: 'boolean' }, same_site: { enum: ['Strict', 'Lax', 'None'] }, domain: { type: 'string' }, path: { type: 'string' }, name: { type: 'string' } }),
    whoami: obj({
      required_aal: { enum: ['highest_available', 'aal1'] },
      tokenizer: obj({
        templates: obj({}, {
          maxProperties: 100,
          propertyNames: { maxLength: 128 },
          additionalProperties: obj({
            ttl: LIFESPAN,
            subject_source: { enum: ['id', 'external_id'] },
            claims: obj({}, { maxProperties: 100, additionalProperties: { anyOf: [obj({ from: { type: 'string', maxLength: 1024 } }, { required: ['from'], additionalProperties: false }), { not: { type: 'object' } }] } }),
          }),
        }),
      }),
    }),
  }),
  courier: obj({
    delivery_strategy: { enum: ['outbox', 'smtp', 'http'] },
    message_retries: { type: 'integer', minimum: 0, maximum: 50 },
    smtp: obj({
      connection_uri: { type: 'string', maxLength: 4096 },
      from_address: { type: 'string', maxLength: 320 },
      from_name: { type: 'string', maxLength: 256, pattern: '^[^\\r\\n]*$' },
      headers: HEADERS,
      local_name: { type: 'string', maxLength: 253, pattern: '^[A-Za-z0-9.-]*$' },
    }),
    http: obj({
      request_config: obj({
        url: { type: 'string', maxLength: 2048 },
        method: { type: 'string', maxLength: 16 },
        headers: HEADERS,
        auth: obj({ type: { enum: ['basic_auth', 'api_key'] }, config: { type: 'object' } }),
      }),
    }),
  }),
});

const oauth2 = obj({
  ttl: obj({}, { additionalProperties: LIFESPAN }),
  strategies: obj({ access_token: { enum: ['opaque', 'jwt'] }, scope: { enum: ['exact', 'wildcard'] } }),
  urls: obj({}, { additionalProperties: { anyOf: [URL_OR_EMPTY, { type: 'object' }] } }),
  oauth2: obj({
    pkce: obj({ enforced: { type: 'boolean' }, enforced_for_public_clients: { type: 'boolean' } }),
    // The RFC 7523 JWT bearer grant (Hydra's keys).
    grant: obj({ jwt: obj({ max_ttl: LIFESPAN, iat_optional: { type: 'boolean' }, jti_optional: { type: 'boolean' } }) }),
    // RFC 8628 (Hydra's keys): how often a device may poll the token endpoint.
    device_authorization: obj({ token_polling_interval: LIFESPAN }),
  }),
  secrets: obj({ system: STRINGS, cookie: STRINGS }),
});

const permission = obj({
  namespaces: {
    anyOf: [
      { type: 'array', maxItems: 1000, items: { anyOf: [{ type: 'string' }, obj({ id: { type: 'integer' }, name: { type: 'string', minLength: 1 } }, { required: ['name'] })] } },
      obj({ location: { type: 'string' } }, { required: ['location'] }),
    ],
  },
  opl: { type: 'string' },
  limit: obj({ max_read_depth: { type: 'integer', minimum: 1, maximum: 100 } }),
  batch_check: obj({ max_batch_size: { type: 'integer', minimum: 1 } }),
});

const SCHEMAS = { identity, oauth2, permission } as const;
export type Plane = keyof typeof SCHEMAS;

const compiled = new Map<Plane, ValidateFunction>();

/** What is wrong with one plane's config, in words naming the key, or null when nothing is. */
export function configTypeProblem(plane: Plane, config: unknown): string | null {
  let validate = compiled.get(plane);
  if (!validate) compiled.set(plane, (validate = compileSchema(SCHEMAS[plane], 'body')));
  if (validate(config)) return null;
  const e = validate.errors?.[0];
  const at = `services.${plane}.config${(e?.instancePath ?? '').replace(/\//g, '.')}`;
  return `${at} ${e?.message ?? 'is invalid'}.`;
}
