import { generateIssuedKey } from '../../src/user-keys/format.js';
import type { BenchEnv, Scenario } from '../scenario.js';

// Ory's ApiKeysApi verification (issue #16): a project's backend verifying its users' keys.

const verifyPath = (env: BenchEnv, verb: string) => `/p/${env.tenant.projectSlug}/v2alpha1/admin/apiKeys:${verb}`;
const headers = (env: BenchEnv) => ({ authorization: `Bearer ${env.tenant.projectKey}`, 'content-type': 'application/json' });
const issue = (env: BenchEnv, name: string) => env.registry.userKeys.issue(env.tenant.projectId, { name, actor_id: 'bench-user', scopes: ['read'] });

export const scenarios: Scenario[] = [
  {
    name: 'adminVerifyApiKey (valid issued key)',
    group: 'user-keys',
    prepare: async (env) => {
      const { secret } = await issue(env, 'bench valid');
      return { method: 'POST', path: verifyPath(env, 'verify'), headers: headers(env), body: JSON.stringify({ credential: secret }), expectStatus: 200 };
    },
  },
  {
    name: 'adminVerifyApiKey at 2,000/s (latency: read p99)',
    group: 'user-keys',
    rate: 2000,
    prepare: async (env) => {
      const { secret } = await issue(env, 'bench paced');
      return { method: 'POST', path: verifyPath(env, 'verify'), headers: headers(env), body: JSON.stringify({ credential: secret }), expectStatus: 200 };
    },
  },
  {
    name: 'adminVerifyApiKey (well-formed unknown key)',
    group: 'user-keys',
    prepare: async (env) => ({ method: 'POST', path: verifyPath(env, 'verify'), headers: headers(env), body: JSON.stringify({ credential: generateIssuedKey() }), expectStatus: 200 }),
  },
  {
    name: 'adminBatchVerifyApiKeys (100 valid keys)',
    group: 'user-keys',
    prepare: async (env) => {
      const requests = [];
      for (let i = 0; i < 100; i++) requests.push({ credential: (await issue(env, `bench batch ${i}`)).secret });
      return { method: 'POST', path: verifyPath(env, 'batchVerify'), headers: headers(env), body: JSON.stringify({ requests }), expectStatus: 200 };
    },
  },
  {
    name: 'adminVerifyApiKey (derived JWT)',
    group: 'user-keys',
    prepare: async (env) => {
      const { secret } = await issue(env, 'bench parent');
      const project = { id: env.tenant.projectId, slug: env.tenant.projectSlug };
      const { token } = await env.registry.derivedTokens.derive(project, { credential: secret, ttl: '1h' });
      return { method: 'POST', path: verifyPath(env, 'verify'), headers: headers(env), body: JSON.stringify({ credential: token.token }), expectStatus: 200 };
    },
  },
];
