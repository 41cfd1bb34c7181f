import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verify } from '@node-rs/argon2';
import { sql } from 'kysely';
import { openStore } from '../../src/platform/db/database.js';
import { loadConfig } from '../../src/platform/config/config.js';
import { createRegistry, type Registry } from '../../src/registry.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI from source as a child process, without blocking the test worker: a worker blocked
 * on synchronous spawns for a minute misses vitest's RPC deadline and fails the whole run.
 */
function runCli(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

/** `gatehouse users set-password` reads the password from standard input, never from argv. Storage-independent, so it runs in the SQLite pass only. */
describe.skipIf(!!process.env.TEST_DATABASE_URL)('gatehouse users set-password', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
  const env = { ...process.env, DATA_DIR: dir, SECRETS_DEFAULT: 'cli-test-secret-0123456789abcdef0123456789', LOG_LEVEL: 'silent' };
  const cli = (args: string[], input?: string) => runCli(args, env, input);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sets the password of a bootstrap user from stdin, which then verifies', async () => {
    expect((await cli(['bootstrap', '--email', 'boot@example.com', '--workspace', 'Boot', '--json'])).status).toBe(0);
    const set = await cli(['users', 'set-password', '--email', 'boot@example.com', '--password-stdin'], 'a fine long password\n');
    expect(set.stderr).toBe('');
    expect(set.status).toBe(0);
    expect(set.stdout).toMatch(/boot@example.com is set/);
    expect(set.stdout).not.toContain('a fine long password');
    const store = openStore(`sqlite:${join(dir, 'gatehouse.sqlite')}`);
    try {
      const user = await store.db.selectFrom('users').select('password_hash').where('email', '=', 'boot@example.com').executeTakeFirstOrThrow();
      expect(user.password_hash).toMatch(/^\$argon2id\$/);
      expect(await verify(user.password_hash!, 'a fine long password')).toBe(true);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('refuses a weak password, an unknown user, and a password on the command line', async () => {
    const weak = await cli(['users', 'set-password', '--email', 'boot@example.com'], 'short');
    expect(weak.status).toBe(1);
    expect(weak.stderr).toMatch(/at least 8 characters/);
    const unknown = await cli(['users', 'set-password', '--email', 'nobody@example.com'], 'a fine long password');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/no console user/);
    const argv = await cli(['users', 'set-password', '--email', 'boot@example.com', '--password', 'a fine long password'], '');
    expect(argv.status).not.toBe(0);
    expect(argv.stderr).toMatch(/unknown option/);
  }, 60_000);
});

/** Input the API would refuse is refused by the CLI too: one line on stderr, exit code 1, nothing written. SQLite pass only. */
describe.skipIf(!!process.env.TEST_DATABASE_URL)('gatehouse CLI refusals', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dir, SECRETS_DEFAULT: 'cli-test-secret-0123456789abcdef0123456789', LOG_LEVEL: 'silent' };
  delete env.DATABASE_URL;
  const cli = (args: string[], input?: string, extraEnv: Record<string, string> = {}) => runCli(args, { ...env, ...extraEnv }, input);
  /** A refusal: exit code 1, nothing on stdout, exactly one line on stderr. */
  const refused = (res: CliResult, message: RegExp) => {
    expect(res.status, res.stderr).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(message);
    expect(res.stderr.trimEnd().split('\n')).toHaveLength(1);
  };
  let r: Registry;
  let owner: { email: string; workspaceId: string; workspaceKey: string };
  const userCount = async () => Number((await r.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    const boot = await cli(['bootstrap', '--email', 'owner@example.com', '--workspace', '  Refusals  ', '--json']);
    expect(boot.status, boot.stderr).toBe(0);
    const out = JSON.parse(boot.stdout);
    expect(out.workspace.name).toBe('Refusals');
    owner = { email: 'owner@example.com', workspaceId: out.workspace.id, workspaceKey: out.api_key.value };
    r = await createRegistry(loadConfig(env));
  }, 60_000);
  afterAll(async () => {
    await r?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--version prints the package.json version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    for (const flag of ['--version', '-V']) {
      const res = await cli([flag]);
      expect(res.status).toBe(0);
      expect(res.stdout).toBe(`${version}\n`);
    }
  }, 60_000);

  it('bootstrap refuses a workspace or key name the API refuses (blank, over 256 characters) and creates nothing', async () => {
    const before = await r.db.selectFrom('workspaces').select('id').execute();
    refused(await cli(['bootstrap', '--email', 'owner@example.com', '--workspace', '']), /--workspace .* a name must not be empty/);
    refused(await cli(['bootstrap', '--email', 'owner@example.com', '--workspace', ' \t ']), /--workspace .* a name must not be empty/);
    refused(await cli(['bootstrap', '--email', 'owner@example.com', '--workspace', 'x'.repeat(257)]), /at most 256 characters/);
    refused(await cli(['bootstrap', '--email', 'owner@example.com', '--workspace', 'Fine', '--key-name', ' ']), /--key-name .* a name must not be empty/);
    refused(await cli(['bootstrap', '--email', 'not-an-email', '--workspace', 'Fine']), /^gatehouse: .*not an email address/);
    expect(await r.db.selectFrom('workspaces').select('id').execute()).toEqual(before);
    // The longest name the API accepts is accepted.
    expect((await cli(['bootstrap', '--email', 'owner@example.com', '--workspace', 'x'.repeat(256), '--json'])).status).toBe(0);
  }, 60_000);

  it('invites accept: only the invited email (any case) may accept; anyone else is refused, no user is created, and the invite stays usable', async () => {
    const ownerId = (await r.tenancy.users.byEmail(owner.email))!.id;
    const principal = { kind: 'console-user' as const, userId: ownerId, sessionId: 'cli-test' };
    const invite = await r.tenancy.members.invite(principal, owner.workspaceId, { email: 'Invited.Dev@Example.com', role: 'developer' });
    const users = await userCount();
    refused(await cli(['invites', 'accept', '--token', invite.token, '--email', 'someoneelse@example.com']), /^gatehouse: This invite was sent to another email address/);
    expect(await userCount()).toBe(users);
    expect(await r.tenancy.users.byEmail('someoneelse@example.com')).toBeUndefined();
    expect((await r.tenancy.members.listInvites(principal, owner.workspaceId)).map((i) => i.id)).toContain(invite.id);

    const ok = await cli(['invites', 'accept', '--token', invite.token, '--email', 'INVITED.dev@example.COM']);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(`invited.dev@example.com is now a developer of workspace ${owner.workspaceId}`);
    const members = await r.tenancy.members.list(principal, owner.workspaceId);
    expect(members.map((m) => [m.email, m.role])).toContainEqual(['invited.dev@example.com', 'developer']);
    // A used or revoked invite says so; an unknown token says nothing more.
    refused(await cli(['invites', 'accept', '--token', invite.token, '--email', 'invited.dev@example.com']), /^gatehouse: This invite has already been accepted/);
    const revoked = await r.tenancy.members.invite(principal, owner.workspaceId, { email: 'revoked@example.com', role: 'viewer' });
    await r.tenancy.members.revokeInvite(principal, owner.workspaceId, revoked.id);
    refused(await cli(['invites', 'accept', '--token', revoked.token, '--email', 'revoked@example.com']), /^gatehouse: This invite was revoked/);
    refused(await cli(['invites', 'accept', '--token', 'x'.repeat(32), '--email', 'revoked@example.com']), /^gatehouse: This invite does not exist or has expired/);

    // Said as a sentence: "an owner", not "a owner".
    const asOwner = await r.tenancy.members.invite(principal, owner.workspaceId, { email: 'second.owner@example.com', role: 'owner' });
    expect((await cli(['invites', 'accept', '--token', asOwner.token, '--email', 'second.owner@example.com'])).stdout).toContain(`second.owner@example.com is now an owner of workspace ${owner.workspaceId}.`);
  }, 60_000);

  it('keys import-legacy: a key imports once; the recorded creator must be a developer or owner of the project\'s workspace', async () => {
    const ownerId = (await r.tenancy.users.byEmail(owner.email))!.id;
    const principal = { kind: 'console-user' as const, userId: ownerId, sessionId: 'cli-test' };
    const project = await r.tenancy.projects.create(principal, { name: 'Legacy', environment: 'dev', workspace_id: owner.workspaceId });
    await r.tenancy.users.findOrCreate('stranger@example.com');
    const viewerInvite = await r.tenancy.members.invite(principal, owner.workspaceId, { email: 'viewer@example.com', role: 'viewer' });
    await r.tenancy.members.acceptAs(viewerInvite.token, 'viewer@example.com');
    const legacy = 'ory_apikey_' + 'Lg4'.repeat(12);
    const importAs = (ownerEmail: string, projectId = project.id, name = 'legacy') =>
      cli(['keys', 'import-legacy', '--project', projectId, '--name', name, '--owner-email', ownerEmail], `${legacy}\n`);
    const stored = () => r.db.selectFrom('api_keys').select('id').where('project_id', '=', project.id).where('name', '=', 'legacy').execute();

    refused(await importAs('stranger@example.com'), /stranger@example.com is not a member of the workspace of project/);
    refused(await importAs('viewer@example.com'), /viewer@example.com is a viewer of the workspace/);
    refused(await importAs('nobody@example.com'), /There is no console user nobody@example.com/);
    refused(await importAs(owner.email, 'not-a-project'), /There is no project not-a-project/);
    refused(await importAs(owner.email, project.id, '  '), /--name .* a name must not be empty/);
    refused(await cli(['keys', 'import-legacy', '--project', project.id, '--name', 'legacy', '--owner-email', owner.email], 'ory_pat_notalegacykey\n'), /not a legacy ory_apikey_ key/);
    expect(await stored()).toHaveLength(0);

    const first = await importAs(owner.email);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`Imported key "legacy" (…${legacy.slice(-4)})`);
    const again = await importAs(owner.email);
    refused(again, /^gatehouse: This key is already imported/);
    expect(again.stderr).not.toMatch(/UNIQUE|constraint|secret_hash/i);
    expect(await stored()).toHaveLength(1);
  }, 60_000);

  it('refuses a server secret shorter than Ory allows (16 characters) before touching any store', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
    for (const command of [['serve'], ['migrate'], ['bootstrap', '--email', 'short@example.com', '--workspace', 'Short']]) {
      refused(await cli(command, undefined, { DATA_DIR: empty, SECRETS_DEFAULT: 'too-short' }), /^gatehouse: SECRETS_DEFAULT must be at least 16 characters/);
    }
    expect(readdirSync(empty)).toEqual([]);
    rmSync(empty, { recursive: true, force: true });
  });

  it('migrate names the failing migration, or says why none could run', async () => {
    // A store where the first migration cannot run: its table already exists.
    const clash = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
    const clashStore = openStore(`sqlite:${join(clash, 'gatehouse.sqlite')}`);
    await clashStore.db.schema.createTable('users').addColumn('id', 'text').execute();
    await clashStore.close();
    refused(await cli(['migrate'], undefined, { DATA_DIR: clash }), /^gatehouse: migration 0001-foundation failed: .*users.* already exists/);

    // A store migrated by a newer Gatehouse: a migration this one does not know.
    const future = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
    expect((await cli(['migrate'], undefined, { DATA_DIR: future })).status).toBe(0);
    const futureStore = openStore(`sqlite:${join(future, 'gatehouse.sqlite')}`);
    await sql`insert into gatehouse_migrations (name, timestamp) values ('9999-from-the-future', ${new Date().toISOString()})`.execute(futureStore.db);
    await futureStore.close();
    refused(await cli(['migrate'], undefined, { DATA_DIR: future }), /^gatehouse: migrations could not run: .*9999-from-the-future/);

    // No store at all.
    refused(await cli(['migrate'], undefined, { DATA_DIR: future, DATABASE_URL: 'postgres://gatehouse@127.0.0.1:1/none' }), /^gatehouse: migrations could not run: .*ECONNREFUSED/);
    for (const d of [clash, future]) rmSync(d, { recursive: true, force: true });
  }, 60_000);
});
