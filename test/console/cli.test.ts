import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { verify } from '@node-rs/argon2';
import { openStore } from '../../src/platform/db/database.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `gatehouse users set-password` reads the password from standard input, never from argv. Storage-independent, so it runs in the SQLite pass only. */
describe.skipIf(!!process.env.TEST_DATABASE_URL)('gatehouse users set-password', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
  const env = { ...process.env, DATA_DIR: dir, SECRETS_DEFAULT: 'cli-test-secret-0123456789abcdef0123456789', LOG_LEVEL: 'silent' };
  const cli = (args: string[], input?: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, env, input, encoding: 'utf8', timeout: 60_000 });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sets the password of a bootstrap user from stdin, which then verifies', async () => {
    expect(cli(['bootstrap', '--email', 'boot@example.com', '--workspace', 'Boot', '--json']).status).toBe(0);
    const set = cli(['users', 'set-password', '--email', 'boot@example.com', '--password-stdin'], 'a fine long password\n');
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

  it('refuses a weak password, an unknown user, and a password on the command line', () => {
    const weak = cli(['users', 'set-password', '--email', 'boot@example.com'], 'short');
    expect(weak.status).toBe(1);
    expect(weak.stderr).toMatch(/at least 8 characters/);
    const unknown = cli(['users', 'set-password', '--email', 'nobody@example.com'], 'a fine long password');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/no console user/);
    const argv = cli(['users', 'set-password', '--email', 'boot@example.com', '--password', 'a fine long password'], '');
    expect(argv.status).not.toBe(0);
    expect(argv.stderr).toMatch(/unknown option/);
  }, 60_000);
});
