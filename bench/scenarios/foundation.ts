import { generateApiKey } from '../../src/keys/format.js';
import type { Scenario } from '../scenario.js';

function corrupt(key: string): string {
  const last = key[key.length - 1];
  return key.slice(0, -1) + (last === 'A' ? 'B' : 'A');
}

export const scenarios: Scenario[] = [
  {
    name: 'GET /projects/{id} (workspace key)',
    group: 'foundation',
    prepare: async ({ tenant }) => ({ method: 'GET', path: `/projects/${tenant.projectId}`, headers: { authorization: `Bearer ${tenant.workspaceKey}` }, expectStatus: 200 }),
  },
  {
    // The same GET with a key that has scopes, an allowlist and a rate limit (too high to be reached):
    // what a key's own limits cost on the hot path.
    name: 'GET /projects/{id} (key with scopes, allowlist, rate limit)',
    group: 'foundation',
    prepare: async ({ registry, tenant }) => {
      const key = await registry.keys.issue(
        { kind: 'workspace', workspaceId: tenant.workspaceId },
        { name: 'limited', ownerId: tenant.userId, scopes: ['projects:read'], allowedCidrs: ['127.0.0.0/8', '::1/128'], rateLimit: { requests: 1_000_000_000, per: '1h' } },
      );
      return { method: 'GET', path: `/projects/${tenant.projectId}`, headers: { authorization: `Bearer ${key.value}` }, expectStatus: 200 };
    },
  },
  {
    name: 'bad-checksum key (401)',
    group: 'foundation',
    prepare: async ({ tenant }) => ({ method: 'GET', path: `/projects/${tenant.projectId}`, headers: { authorization: `Bearer ${corrupt(tenant.workspaceKey)}` }, expectStatus: 401 }),
  },
  {
    // Not Gatehouse: bare node:http writing the same 401 bytes, the ceiling for the row above.
    name: 'reference: node:http, same 401 bytes',
    group: 'foundation',
    reference: true,
    prepare: async ({ tenant }) => ({ method: 'GET', path: `/projects/${tenant.projectId}`, headers: { authorization: `Bearer ${corrupt(tenant.workspaceKey)}` }, expectStatus: 401 }),
  },
  {
    name: 'well-formed unknown key (401)',
    group: 'foundation',
    prepare: async ({ tenant }) => ({ method: 'GET', path: `/projects/${tenant.projectId}`, headers: { authorization: `Bearer ${generateApiKey('workspace')}` }, expectStatus: 401 }),
  },
];
