import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { createRegistry, type Registry } from '../../src/registry.js';
import { dialectName, seedTenant, testConfig, type Tenant } from '../helpers/context.js';
import { basic, form, oauth } from './helpers.js';

// Two nodes (registries and apps) on one store: nothing of the OAuth2 plane that must be consistent
// lives in one process — failure counts, tokens, revocations, signing keys.

describe(`oauth2 across two nodes on one store (${dialectName()})`, () => {
  const config = testConfig();
  let nodes: { registry: Registry; app: FastifyInstance }[];
  let t: Tenant;
  beforeAll(async () => {
    nodes = [];
    for (let i = 0; i < 2; i++) {
      const registry = await createRegistry(config);
      nodes.push({ registry, app: await buildApp(registry, { logger: false }) });
    }
    t = await seedTenant(nodes[0].registry, 'nodes');
  });
  afterAll(async () => {
    for (const n of nodes) {
      await n.app.close();
      await n.registry.close();
    }
    config.cleanup();
  });

  it('shares failure counts, tokens, revocations and signing keys', async () => {
    const [a, b] = nodes.map((n) => oauth(n.app, t));
    const c = await a.createClient({ grant_types: ['client_credentials'], access_token_strategy: 'jwt' });
    for (let i = 0; i < 5; i++) expect((await a.token({ grant_type: 'client_credentials' }, basic(c.client_id, 'wrong'))).statusCode).toBe(401);
    for (let i = 0; i < 5; i++) expect((await b.token({ grant_type: 'client_credentials' }, basic(c.client_id, 'wrong'))).statusCode).toBe(401);
    expect((await a.token({ grant_type: 'client_credentials' }, basic(c.client_id, c.client_secret))).statusCode).toBe(429);
    expect((await b.token({ grant_type: 'client_credentials' }, basic(c.client_id, c.client_secret))).statusCode).toBe(429);

    const d = await b.createClient({ grant_types: ['client_credentials'], access_token_strategy: 'jwt' });
    const jwt = (await a.token({ grant_type: 'client_credentials' }, basic(d.client_id, d.client_secret))).json().access_token;
    const jwksB = (await nodes[1].app.inject({ method: 'GET', url: `${b.base}/.well-known/jwks.json` })).json();
    await jwtVerify(jwt, createLocalJWKSet(jwksB));
    expect((await b.introspect(jwt)).json().active).toBe(true);
    const revoke = await nodes[1].app.inject({ method: 'POST', url: `${b.base}/oauth2/revoke`, headers: { 'content-type': 'application/x-www-form-urlencoded', ...basic(d.client_id, d.client_secret) }, payload: form({ token: jwt }) });
    expect(revoke.statusCode).toBe(200);
    expect((await a.introspect(jwt)).json().active).toBe(false);
  });

  it('refuses a client over its limit on a node that saw none of its failures', async () => {
    const [a, b] = nodes.map((n) => oauth(n.app, t));
    for (const strategy of ['opaque', 'jwt']) {
      const c = await a.createClient({ grant_types: ['client_credentials'], access_token_strategy: strategy });
      // Node a knows the client (and may keep it cached); every failure happens on node b.
      expect((await a.token({ grant_type: 'client_credentials' }, basic(c.client_id, c.client_secret))).statusCode).toBe(200);
      for (let i = 0; i < 10; i++) expect((await b.token({ grant_type: 'client_credentials' }, basic(c.client_id, 'wrong'))).statusCode).toBe(401);
      const before = await nodes[0].registry.db.selectFrom('oauth2_tokens').select('id').where('project_id', '=', t.projectId).where('client_id', '=', c.client_id).execute();
      const limited = await a.token({ grant_type: 'client_credentials' }, basic(c.client_id, c.client_secret));
      expect(limited.statusCode).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect((await a.token({ grant_type: 'client_credentials' }, basic(c.client_id, 'wrong'))).statusCode).toBe(429);
      const after = await nodes[0].registry.db.selectFrom('oauth2_tokens').select('id').where('project_id', '=', t.projectId).where('client_id', '=', c.client_id).execute();
      expect(after.length).toBe(before.length);
    }
  });

  it('issues no token for a client deleted on another node', async () => {
    const [a, b] = nodes.map((n) => oauth(n.app, t));
    const c = await a.createClient({ grant_types: ['client_credentials'] });
    expect((await a.token({ grant_type: 'client_credentials' }, basic(c.client_id, c.client_secret))).statusCode).toBe(200);
    expect((await b.admin('DELETE', `/admin/clients/${c.client_id}`)).statusCode).toBe(204);
    const res = await a.token({ grant_type: 'client_credentials' }, basic(c.client_id, c.client_secret));
    expect(res.statusCode, res.body).toBe(401);
    expect(res.json().error).toBe('invalid_client');
    const rows = await nodes[0].registry.db.selectFrom('oauth2_tokens').select('id').where('project_id', '=', t.projectId).where('client_id', '=', c.client_id).execute();
    expect(rows).toEqual([]);
  });
});
