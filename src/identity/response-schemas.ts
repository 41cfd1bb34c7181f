import { Type, type TOptional, type TProperties } from '@sinclair/typebox';

// Response schemas of the identity models (`Identity` and `Session` of @ory/client 1.22), so Fastify
// serialises them with fast-json-stringify. Properties are listed in the order they go on the wire.
// What a project stores or a client sent (traits, metadata, addresses, credentials, methods,
// devices) is passed through as arbitrary JSON. A response schema also drops undeclared fields:
// every field of the models is declared here.
//
// fast-json-stringify writes required properties before optional ones, which would reorder the
// documents clients have always received; so no property is marked required and the declared order
// is the wire order. The models' types say which fields are always present.

const Json = Type.Unknown();
const NullableString = Type.Unsafe<string | null>({ type: ['string', 'null'] });
/** Every property optional (see above), in the given order. */
const inOrder = <P extends TProperties>(properties: P) =>
  Type.Object(Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, Type.Optional(v)])) as { [K in keyof P]: TOptional<P[K]> });

/** The wire `Identity`. Omitted when absent: `state_changed_at`, `metadata_admin` (end-user views), `external_id`, `credentials`. */
export const IdentityResponse = inOrder({
  id: Type.String(),
  schema_id: Type.String(),
  schema_url: Type.String(),
  state: Type.String({ description: '"active" or "inactive"' }),
  state_changed_at: Type.String(),
  traits: Json,
  verifiable_addresses: Json,
  recovery_addresses: Json,
  metadata_public: Json,
  metadata_admin: Json,
  external_id: Type.String(),
  organization_id: NullableString,
  credentials: Json,
  created_at: Type.String(),
  updated_at: Type.String(),
});

/** The wire `Session`; `identity` and `devices` only when expanded. */
export const SessionResponse = inOrder({
  id: Type.String(),
  active: Type.Boolean(),
  expires_at: Type.String(),
  authenticated_at: Type.String(),
  authenticator_assurance_level: Type.String({ description: '"aal1" or "aal2"' }),
  authentication_methods: Json,
  issued_at: Type.String(),
  identity: IdentityResponse,
  devices: Json,
  tokenized: Type.String(),
});
