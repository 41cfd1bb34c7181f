import type { BenchEnv, Scenario } from '../scenario.js';

/** Signs a person up over HTTP (as the console does) and makes them a developer of the seeded workspace. */
async function consoleSession({ url, registry, tenant }: BenchEnv): Promise<{ cookie: string; csrf: string }> {
  const email = `bench-${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e9)}@example.com`;
  const res = await fetch(`${url}/console/api/sign-up`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'bench password 123' }) });
  if (res.status !== 201) throw new Error(`console sign-up failed: ${res.status}`);
  const body = (await res.json()) as { user: { id: string }; csrf_token: string };
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  await registry.db.insertInto('workspace_members').values({ workspace_id: tenant.workspaceId, user_id: body.user.id, role: 'developer', created_at: new Date().toISOString() }).execute();
  return { cookie, csrf: body.csrf_token };
}

// The console's hot paths: the page itself, the session check every screen starts with, and the
// Management API reads its screens make with the session cookie.
export const scenarios: Scenario[] = [
  {
    name: 'console page (GET / as a browser, brotli)',
    group: 'console',
    prepare: async () => ({ method: 'GET', path: '/', headers: { accept: 'text/html', 'accept-encoding': 'br' }, expectStatus: 200 }),
  },
  {
    name: 'console session (GET /console/api/session)',
    group: 'console',
    prepare: async (env) => ({ method: 'GET', path: '/console/api/session', headers: { cookie: (await consoleSession(env)).cookie }, expectStatus: 200 }),
  },
  {
    name: 'project API keys list (console session)',
    group: 'console',
    prepare: async (env) => ({ method: 'GET', path: `/projects/${env.tenant.projectId}/tokens`, headers: { cookie: (await consoleSession(env)).cookie }, expectStatus: 200 }),
  },
  {
    name: 'state change without CSRF token (403)',
    group: 'console',
    prepare: async (env) => ({
      method: 'PATCH',
      path: `/projects/${env.tenant.projectId}`,
      headers: { cookie: (await consoleSession(env)).cookie, 'content-type': 'application/json' },
      body: JSON.stringify([{ op: 'replace', path: '/name', value: 'bench' }]),
      expectStatus: 403,
    }),
  },
];
