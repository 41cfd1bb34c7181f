import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { loadConfig } from '../platform/config/config.js';
import { openStore } from '../platform/db/database.js';
import { migrateToLatest } from '../platform/db/migrate.js';
import { createRegistry, type Registry } from '../registry.js';
import { startServer } from '../server.js';
import { readPassword, setConsolePassword } from '../console/set-password.js';
import { importLegacyProjectKey } from '../keys/legacy-import.js';
import { OryError } from '../platform/errors/errors.js';
import { emailArg, nameArg } from './arguments.js';
import { registerKeyCommands } from './key-commands.js';
import { registerAuditCommand } from './audit-command.js';

// package.json sits two levels up from both src/cli/main.ts and dist/cli/main.js.
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command();
program
  .name('gatehouse')
  .description('Gatehouse: a self-hostable control plane for identity projects.')
  .version(version, '-V, --version', 'print the Gatehouse version')
  // Usage errors are one line, like every other error of the CLI (`gatehouse --help` shows usage).
  .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'gatehouse: ')) });

/** Runs `fn` with a registry and closes it afterwards; errors print one line and exit 1. */
async function withRegistry<T>(fn: (r: Registry) => Promise<T>): Promise<T> {
  const registry = await createRegistry(loadConfig());
  try {
    return await fn(registry);
  } finally {
    await registry.close();
  }
}

program
  .command('serve')
  .description('Serve every plane (the default of `npm start`). Migrates the store first.')
  .action(async () => {
    const { app } = await startServer(loadConfig());
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        app.log.info({ signal }, 'shutting down');
        app.close().then(() => process.exit(0), () => process.exit(1));
      });
    }
  });

program
  .command('migrate')
  .description('Apply pending database migrations and exit.')
  .action(async () => {
    const store = openStore(loadConfig().databaseUrl);
    try {
      const applied = await migrateToLatest(store);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'the database is up to date');
    } finally {
      await store.close();
    }
  });

program
  .command('bootstrap')
  .description('Create (or reuse) a console user, create a workspace they own, and print a new workspace API key once.')
  .requiredOption('--email <email>', 'the console user who owns the workspace', emailArg)
  .requiredOption('--workspace <name>', 'name of the workspace to create', nameArg)
  .option('--key-name <name>', 'name of the workspace API key', nameArg, 'bootstrap')
  .option('--json', 'print JSON: {"workspace": {...}, "api_key": {..., "value": "ory_wak_..."}}')
  .action(async (opts: { email: string; workspace: string; keyName: string; json?: boolean }) => {
    const out = await withRegistry(async (r) => {
      const { user } = await r.tenancy.users.findOrCreate(opts.email);
      const workspace = await r.tenancy.workspaces.createOwnedBy(user.id, opts.workspace);
      const api_key = await r.keys.issue({ kind: 'workspace', workspaceId: workspace.id }, { name: opts.keyName, ownerId: user.id });
      return { user, workspace, api_key };
    });
    if (opts.json) {
      console.log(JSON.stringify({ workspace: out.workspace, api_key: out.api_key }, null, 2));
    } else {
      console.log(`Workspace "${out.workspace.name}" (${out.workspace.id}) is owned by ${out.user.email}.`);
      console.log(`Workspace API key "${out.api_key.name}" (shown only this once):\n\n  ${out.api_key.value}\n`);
    }
  });

/** `gatehouse {group} {name}`: a command in a group of its own (the groups have one command each). */
function groupCommand(group: { name: string; description: string }, name: string, description: string): Command {
  return program.command(group.name).description(group.description).command(name).description(description);
}

groupCommand({ name: 'invites', description: 'Workspace invites.' }, 'accept', 'Accept a workspace invite as the console user it was sent to (created if needed).')
  .requiredOption('--token <token>', 'the invite token from the invite link')
  .requiredOption('--email <email>', 'the email the invite was sent to', emailArg)
  .action(async (opts: { token: string; email: string }) => {
    const res = await withRegistry((r) => r.tenancy.members.acceptAs(opts.token, opts.email));
    console.log(`${res.email} is now ${res.role === 'owner' ? 'an' : 'a'} ${res.role} of workspace ${res.workspace_id}.`);
  });

groupCommand({ name: 'users', description: 'Console users.' }, 'set-password', 'Set the console password of a user (read from standard input, never from the command line).')
  .requiredOption('--email <email>', 'the console user', emailArg)
  .option('--password-stdin', 'read the password from standard input (the default when stdin is not a terminal)')
  .action(async (opts: { email: string }) => {
    const password = await readPassword();
    const res = await withRegistry((r) => setConsolePassword(r, opts.email, password));
    console.log(`The console password of ${res.email} is set; they can sign in now.`);
  });

const keys = program.command('keys').description('API keys: list, create, rotate and revoke them over the Management API (ORY_WORKSPACE_API_KEY), or import a legacy key into the store.');
registerKeyCommands(keys);

keys.command('import-legacy').description('Import a legacy `ory_apikey_` project key (read from standard input) so it keeps working for its project.')
  .requiredOption('--project <id>', 'the project the key belongs to')
  .requiredOption('--name <name>', 'a name for the key', nameArg)
  .requiredOption('--owner-email <email>', 'a developer or owner of the project\'s workspace, recorded as the key\'s creator', emailArg)
  .action(async (opts: { project: string; name: string; ownerEmail: string }) => {
    const value = (await readPassword('Legacy key: ')).trim();
    const key = await withRegistry((r) => importLegacyProjectKey(r, { projectId: opts.project, name: opts.name, ownerEmail: opts.ownerEmail, value }));
    console.log(`Imported key "${key.name}" (…${key.last_characters}) for project ${opts.project}.`);
  });

registerAuditCommand(program);

program.parseAsync(process.argv).catch((err: Error) => {
  // An OryError's message is its HTTP status text; its reason is what the person needs to read.
  console.error(`gatehouse: ${err instanceof OryError ? (err.reason ?? err.message) : err.message}`);
  process.exit(1);
});
