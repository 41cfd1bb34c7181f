import type { BenchEnv, BenchRequest, Scenario } from '../scenario.js';

// OAuth2 plane scenarios: client_credentials issuance (opaque and JWT access tokens) and token
// introspection, on the bench tenant's project. Clients are seeded through the registry; the token
// to introspect is issued by the server under test.

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function clientCredentialsRequest(env: BenchEnv, strategy: 'opaque' | 'jwt'): Promise<BenchRequest> {
  const client = await env.registry.oauth2.clients.create(env.tenant.projectId, {
    client_name: `bench ${strategy}`, grant_types: ['client_credentials'], scope: 'read write', access_token_strategy: strategy,
  });
  return {
    method: 'POST',
    path: `/p/${env.tenant.projectSlug}/oauth2/token`,
    headers: { authorization: basic(client.client_id, String(client.client_secret)), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=read',
    expectStatus: 200,
  };
}

export const scenarios: Scenario[] = [
  {
    name: 'POST /oauth2/token client_credentials (opaque)',
    group: 'oauth2',
    prepare: (env) => clientCredentialsRequest(env, 'opaque'),
  },
  {
    name: 'POST /oauth2/token client_credentials (JWT)',
    group: 'oauth2',
    prepare: (env) => clientCredentialsRequest(env, 'jwt'),
  },
  {
    name: 'POST /admin/oauth2/introspect (active opaque token)',
    group: 'oauth2',
    prepare: async (env) => {
      const req = await clientCredentialsRequest(env, 'opaque');
      const res = await fetch(`${env.url}${req.path}`, { method: 'POST', headers: req.headers, body: req.body });
      if (res.status !== 200) throw new Error(`token issuance for the introspection bench failed: ${res.status}`);
      const { access_token } = (await res.json()) as { access_token: string };
      return {
        method: 'POST',
        path: `/p/${env.tenant.projectSlug}/admin/oauth2/introspect`,
        headers: { authorization: `Bearer ${env.tenant.projectKey}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: `token=${encodeURIComponent(access_token)}`,
        expectStatus: 200,
      };
    },
  },
];
