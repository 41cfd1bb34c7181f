import type { Insertable } from 'kysely';
import type { Database } from '../../src/database.js';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { hashPassword } from '../../src/identity/passwords.js';
import { newId, nowIso } from '../../src/platform/ids.js';
import type { Registry } from '../../src/registry.js';
import { seedTenant, type Tenant } from '../../test/helpers/context.js';
import type { BenchEnv, BenchRequest, Scenario } from '../scenario.js';

// Identity plane scenarios: whoami with a valid session token and an authenticated
// GET /admin/identities/{id}, on the bench tenant's small project, and the same lookups (plus a list
// page and an identifier lookup) on a second project of the same store holding 100,000 identities
// (each with a password identifier, two addresses and a session). Compare each "100k" row with its
// small-project twin: the goal is within 10%.
//
// Notes for reading the numbers: the runner prepares every scenario before measuring any, so the
// small-project rows also run with the 100k rows in the store (in another project; every index
// starts with project_id). On the embedded SQLite store whoami and the admin identity read are
// served from a write-invalidated in-process cache after the first request (see SessionService and
// IdentityService); list pages and identifier lookups always query. `seedIdentities` is exported
// for a runner that wants a separate large-store pass.

export const LARGE_IDENTITY_COUNT = 100_000;

async function sessionFor(registry: Registry, tenant: Tenant, email: string): Promise<{ identityId: string; token: string }> {
  const project = (await registry.projects.bySlug(tenant.projectSlug))!;
  const identity = (await registry.identities.findByPasswordIdentifier(tenant.projectId, email)) ?? (await registry.identities.create(project, { traits: { email } }));
  const { token } = await registry.sessions.issue(project, identity.id, {
    methods: [{ method: 'password', aal: 'aal1', completed_at: nowIso() }],
    devices: [{ ip_address: '127.0.0.1', user_agent: 'autocannon' }],
  });
  return { identityId: identity.id, token };
}

/**
 * Bulk-inserts `n` identities (traits, password credential with its identifier, verifiable and
 * recovery address, one session each) into a project, in one transaction per 1,000 rows. Every
 * identity gets the same argon2 hash of "bench password", so password checks work too.
 */
export async function seedIdentities(registry: Registry, tenant: Tenant, n: number, prefix = 'bulk'): Promise<void> {
  const hashed = JSON.stringify({ hashed_password: await hashPassword('bench password') });
  const now = nowIso();
  const expires = new Date(Date.now() + 30 * 24 * 3600_000).toISOString();
  const p = tenant.projectId;
  const CHUNK = 1000;
  for (let done = 0; done < n; done += CHUNK) {
    const size = Math.min(CHUNK, n - done);
    const identities: Insertable<Database['identities']>[] = [];
    const credentials: Insertable<Database['identity_credentials']>[] = [];
    const identifiers: Insertable<Database['identity_credential_identifiers']>[] = [];
    const addresses: Insertable<Database['identity_addresses']>[] = [];
    const sessions: Insertable<Database['sessions']>[] = [];
    for (let k = 0; k < size; k++) {
      const id = newId();
      const credId = newId();
      const email = `${prefix}-${done + k}@example.com`;
      identities.push({
        id, project_id: p, schema_id: 'preset://email', traits: JSON.stringify({ email }), state: 'active' as const, state_changed_at: now,
        metadata_public: null, metadata_admin: null, external_id: null, organization_id: null,
        verifiable_addresses: JSON.stringify([{ id: newId(), value: email, verified: false, via: 'email', status: 'pending', created_at: now, updated_at: now }]),
        recovery_addresses: JSON.stringify([{ id: newId(), value: email, via: 'email', created_at: now, updated_at: now }]),
        created_at: now, updated_at: now,
      });
      credentials.push({ id: credId, project_id: p, identity_id: id, type: 'password', identifiers: JSON.stringify([email]), config: hashed, version: 0, created_at: now, updated_at: now });
      identifiers.push({ project_id: p, type: 'password', identifier: email, identity_id: id, credential_id: credId });
      addresses.push({ project_id: p, kind: 'verifiable' as const, via: 'email', value: email, identity_id: id }, { project_id: p, kind: 'recovery' as const, via: 'email', value: email, identity_id: id });
      sessions.push({
        id: newId(), project_id: p, identity_id: id, token_hash: randomBytes(32).toString('hex'), active: 1, aal: 'aal1' as const,
        authentication_methods: JSON.stringify([{ method: 'password', aal: 'aal1', completed_at: now }]), devices: '[]',
        issued_at: now, authenticated_at: now, expires_at: expires, created_at: now, updated_at: now,
      });
    }
    await registry.db.transaction().execute(async (trx) => {
      // Row-count limits per statement (SQLite host parameters) keep each insert well under 32k values.
      for (let i = 0; i < size; i += 250) {
        await trx.insertInto('identities').values(identities.slice(i, i + 250)).execute();
        await trx.insertInto('identity_credentials').values(credentials.slice(i, i + 250)).execute();
        await trx.insertInto('identity_credential_identifiers').values(identifiers.slice(i, i + 250)).execute();
        await trx.insertInto('identity_addresses').values(addresses.slice(2 * i, 2 * i + 500)).execute();
        await trx.insertInto('sessions').values(sessions.slice(i, i + 250)).execute();
      }
    });
  }
}

// The large project is seeded once, however many scenarios use it.
let large: Promise<{ tenant: Tenant; identityId: string; token: string }> | null = null;
function largeProject(env: BenchEnv) {
  large ??= (async () => {
    const tenant = await seedTenant(env.registry, 'bench-100k');
    const started = Date.now();
    await seedIdentities(env.registry, tenant, LARGE_IDENTITY_COUNT);
    console.log(`seeded ${LARGE_IDENTITY_COUNT} identities in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    // Fold the seeding's write-ahead log into the database file now, so the server's first
    // measured reads (the small-project scenarios run first) do not pay for a huge WAL.
    if (env.registry.store.dialect === 'sqlite') await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(env.registry.db);
    // A lookup target in the middle of the key range.
    const target = await sessionFor(env.registry, tenant, `bulk-${LARGE_IDENTITY_COUNT / 2}@example.com`);
    return { tenant, ...target };
  })();
  return large;
}

const whoami = (slug: string, token: string): BenchRequest => ({ method: 'GET', path: `/p/${slug}/sessions/whoami`, headers: { 'x-session-token': token }, expectStatus: 200 });
const getIdentity = (t: Tenant, id: string): BenchRequest => ({ method: 'GET', path: `/p/${t.projectSlug}/admin/identities/${id}`, headers: { authorization: `Bearer ${t.projectKey}` }, expectStatus: 200 });
const listPage = (t: Tenant): BenchRequest => ({ method: 'GET', path: `/p/${t.projectSlug}/admin/identities?page_size=25`, headers: { authorization: `Bearer ${t.projectKey}` }, expectStatus: 200 });
const byIdentifier = (t: Tenant, email: string): BenchRequest => ({ method: 'GET', path: `/p/${t.projectSlug}/admin/identities?credentials_identifier=${encodeURIComponent(email)}`, headers: { authorization: `Bearer ${t.projectKey}` }, expectStatus: 200 });

export const scenarios: Scenario[] = [
  {
    name: 'whoami (valid session token)',
    group: 'identity',
    prepare: async ({ registry, tenant }) => whoami(tenant.projectSlug, (await sessionFor(registry, tenant, 'bench-whoami@example.com')).token),
  },
  {
    // The session as a JWT (issue #17): whoami plus an ES256 signature per call.
    name: 'whoami?tokenize_as (session JWT, ES256)',
    group: 'identity',
    prepare: async ({ url, registry, tenant }) => {
      const res = await fetch(`${url}/projects/${tenant.projectId}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${tenant.workspaceKey}`, 'content-type': 'application/json' },
        body: JSON.stringify([{ op: 'add', path: '/services/identity/config/session/whoami', value: { tokenizer: { templates: { bench: { ttl: '5m', claims: { email: { from: '/identity/traits/email' } } } } } } }]),
      });
      if (!res.ok) throw new Error(`configuring the tokenizer template failed: ${res.status}`);
      const { token } = await sessionFor(registry, tenant, 'bench-tokenize@example.com');
      return { ...whoami(tenant.projectSlug, token), path: `/p/${tenant.projectSlug}/sessions/whoami?tokenize_as=bench` };
    },
  },
  {
    name: 'GET /admin/identities/{id} (project key)',
    group: 'identity',
    prepare: async ({ registry, tenant }) => getIdentity(tenant, (await sessionFor(registry, tenant, 'bench-get@example.com')).identityId),
  },
  {
    name: 'GET /admin/identities?page_size=25',
    group: 'identity',
    prepare: async ({ registry, tenant }) => {
      const project = (await registry.projects.bySlug(tenant.projectSlug))!;
      for (let i = 0; i < 30; i++) {
        if (!(await registry.identities.findByPasswordIdentifier(tenant.projectId, `bench-list-${i}@example.com`))) await registry.identities.create(project, { traits: { email: `bench-list-${i}@example.com` } });
      }
      return listPage(tenant);
    },
  },
  {
    name: 'credentials_identifier lookup',
    group: 'identity',
    prepare: async ({ registry, tenant }) => {
      await sessionFor(registry, tenant, 'bench-lookup@example.com');
      return byIdentifier(tenant, 'bench-lookup@example.com');
    },
  },
  {
    name: '100k identities: whoami (valid session token)',
    group: 'identity',
    prepare: async (env) => {
      const l = await largeProject(env);
      return whoami(l.tenant.projectSlug, l.token);
    },
  },
  {
    name: '100k identities: GET /admin/identities/{id}',
    group: 'identity',
    prepare: async (env) => {
      const l = await largeProject(env);
      return getIdentity(l.tenant, l.identityId);
    },
  },
  {
    name: '100k identities: GET /admin/identities?page_size=25',
    group: 'identity',
    prepare: async (env) => listPage((await largeProject(env)).tenant),
  },
  {
    name: '100k identities: credentials_identifier lookup',
    group: 'identity',
    prepare: async (env) => byIdentifier((await largeProject(env)).tenant, `bulk-${LARGE_IDENTITY_COUNT - 7}@example.com`),
  },
];
