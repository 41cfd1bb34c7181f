import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestContext, dialectName, seedTenant, type TestContext, type Tenant } from '../helpers/context.js';
import type { IdentitiesTable, IdentityCredentialsTable, SessionsTable } from '../../src/identity/tables.js';
import { secretHash } from '../../src/platform/crypto.js';

// The exact bytes (key order included) of the identity and session documents that the hot reads
// (admin identity read and list, whoami) serve, for a varied set of stored rows: with and without
// external_id, state_changed_at, metadata, credentials, organization and devices, and one session
// stored under the legacy token hash. Rows are written directly so every id and timestamp is fixed.

const T0 = '2024-01-02T03:04:05.678Z';
const T1 = '2024-02-03T04:05:06.789Z';
const FAR = '2999-01-01T00:00:00.000Z';
const ORG = '01900000-0000-7000-8000-0000000000f1';
const I = (n: number) => `01900000-0000-7000-8000-00000000a00${n}`;
const S = (n: number) => `01900000-0000-7000-8000-00000000b00${n}`;
const token = (n: number) => `ory_st_wireFixtureToken000000000000${n}`;

const address = (id: string, value: string, extra: Record<string, unknown> = {}) => ({ id, value, verified: false, via: 'email', status: 'pending', ...extra, created_at: T0, updated_at: T0 });
const recovery = (id: string, value: string) => ({ id, value, via: 'email', created_at: T0, updated_at: T0 });

type IdentityFixture = Omit<IdentitiesTable, 'project_id'>;
const identities: IdentityFixture[] = [
  {
    // The plain one: no metadata, no external id, no credentials.
    id: I(1), schema_id: 'preset://email', traits: JSON.stringify({ email: 'plain@example.com' }), state: 'active', state_changed_at: T0,
    metadata_public: null, metadata_admin: null, external_id: null, organization_id: null,
    verifiable_addresses: JSON.stringify([address('01900000-0000-7000-8000-00000000c001', 'plain@example.com')]),
    recovery_addresses: JSON.stringify([recovery('01900000-0000-7000-8000-00000000d001', 'plain@example.com')]), created_at: T0, updated_at: T1,
  },
  {
    // Everything set, with strings that need escaping.
    id: I(2), schema_id: 'customer', traits: JSON.stringify({ email: 'rich@example.com', name: { first: 'Zoë "Q"', last: '</script>\u2028\\' }, tags: ['a', 1, true, null] }),
    state: 'active', state_changed_at: T1, metadata_public: JSON.stringify({ a: [1, 'two', { three: null }] }), metadata_admin: JSON.stringify({ secret: 'x"y\\z' }),
    external_id: 'ext-"2"', organization_id: null,
    verifiable_addresses: JSON.stringify([address('01900000-0000-7000-8000-00000000c002', 'rich@example.com', { verified: true, status: 'completed', verified_at: T1 })]),
    recovery_addresses: JSON.stringify([]), created_at: T0, updated_at: T1,
  },
  {
    // A row from before state_changed_at existed, inactive, empty external id, scalar metadata.
    id: I(3), schema_id: 'preset://email', traits: JSON.stringify({ email: 'legacy@example.com' }), state: 'inactive', state_changed_at: null,
    metadata_public: JSON.stringify('just text'), metadata_admin: JSON.stringify(0), external_id: '', organization_id: null,
    verifiable_addresses: JSON.stringify([]), recovery_addresses: JSON.stringify([]), created_at: T0, updated_at: T0,
  },
  {
    // A member of an organization, with an empty-object metadata and an empty traits object.
    id: I(4), schema_id: 'preset://email', traits: JSON.stringify({}), state: 'active', state_changed_at: T0,
    metadata_public: JSON.stringify({}), metadata_admin: null, external_id: 'org-member', organization_id: ORG,
    verifiable_addresses: JSON.stringify([]), recovery_addresses: JSON.stringify([]), created_at: T1, updated_at: T1,
  },
];

const credentials: Omit<IdentityCredentialsTable, 'project_id'>[] = [
  { id: '01900000-0000-7000-8000-00000000e002', identity_id: I(2), type: 'password', identifiers: JSON.stringify(['rich@example.com']), config: JSON.stringify({ hashed_password: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA' }), version: 0, created_at: T0, updated_at: T1 },
  { id: '01900000-0000-7000-8000-00000000e004', identity_id: I(4), type: 'password', identifiers: JSON.stringify([]), config: JSON.stringify({}), version: 0, created_at: T1, updated_at: T1 },
];

// `legacy`: stored under the hash used before session tokens went through secretHash.
type SessionFixture = Omit<SessionsTable, 'project_id' | 'token_hash'> & { token: string; legacy?: true };
const sessions: SessionFixture[] = [
  {
    id: S(1), identity_id: I(1), token: token(1), active: 1, aal: 'aal1',
    authentication_methods: JSON.stringify([{ method: 'password', aal: 'aal1', completed_at: T0 }]),
    devices: JSON.stringify([{ id: '01900000-0000-7000-8000-00000000f101', ip_address: '127.0.0.1', user_agent: 'ua "quoted"', location: '' }]),
    issued_at: T0, authenticated_at: T0, expires_at: FAR, created_at: T0, updated_at: T0,
  },
  {
    id: S(2), identity_id: I(2), token: token(2), active: 1, aal: 'aal2',
    authentication_methods: JSON.stringify([{ method: 'password', aal: 'aal1', completed_at: T0 }, { method: 'oidc', aal: 'aal2', completed_at: T1, provider: 'acme', organization: ORG }]),
    devices: JSON.stringify([]), issued_at: T0, authenticated_at: T1, expires_at: FAR, created_at: T0, updated_at: T1,
  },
  {
    id: S(4), identity_id: I(4), token: token(4), legacy: true, active: 1, aal: 'aal1',
    authentication_methods: JSON.stringify([]), devices: JSON.stringify([{ id: '01900000-0000-7000-8000-00000000f401', location: '' }]),
    issued_at: T1, authenticated_at: T1, expires_at: FAR, created_at: T1, updated_at: T1,
  },
];

// The documents as the hand-written encoders produced them before the routes served models; `{base}`
// stands for the project's public base URL. Keys: `{identity id}:{none|[]|pw}` (no credentials, metadata
// only, password config included) and `{session id}` for whoami.
const EXPECTED: Record<string, string> = {
  "01900000-0000-7000-8000-00000000a001:none":
    "{\"id\":\"01900000-0000-7000-8000-00000000a001\",\"schema_id\":\"preset://email\",\"schema_url\":\"{base}/schemas/cHJlc2V0Oi8vZW1haWw\",\"state\":\"active\",\"state_changed_at\":\"2024-01-02T03:04:05.678Z\",\"traits\":{\"email\":\"plain@example.com\"},\"verifiable_addresses\":[{\"id\":\"01900000-0000-7000-8000-00000000c001\",\"value\":\"plain@example.com\",\"verified\":false,\"via\":\"email\",\"status\":\"pending\",\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-01-02T03:04:05.678Z\"}],\"recovery_addresses\":[{\"id\":\"01900000-0000-7000-8000-00000000d001\",\"value\":\"plain@example.com\",\"via\":\"email\",\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-01-02T03:04:05.678Z\"}],\"metadata_public\":null,\"metadata_admin\":null,\"organization_id\":null,\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-02-03T04:05:06.789Z\"}",
  "01900000-0000-7000-8000-00000000a001:[]":
    "{\"id\":\"01900000-0000-7000-8000-00000000a001\",\"schema_id\":\"preset://email\",\"schema_url\":\"{base}/schemas/cHJlc2V0Oi8vZW1haWw\",\"state\":\"active\",\"state_changed_at\":\"2024-01-02T03:04:05.678Z\",\"traits\":{\"email\":\"plain@example.com\"},\"verifiable_addresses\":[{\"id\":\"01900000-0000-7000-8000-00000000c001\",\"value\":\"plain@example.com\",\"verified\":false,\"via\":\"email\",\"status\":\"pending\",\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-01-02T03:04:05.678Z\"}],\"recovery_addresses\":[{\"id\":\"01900000-0000-7000-8000-00000000d001\",\"value\":\"plain@example.com\",\"via\":\"email\",\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-01-02T03:04:05.678Z\"}],\"metadata_public\":null,\"metadata_admin\":null,\"organization_id\":null,\"credentials\":{},\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-02-03T04:05:06.789Z\"}",
  "01900000-0000-7000-8000-00000000a001:pw":
    "{\"id\":\"01900000-0000-7000-8000-00000000a001\",\"schema_id\":\"preset://email\",\"schema_url\":\"{base}/schemas/cHJlc2V0Oi8vZW1haWw\",\"state\":\"active\",\"state_changed_at\":\"2024-01-02T03:04:05.678Z\",\"traits\":{\"email\":\"plain@example.com\"},\"verifiable_addresses\":[{\"id\":\"01900000-0000-7000-8000-00000000c001\",\"value\":\"plain@example.com\",\"verified\":false,\"via\":\"email\",\"status\":\"pending\",\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-01-02T03:04:05.678Z\"}],\"recovery_addresses\":[{\"id\":\"01900000-0000-7000-8000-00000000d001\",\"value\":\"plain@example.com\",\"via\":\"email\",\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-01-02T03:04:05.678Z\"}],\"metadata_public\":null,\"metadata_admin\":null,\"organization_id\":null,\"credentials\":{},\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-02-03T04:05:06.789Z\"}",
  "01900000-0000-7000-8000-00000000a002:none":
    "{\"id\":\"01900000-0000-7000-8000-00000000a002\",\"schema_id\":\"customer\",\"schema_url\":\"{base}/schemas/Y3VzdG9tZXI\",\"state\":\"active\",\"state_changed_at\":\"2024-02-03T04:05:06.789Z\",\"traits\":{\"email\":\"rich@example.com\",\"name\":{\"first\":\"Zoë \\\"Q\\\"\",\"last\":\"</script>\u2028\\\\\"},\"tags\":[\"a\",1,true,null]},\"verifiable_addresses\":[{\"id\":\"01900000-0000-7000-8000-00000000c002\",\"value\":\"rich@example.com\",\"verified\":true,\"via\":\"email\",\"status\":\"completed\",\"verified_at\":\"2024-02-03T04:05:06.789Z\",\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-01-02T03:04:05.678Z\"}],\"recovery_addresses\":[],\"metadata_public\":{\"a\":[1,\"two\",{\"three\":null}]},\"metadata_admin\":{\"secret\":\"x\\\"y\\\\z\"},\"external_id\":\"ext-\\\"2\\\"\",\"organization_id\":null,\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-02-03T04:05:06.789Z\"}",
  "01900000-0000-7000-8000-00000000a002:[]":
    "{\"id\":\"01900000-0000-7000-8000-00000000a002\",\"schema_id\":\"customer\",\"schema_url\":\"{base}/schemas/Y3VzdG9tZXI\",\"state\":\"active\",\"state_changed_at\":\"2024-02-03T04:05:06.789Z\",\"traits\":{\"email\":\"rich@example.com\",\"name\":{\"first\":\"Zoë \\\"Q\\\"\",\"last\":\"</script>\u2028\\\\\"},\"tags\":[\"a\",1,true,null]},\"verifiable_addresses\":[{\"id\":\"01900000-0000-7000-8000-00000000c002\",\"value\":\"rich@example.com\",\"verified\":true,\"via\":\"email\",\"status\":\"completed\",\"verified_at\":\"2024-02-03T04:05:06.789Z\",\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-01-02T03:04:05.678Z\"}],\"recovery_addresses\":[],\"metadata_public\":{\"a\":[1,\"two\",{\"three\":null}]},\"metadata_admin\":{\"secret\":\"x\\\"y\\\\z\"},\"external_id\":\"ext-\\\"2\\\"\",\"organization_id\":null,\"credentials\":{\"password\":{\"type\":\"password\",\"identifiers\":[\"rich@example.com\"],\"version\":0,\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-02-03T04:05:06.789Z\"}},\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-02-03T04:05:06.789Z\"}",
  "01900000-0000-7000-8000-00000000a002:pw":
    "{\"id\":\"01900000-0000-7000-8000-00000000a002\",\"schema_id\":\"customer\",\"schema_url\":\"{base}/schemas/Y3VzdG9tZXI\",\"state\":\"active\",\"state_changed_at\":\"2024-02-03T04:05:06.789Z\",\"traits\":{\"email\":\"rich@example.com\",\"name\":{\"first\":\"Zoë \\\"Q\\\"\",\"last\":\"</script>\u2028\\\\\"},\"tags\":[\"a\",1,true,null]},\"verifiable_addresses\":[{\"id\":\"01900000-0000-7000-8000-00000000c002\",\"value\":\"rich@example.com\",\"verified\":true,\"via\":\"email\",\"status\":\"completed\",\"verified_at\":\"2024-02-03T04:05:06.789Z\",\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-01-02T03:04:05.678Z\"}],\"recovery_addresses\":[],\"metadata_public\":{\"a\":[1,\"two\",{\"three\":null}]},\"metadata_admin\":{\"secret\":\"x\\\"y\\\\z\"},\"external_id\":\"ext-\\\"2\\\"\",\"organization_id\":null,\"credentials\":{\"password\":{\"type\":\"password\",\"identifiers\":[\"rich@example.com\"],\"version\":0,\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-02-03T04:05:06.789Z\",\"config\":{\"hashed_password\":\"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA\"}}},\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-02-03T04:05:06.789Z\"}",
  "01900000-0000-7000-8000-00000000a003:none":
    "{\"id\":\"01900000-0000-7000-8000-00000000a003\",\"schema_id\":\"preset://email\",\"schema_url\":\"{base}/schemas/cHJlc2V0Oi8vZW1haWw\",\"state\":\"inactive\",\"traits\":{\"email\":\"legacy@example.com\"},\"verifiable_addresses\":[],\"recovery_addresses\":[],\"metadata_public\":\"just text\",\"metadata_admin\":0,\"organization_id\":null,\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-01-02T03:04:05.678Z\"}",
  "01900000-0000-7000-8000-00000000a003:[]":
    "{\"id\":\"01900000-0000-7000-8000-00000000a003\",\"schema_id\":\"preset://email\",\"schema_url\":\"{base}/schemas/cHJlc2V0Oi8vZW1haWw\",\"state\":\"inactive\",\"traits\":{\"email\":\"legacy@example.com\"},\"verifiable_addresses\":[],\"recovery_addresses\":[],\"metadata_public\":\"just text\",\"metadata_admin\":0,\"organization_id\":null,\"credentials\":{},\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-01-02T03:04:05.678Z\"}",
  "01900000-0000-7000-8000-00000000a003:pw":
    "{\"id\":\"01900000-0000-7000-8000-00000000a003\",\"schema_id\":\"preset://email\",\"schema_url\":\"{base}/schemas/cHJlc2V0Oi8vZW1haWw\",\"state\":\"inactive\",\"traits\":{\"email\":\"legacy@example.com\"},\"verifiable_addresses\":[],\"recovery_addresses\":[],\"metadata_public\":\"just text\",\"metadata_admin\":0,\"organization_id\":null,\"credentials\":{},\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-01-02T03:04:05.678Z\"}",
  "01900000-0000-7000-8000-00000000a004:none":
    "{\"id\":\"01900000-0000-7000-8000-00000000a004\",\"schema_id\":\"preset://email\",\"schema_url\":\"{base}/schemas/cHJlc2V0Oi8vZW1haWw\",\"state\":\"active\",\"state_changed_at\":\"2024-01-02T03:04:05.678Z\",\"traits\":{},\"verifiable_addresses\":[],\"recovery_addresses\":[],\"metadata_public\":{},\"metadata_admin\":null,\"external_id\":\"org-member\",\"organization_id\":\"01900000-0000-7000-8000-0000000000f1\",\"created_at\":\"2024-02-03T04:05:06.789Z\",\"updated_at\":\"2024-02-03T04:05:06.789Z\"}",
  "01900000-0000-7000-8000-00000000a004:[]":
    "{\"id\":\"01900000-0000-7000-8000-00000000a004\",\"schema_id\":\"preset://email\",\"schema_url\":\"{base}/schemas/cHJlc2V0Oi8vZW1haWw\",\"state\":\"active\",\"state_changed_at\":\"2024-01-02T03:04:05.678Z\",\"traits\":{},\"verifiable_addresses\":[],\"recovery_addresses\":[],\"metadata_public\":{},\"metadata_admin\":null,\"external_id\":\"org-member\",\"organization_id\":\"01900000-0000-7000-8000-0000000000f1\",\"credentials\":{\"password\":{\"type\":\"password\",\"identifiers\":[],\"version\":0,\"created_at\":\"2024-02-03T04:05:06.789Z\",\"updated_at\":\"2024-02-03T04:05:06.789Z\"}},\"created_at\":\"2024-02-03T04:05:06.789Z\",\"updated_at\":\"2024-02-03T04:05:06.789Z\"}",
  "01900000-0000-7000-8000-00000000a004:pw":
    "{\"id\":\"01900000-0000-7000-8000-00000000a004\",\"schema_id\":\"preset://email\",\"schema_url\":\"{base}/schemas/cHJlc2V0Oi8vZW1haWw\",\"state\":\"active\",\"state_changed_at\":\"2024-01-02T03:04:05.678Z\",\"traits\":{},\"verifiable_addresses\":[],\"recovery_addresses\":[],\"metadata_public\":{},\"metadata_admin\":null,\"external_id\":\"org-member\",\"organization_id\":\"01900000-0000-7000-8000-0000000000f1\",\"credentials\":{\"password\":{\"type\":\"password\",\"identifiers\":[],\"version\":0,\"created_at\":\"2024-02-03T04:05:06.789Z\",\"updated_at\":\"2024-02-03T04:05:06.789Z\",\"config\":{}}},\"created_at\":\"2024-02-03T04:05:06.789Z\",\"updated_at\":\"2024-02-03T04:05:06.789Z\"}",
  "01900000-0000-7000-8000-00000000b001":
    "{\"id\":\"01900000-0000-7000-8000-00000000b001\",\"active\":true,\"expires_at\":\"2999-01-01T00:00:00.000Z\",\"authenticated_at\":\"2024-01-02T03:04:05.678Z\",\"authenticator_assurance_level\":\"aal1\",\"authentication_methods\":[{\"method\":\"password\",\"aal\":\"aal1\",\"completed_at\":\"2024-01-02T03:04:05.678Z\"}],\"issued_at\":\"2024-01-02T03:04:05.678Z\",\"identity\":{\"id\":\"01900000-0000-7000-8000-00000000a001\",\"schema_id\":\"preset://email\",\"schema_url\":\"{base}/schemas/cHJlc2V0Oi8vZW1haWw\",\"state\":\"active\",\"state_changed_at\":\"2024-01-02T03:04:05.678Z\",\"traits\":{\"email\":\"plain@example.com\"},\"verifiable_addresses\":[{\"id\":\"01900000-0000-7000-8000-00000000c001\",\"value\":\"plain@example.com\",\"verified\":false,\"via\":\"email\",\"status\":\"pending\",\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-01-02T03:04:05.678Z\"}],\"recovery_addresses\":[{\"id\":\"01900000-0000-7000-8000-00000000d001\",\"value\":\"plain@example.com\",\"via\":\"email\",\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-01-02T03:04:05.678Z\"}],\"metadata_public\":null,\"organization_id\":null,\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-02-03T04:05:06.789Z\"},\"devices\":[{\"id\":\"01900000-0000-7000-8000-00000000f101\",\"ip_address\":\"127.0.0.1\",\"user_agent\":\"ua \\\"quoted\\\"\",\"location\":\"\"}]}",
  "01900000-0000-7000-8000-00000000b002":
    "{\"id\":\"01900000-0000-7000-8000-00000000b002\",\"active\":true,\"expires_at\":\"2999-01-01T00:00:00.000Z\",\"authenticated_at\":\"2024-02-03T04:05:06.789Z\",\"authenticator_assurance_level\":\"aal2\",\"authentication_methods\":[{\"method\":\"password\",\"aal\":\"aal1\",\"completed_at\":\"2024-01-02T03:04:05.678Z\"},{\"method\":\"oidc\",\"aal\":\"aal2\",\"completed_at\":\"2024-02-03T04:05:06.789Z\",\"provider\":\"acme\",\"organization\":\"01900000-0000-7000-8000-0000000000f1\"}],\"issued_at\":\"2024-01-02T03:04:05.678Z\",\"identity\":{\"id\":\"01900000-0000-7000-8000-00000000a002\",\"schema_id\":\"customer\",\"schema_url\":\"{base}/schemas/Y3VzdG9tZXI\",\"state\":\"active\",\"state_changed_at\":\"2024-02-03T04:05:06.789Z\",\"traits\":{\"email\":\"rich@example.com\",\"name\":{\"first\":\"Zoë \\\"Q\\\"\",\"last\":\"</script>\u2028\\\\\"},\"tags\":[\"a\",1,true,null]},\"verifiable_addresses\":[{\"id\":\"01900000-0000-7000-8000-00000000c002\",\"value\":\"rich@example.com\",\"verified\":true,\"via\":\"email\",\"status\":\"completed\",\"verified_at\":\"2024-02-03T04:05:06.789Z\",\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-01-02T03:04:05.678Z\"}],\"recovery_addresses\":[],\"metadata_public\":{\"a\":[1,\"two\",{\"three\":null}]},\"external_id\":\"ext-\\\"2\\\"\",\"organization_id\":null,\"created_at\":\"2024-01-02T03:04:05.678Z\",\"updated_at\":\"2024-02-03T04:05:06.789Z\"},\"devices\":[]}",
  "01900000-0000-7000-8000-00000000b004":
    "{\"id\":\"01900000-0000-7000-8000-00000000b004\",\"active\":true,\"expires_at\":\"2999-01-01T00:00:00.000Z\",\"authenticated_at\":\"2024-02-03T04:05:06.789Z\",\"authenticator_assurance_level\":\"aal1\",\"authentication_methods\":[],\"issued_at\":\"2024-02-03T04:05:06.789Z\",\"identity\":{\"id\":\"01900000-0000-7000-8000-00000000a004\",\"schema_id\":\"preset://email\",\"schema_url\":\"{base}/schemas/cHJlc2V0Oi8vZW1haWw\",\"state\":\"active\",\"state_changed_at\":\"2024-01-02T03:04:05.678Z\",\"traits\":{},\"verifiable_addresses\":[],\"recovery_addresses\":[],\"metadata_public\":{},\"external_id\":\"org-member\",\"organization_id\":\"01900000-0000-7000-8000-0000000000f1\",\"created_at\":\"2024-02-03T04:05:06.789Z\",\"updated_at\":\"2024-02-03T04:05:06.789Z\"},\"devices\":[{\"id\":\"01900000-0000-7000-8000-00000000f401\",\"location\":\"\"}]}",
};

describe(`wire format of the hot identity reads (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  let base: string;
  const get = (path: string, headers: Record<string, string>) => ctx.app.inject({ method: 'GET', url: `/p/${t.projectSlug}${path}`, headers });

  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry, 'wire');
    base = `http://${t.projectSlug}.projects.gatehouse.test`;
    const db = ctx.registry.db;
    await db.insertInto('organizations').values({ id: ORG, project_id: t.projectId, label: 'Org', session_lifespan: null, created_at: T0, updated_at: T0 }).execute();
    await db.insertInto('identities').values(identities.map((i) => ({ ...i, project_id: t.projectId }))).execute();
    await db.insertInto('identity_credentials').values(credentials.map((c) => ({ ...c, project_id: t.projectId }))).execute();
    await db
      .insertInto('sessions')
      .values(sessions.map(({ token: tok, legacy, ...s }) => ({ ...s, project_id: t.projectId, token_hash: tokenHash(tok, legacy) })))
      .execute();
  });
  afterAll(() => ctx.close());

  const tokenHash = (tok: string, legacy?: true) => {
    const secret = ctx.registry.config.secret;
    return legacy ? createHmac('sha256', secret).update(`session:${tok}`).digest('hex') : secretHash(secret, 'session', tok);
  };

  const expected = (key: string) => EXPECTED[key].split('{base}').join(base);
  const expectedIdentity = (row: IdentityFixture, include: string[] | null) => expected(`${row.id}:${include === null ? 'none' : include.length ? 'pw' : '[]'}`);
  const expectedSession = (s: SessionFixture) => expected(s.id);

  it('serves GET /admin/identities/:id byte for byte as the encoders did', async () => {
    for (const row of identities) {
      for (const include of [[], ['password']]) {
        const qs = include.length ? `?include_credential=${include.join('&include_credential=')}` : '';
        const res = await get(`/admin/identities/${row.id}${qs}`, bearer(t.projectKey));
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(res.body).toBe(expectedIdentity(row, include));
      }
    }
  });

  it('serves GET /admin/identities byte for byte as the encoders did', async () => {
    for (const include of [null, ['password']]) {
      const qs = include ? '?include_credential=password' : '';
      const res = await get(`/admin/identities${qs}`, bearer(t.projectKey));
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.body).toBe(`[${identities.map((r) => expectedIdentity(r, include)).join(',')}]`);
    }
    const page = await get(`/admin/identities?page_size=1&ids=${I(4)}&ids=${I(2)}`, bearer(t.projectKey));
    expect(page.body).toBe(`[${expectedIdentity(identities[1], null)}]`);
    expect(page.headers.link).toBeDefined();
    const none = await get(`/admin/identities?credentials_identifier=nobody@example.com`, bearer(t.projectKey));
    expect(none.body).toBe('[]');
  });

  it('serves GET /sessions/whoami byte for byte as the encoders did', async () => {
    for (const s of sessions) {
      // Twice: the second answer may come from the read cache and must be the same bytes.
      for (let k = 0; k < 2; k++) {
        const res = await get('/sessions/whoami', { 'x-session-token': s.token });
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(res.headers['x-kratos-authenticated-identity-id']).toBe(s.identity_id);
        expect(res.headers['cache-control']).toBe('private, no-cache, no-store, must-revalidate');
        expect(res.body).toBe(expectedSession(s));
      }
    }
  });

  it('revokes a session stored under the legacy token hash by its token', async () => {
    // Its own row, so the documents above stay as they are whatever the order of the tests.
    const { token: _t, legacy: _l, ...row } = sessions.find((s) => s.legacy)!;
    const tok = token(9);
    await ctx.registry.db.insertInto('sessions').values({ ...row, id: S(9), project_id: t.projectId, token_hash: tokenHash(tok, true) }).execute();
    expect((await get('/sessions/whoami', { 'x-session-token': tok })).statusCode).toBe(200);
    const project = (await ctx.registry.projects.bySlug(t.projectSlug))!;
    expect(await ctx.registry.sessions.revokeByToken(project, tok)).toBe(true);
    expect((await get('/sessions/whoami', { 'x-session-token': tok })).statusCode).toBe(401);
  });
});
