import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../helpers/process.js';

const BIN = join(resolve(import.meta.dirname, '../..'), 'bin/gatehouse.js');

// `gatehouse keys ...` and `gatehouse audit` as a user runs them: over HTTP to a running server,
// with the workspace key in ORY_WORKSPACE_API_KEY, as Ory's CLI takes it.
describe('gatehouse keys and audit over the Management API', () => {
  let server: ServerProcess;
  let boot: { workspace: { id: string }; api_key: { value: string } };
  let other: { workspace: { id: string }; api_key: { value: string } };
  const run = async (key: string | undefined, ...args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...server.env, GATEHOUSE_URL: server.url };
    if (key === undefined) delete env.ORY_WORKSPACE_API_KEY;
    else env.ORY_WORKSPACE_API_KEY = key;
    return (await promisify(execFile)(process.execPath, [BIN, ...args], { env })).stdout;
  };
  const refusal = async (p: Promise<unknown>) => {
    const err = (await p.then(() => null, (e: { code: number; stderr: string; stdout: string }) => e))!;
    expect(err, 'expected the command to fail').not.toBeNull();
    expect(err.code).toBe(1);
    expect(err.stdout).toBe('');
    return err.stderr;
  };

  beforeAll(async () => {
    server = await startServerProcess(process.env.TEST_DATABASE_URL ? { DATABASE_URL: process.env.TEST_DATABASE_URL } : {});
    boot = JSON.parse(await server.cli('bootstrap', '--email', `keys-cli-${Date.now()}@example.com`, '--workspace', 'Keys CLI', '--json'));
    other = JSON.parse(await server.cli('bootstrap', '--email', `keys-cli-other-${Date.now()}@example.com`, '--workspace', 'Other', '--json'));
  }, 60_000);
  afterAll(async () => server?.stop());

  it('creates, lists, rotates and revokes workspace keys, and the audit log shows it', async () => {
    const created = JSON.parse(await run(boot.api_key.value, 'keys', 'create', '--name', 'deploy', '--scopes', 'projects:read,members:read', '--allowed-cidrs', '127.0.0.1/32,::1/128', '--rate-limit', '1000/1m', '--json'));
    expect(created).toMatchObject({ name: 'deploy', scopes: ['members:read', 'projects:read'], allowed_cidrs: ['127.0.0.1/32', '::1/128'], rate_limit: { requests: 1000, per: '1m' } });
    expect(created.value).toMatch(/^ory_wak_/);
    // The new key works, within its scopes.
    expect((await fetch(`${server.url}/workspaces/${boot.workspace.id}/projects`, { headers: { authorization: `Bearer ${created.value}` } })).status).toBe(200);

    const list = await run(boot.api_key.value, 'keys', 'list');
    expect(list).toContain(`${created.id}  deploy  …${created.value.slice(-4)}  scopes members:read,projects:read  from 127.0.0.1/32,::1/128  1000/1m`);
    expect(list).not.toContain(created.value);

    const text = await run(boot.api_key.value, 'keys', 'rotate', created.id, '--grace-period', '1h');
    const value = /\n\n {2}(ory_wak_\S+)\n/.exec(text)?.[1];
    expect(value).toBeDefined();
    const afterRotate = JSON.parse(await run(boot.api_key.value, 'keys', 'list', '--json'));
    const old = afterRotate.find((k: { id: string }) => k.id === created.id);
    expect(old.expires_at).toBeDefined();
    const fresh = afterRotate.find((k: { id: string; name: string }) => k.name === 'deploy' && k.id !== created.id);
    expect(fresh).toMatchObject({ scopes: ['members:read', 'projects:read'] });
    expect((await fetch(`${server.url}/workspaces/${boot.workspace.id}/projects`, { headers: { authorization: `Bearer ${value}` } })).status).toBe(200);

    expect(await run(boot.api_key.value, 'keys', 'revoke', fresh.id)).toContain(`Revoked key ${fresh.id}.`);
    expect((await fetch(`${server.url}/workspaces/${boot.workspace.id}/projects`, { headers: { authorization: `Bearer ${value}` } })).status).toBe(401);

    const audit = JSON.parse(await run(boot.api_key.value, 'audit', '--event', 'api_key.created,api_key.deleted', '--json'));
    expect(audit.map((e: { event: string; target: { id: string } }) => [e.event, e.target.id])).toEqual(expect.arrayContaining([['api_key.deleted', fresh.id], ['api_key.created', created.id]]));
    const lines = await run(boot.api_key.value, 'audit', '--target', created.id);
    expect(lines).toMatch(/api_key\.created {2}by bootstrap {2}on api_key deploy {2}from 127\.0\.0\.1/);
    for (const secret of [created.value, value!, boot.api_key.value]) expect(JSON.stringify(audit) + lines).not.toContain(secret);
  }, 60_000);

  it('manages a project\'s keys with --project and pages the audit log with --limit', async () => {
    const h = { authorization: `Bearer ${boot.api_key.value}`, 'content-type': 'application/json' };
    const project = await (await fetch(`${server.url}/projects`, { method: 'POST', headers: h, body: JSON.stringify({ name: 'CLI project', environment: 'dev', workspace_id: boot.workspace.id }) })).json();
    const key = JSON.parse(await run(boot.api_key.value, 'keys', 'create', '--project', project.id, '--name', 'backend', '--expires-at', '2999-01-01T00:00:00Z', '--json'));
    expect(key).toMatchObject({ project_id: project.id, expires_at: '2999-01-01T00:00:00.000Z' });
    expect(key.value).toMatch(/^ory_pat_/);
    expect(JSON.parse(await run(boot.api_key.value, 'keys', 'list', '--project', project.id, '--json')).map((k: { id: string }) => k.id)).toEqual([key.id]);
    const two = JSON.parse(await run(boot.api_key.value, 'audit', '--limit', '2', '--json'));
    expect(two.map((e: { event: string }) => e.event)).toEqual(['api_key.created', 'project.created']);
    expect(JSON.parse(await run(boot.api_key.value, 'audit', '--since', '2999-01-01T00:00:00Z', '--json'))).toEqual([]);
  }, 60_000);

  it('refuses with one line and exit 1: no key, another workspace, bad flags, server refusals', async () => {
    expect(await refusal(run(undefined, 'keys', 'list'))).toMatch(/ORY_WORKSPACE_API_KEY/);
    expect(await refusal(run(other.api_key.value, 'keys', 'list', '--workspace', boot.workspace.id))).toMatch(/^gatehouse: 404/);
    expect(await refusal(run(other.api_key.value, 'audit', '--workspace', boot.workspace.id))).toMatch(/^gatehouse: 404/);
    expect(await refusal(run(boot.api_key.value, 'keys', 'create', '--name', 'x', '--rate-limit', 'lots'))).toMatch(/REQUESTS\/WINDOW/);
    expect(await refusal(run(boot.api_key.value, 'keys', 'create', '--name', 'x', '--scopes', 'root:write'))).toMatch(/^gatehouse: 400: scopes: unknown scope/);
    expect(await refusal(run(boot.api_key.value, 'audit', '--since', 'yesterday'))).toMatch(/^gatehouse: 400/);
    expect(await refusal(run(boot.api_key.value, 'keys', 'revoke', '0190f1c5-0000-7000-8000-000000000000'))).toMatch(/^gatehouse: 404/);
    expect(await refusal(run(boot.api_key.value, 'keys', 'list', '--endpoint', 'http://127.0.0.1:1'))).toMatch(/cannot reach/);
    // Nothing was created by the refusals.
    expect(JSON.parse(await run(boot.api_key.value, 'keys', 'list', '--json')).filter((k: { name: string }) => k.name === 'x')).toEqual([]);
  }, 60_000);
});
