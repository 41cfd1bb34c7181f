import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../helpers/process.js';

// The CLI as a user runs it (`npx gatehouse ...`), next to a running server on the same store.
describe('gatehouse CLI', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess(process.env.TEST_DATABASE_URL ? { DATABASE_URL: process.env.TEST_DATABASE_URL } : {});
  }, 60_000);
  afterAll(async () => server?.stop());

  it('migrate reports an up-to-date store after serve migrated it', async () => {
    expect(await server.cli('migrate')).toContain('up to date');
  });

  it('bootstrap reuses the user, prints a human summary, and the invite flow works from the CLI', async () => {
    const email = `cli-${Date.now()}@example.com`;
    const first = JSON.parse(await server.cli('bootstrap', '--email', email, '--workspace', 'One', '--json'));
    const text = await server.cli('bootstrap', '--email', email, '--workspace', 'Two');
    expect(text).toContain('Workspace "Two"');
    expect(text).toMatch(/ory_wak_[0-9A-Za-z]{46}/);
    const h = { authorization: `Bearer ${first.api_key.value}`, 'content-type': 'application/json' };
    const invite = await (await fetch(`${server.url}/workspaces/${first.workspace.id}/invites`, { method: 'POST', headers: h, body: JSON.stringify({ email: `mate-${email}`, role: 'viewer' }) })).json();
    expect(await server.cli('invites', 'accept', '--token', invite.token, '--email', `mate-${email}`)).toContain('is now a viewer');
    const members = await (await fetch(`${server.url}/workspaces/${first.workspace.id}/members`, { headers: h })).json();
    expect(members.map((m: { email: string }) => m.email).sort()).toEqual([email, `mate-${email}`].sort());
  });

  it('refuses bad arguments with a message and a non-zero exit', async () => {
    await expect(server.cli('bootstrap', '--email', 'not-an-email', '--workspace', 'X')).rejects.toMatchObject({ stderr: expect.stringContaining('not an email') });
    await expect(server.cli('invites', 'accept', '--token', 'bogus-token-bogus-token', '--email', 'x@example.com')).rejects.toMatchObject({ code: 1 });
  });
});
