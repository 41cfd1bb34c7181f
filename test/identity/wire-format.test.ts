import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestContext, dialectName, seedTenant, type TestContext, type Tenant } from '../helpers/context.js';
import { identityJson, sessionJson } from '../../src/identity/wire-json.js';
import { rowToCredentials, type IdentityCredentials } from '../../src/identity/models.js';
import type { IdentitiesTable, IdentityCredentialsTable, SessionsTable } from '../../src/identity/tables.js';
import { createHmac } from 'node:crypto';
import { secretHash } from '../../src/platform/crypto.js';

// The exact bytes of the identity and session documents that the hot reads (admin identity read and
// list, whoami) serve, for a varied set of stored rows: with and without external_id,
// state_changed_at, metadata, credentials, organization and devices. Rows are written directly so
// every id and timestamp is fixed.

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

  // What the old hand-written encoder produced for a stored identity (admin view).
  const oldIdentity = (row: IdentityFixture, include: string[] | null, admin = true) => {
    let creds: string | undefined;
    if (include !== null) {
      const m: Record<string, IdentityCredentials> = {};
      for (const c of credentials.filter((c) => c.identity_id === row.id)) m[c.type] = rowToCredentials(c, include.includes(c.type));
      creds = JSON.stringify(m);
    }
    return identityJson(row, base, { admin, credentials: creds });
  };
  const oldSession = (s: SessionFixture) => {
    const identity = oldIdentity(identities.find((i) => i.id === s.identity_id)!, null, false);
    const { token: _t, legacy: _l, ...row } = s;
    return sessionJson({ ...row, project_id: t.projectId, token_hash: '' }, identity, { devices: true });
  };

  it('serves GET /admin/identities/:id byte for byte as before', async () => {
    for (const row of identities) {
      for (const include of [[], ['password']]) {
        const qs = include.length ? `?include_credential=${include.join('&include_credential=')}` : '';
        const res = await get(`/admin/identities/${row.id}${qs}`, bearer(t.projectKey));
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(res.body).toBe(oldIdentity(row, include));
      }
    }
  });

  it('serves GET /admin/identities byte for byte as before', async () => {
    for (const include of [null, ['password']]) {
      const qs = include ? '?include_credential=password' : '';
      const res = await get(`/admin/identities${qs}`, bearer(t.projectKey));
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.body).toBe(`[${identities.map((r) => oldIdentity(r, include)).join(',')}]`);
    }
    const page = await get(`/admin/identities?page_size=1&ids=${I(4)}&ids=${I(2)}`, bearer(t.projectKey));
    expect(page.body).toBe(`[${oldIdentity(identities[1], null)}]`);
    expect(page.headers.link).toBeDefined();
    const none = await get(`/admin/identities?credentials_identifier=nobody@example.com`, bearer(t.projectKey));
    expect(none.body).toBe('[]');
  });

  it('serves GET /sessions/whoami byte for byte as before', async () => {
    for (const s of sessions) {
      // Twice: the second answer may come from the read cache and must be the same bytes.
      for (let k = 0; k < 2; k++) {
        const res = await get('/sessions/whoami', { 'x-session-token': s.token });
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(res.headers['x-kratos-authenticated-identity-id']).toBe(s.identity_id);
        expect(res.headers['cache-control']).toBe('private, no-cache, no-store, must-revalidate');
        expect(res.body).toBe(oldSession(s));
      }
    }
  });
});
