import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../helpers/process.js';

// Two stateless nodes on one PostgreSQL database: a key deleted through one node is refused by the
// other within a second, long before the cache TTL (set to a minute here) could explain it.
const pg = process.env.TEST_DATABASE_URL;

describe.skipIf(!pg)('key revocation across nodes (PostgreSQL LISTEN/NOTIFY)', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  beforeAll(async () => {
    const env = { DATABASE_URL: pg, KEY_CACHE_TTL_MS: '60000', SECRETS_DEFAULT: 'multi-node-shared-secret-0123456789abcdef' };
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  }, 60_000);
  afterAll(async () => Promise.all([a?.stop(), b?.stop()]));

  it('refuses a deleted key on the other node within 1 second', async () => {
    const boot = JSON.parse(await a.cli('bootstrap', '--email', `nodes-${Date.now()}@example.com`, '--workspace', 'Nodes', '--json'));
    const ws = boot.workspace.id;
    const admin = { authorization: `Bearer ${boot.api_key.value}`, 'content-type': 'application/json' };
    const key = await (await fetch(`${a.url}/workspaces/${ws}/tokens`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'doomed' }) })).json();
    const useOnB = () => fetch(`${b.url}/workspaces/${ws}`, { headers: { authorization: `Bearer ${key.value}` } }).then((r) => r.status);
    expect(await useOnB()).toBe(200); // B has it cached now
    expect(await useOnB()).toBe(200);

    const del = await fetch(`${a.url}/workspaces/${ws}/tokens/${key.id}`, { method: 'DELETE', headers: { authorization: admin.authorization } });
    expect(del.status).toBe(204);
    const deletedAt = Date.now();
    expect(await fetch(`${a.url}/workspaces/${ws}`, { headers: { authorization: `Bearer ${key.value}` } }).then((r) => r.status)).toBe(401);
    let status = await useOnB();
    while (status === 200 && Date.now() - deletedAt < 5000) {
      await new Promise((r) => setTimeout(r, 20));
      status = await useOnB();
    }
    const elapsed = Date.now() - deletedAt;
    expect(status).toBe(401);
    expect(elapsed).toBeLessThan(1000);
  });

  it('sees a project config change made on the other node', async () => {
    const boot = JSON.parse(await a.cli('bootstrap', '--email', `cfg-${Date.now()}@example.com`, '--workspace', 'Cfg', '--json'));
    const h = { authorization: `Bearer ${boot.api_key.value}`, 'content-type': 'application/json' };
    const p = await (await fetch(`${a.url}/projects`, { method: 'POST', headers: h, body: JSON.stringify({ name: 'cfg', environment: 'dev' }) })).json();
    await fetch(`${b.url}/projects/${p.id}`, { method: 'PATCH', headers: h, body: JSON.stringify([{ op: 'replace', path: '/name', value: 'changed on b' }]) });
    const got = await (await fetch(`${a.url}/projects/${p.id}`, { headers: h })).json();
    expect(got.name).toBe('changed on b');
  });

  it('refuses a revoked session on the other node within 1 second (whoami is cached per node)', async () => {
    const boot = JSON.parse(await a.cli('bootstrap', '--email', `sess-${Date.now()}@example.com`, '--workspace', 'Sessions', '--json'));
    const h = { authorization: `Bearer ${boot.api_key.value}`, 'content-type': 'application/json' };
    const p = await (await fetch(`${a.url}/projects`, { method: 'POST', headers: h, body: JSON.stringify({ name: 'sess', environment: 'dev' }) })).json();
    const key = await (await fetch(`${a.url}/projects/${p.id}/tokens`, { method: 'POST', headers: h, body: JSON.stringify({ name: 'k' }) })).json();
    const flow = await (await fetch(`${a.url}/p/${p.slug}/self-service/registration/api`)).json();
    const reg = await fetch(`${a.url}/p/${p.slug}/self-service/registration?flow=${flow.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'password', password: 'a long and unusual passphrase 42', traits: { email: `user-${Date.now()}@example.com` } }),
    });
    expect(reg.status).toBe(200);
    const { session_token, session } = await reg.json();
    const whoamiOnB = () => fetch(`${b.url}/p/${p.slug}/sessions/whoami`, { headers: { 'x-session-token': session_token } }).then((r) => r.status);
    expect(await whoamiOnB()).toBe(200);
    expect(await whoamiOnB()).toBe(200);
    const del = await fetch(`${a.url}/p/${p.slug}/admin/sessions/${session.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${key.value}` } });
    expect(del.status).toBe(204);
    const revokedAt = Date.now();
    let status = await whoamiOnB();
    while (status === 200 && Date.now() - revokedAt < 5000) {
      await new Promise((r) => setTimeout(r, 20));
      status = await whoamiOnB();
    }
    expect(status).toBe(401);
    expect(Date.now() - revokedAt).toBeLessThan(1000);
  });
  it('admits exactly a key\'s rate limit per window across both nodes', async () => {
    const boot = JSON.parse(await a.cli('bootstrap', '--email', `limit-${Date.now()}@example.com`, '--workspace', 'Limits', '--json'));
    const ws = boot.workspace.id;
    const admin = { authorization: `Bearer ${boot.api_key.value}`, 'content-type': 'application/json' };
    const limit = 40;
    const key = await (await fetch(`${a.url}/workspaces/${ws}/tokens`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'limited', rate_limit: { requests: limit, per: '1h' } }) })).json();
    const use = (node: ServerProcess) => fetch(`${node.url}/workspaces/${ws}`, { headers: { authorization: `Bearer ${key.value}` } }).then((r) => r.status);
    // Both nodes asked in turn, several at a time, until each has been refused a few times.
    const statuses: number[] = [];
    for (let round = 0; round < 12; round++) statuses.push(...(await Promise.all([use(a), use(b), use(a), use(b), use(a), use(b), use(a), use(b)])));
    expect(statuses.filter((s) => s === 200).length).toBe(limit);
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
  });
});
