import { InvalidArgumentError, type Command } from 'commander';
import { CliError, managementClient, type ManagementClient } from './management-client.js';
import { nameArg } from './arguments.js';

// `gatehouse keys create|list|rotate|revoke`: Gatehouse's own API keys over the Management API.
// Workspace keys by default; `--project <id>` for that project's keys.

interface KeyView {
  id: string;
  name: string;
  last_characters: string;
  created_at: string;
  expires_at?: string;
  last_used_at?: string;
  scopes?: string[];
  allowed_cidrs?: string[];
  rate_limit?: { requests: number; per: string };
  value?: string;
}

interface Target {
  endpoint?: string;
  workspace?: string;
  project?: string;
  json?: boolean;
}

/** `a,b` → `['a', 'b']`, blanks dropped. */
export function listArg(value: string): string[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('give at least one value, comma-separated.');
  return items;
}

/** `1000/1m` → `{ requests: 1000, per: '1m' }` (the server checks the window). */
export function rateLimitArg(value: string): { requests: number; per: string } {
  const m = /^(\d{1,9})\/(\S+)$/.exec(value.trim());
  if (!m || Number(m[1]) < 1) throw new InvalidArgumentError('write it as REQUESTS/WINDOW, such as 1000/1m.');
  return { requests: Number(m[1]), per: m[2] };
}

/** The tokens URL of the chosen owner: `--project`, else `--workspace`, else the key's own workspace. */
async function tokensPath(client: ManagementClient, o: Target): Promise<string> {
  if (o.project) return `/projects/${encodeURIComponent(o.project)}/tokens`;
  return `/workspaces/${encodeURIComponent(await workspaceOf(client, o.workspace))}/tokens`;
}

/** `--workspace`, or the one workspace a workspace key belongs to. */
export async function workspaceOf(client: ManagementClient, given: string | undefined): Promise<string> {
  if (given) return given;
  const { body } = await client.call<{ workspaces: { id: string }[] }>('GET', '/workspaces');
  if (body.workspaces.length !== 1) throw new CliError('this credential sees several workspaces; pass --workspace <id>.');
  return body.workspaces[0].id;
}

function describe(k: KeyView): string {
  const extras = [
    k.scopes ? `scopes ${k.scopes.join(',')}` : 'full access',
    k.allowed_cidrs ? `from ${k.allowed_cidrs.join(',')}` : '',
    k.rate_limit ? `${k.rate_limit.requests}/${k.rate_limit.per}` : '',
    k.expires_at ? `expires ${k.expires_at}` : '',
    k.last_used_at ? `last used ${k.last_used_at}` : '',
  ].filter(Boolean);
  return `${k.id}  ${k.name}  …${k.last_characters}  ${extras.join('  ')}`;
}

/** Prints a new key: its value once, and nothing else on stdout with --json but the JSON. */
function printNewKey(key: KeyView, json: boolean | undefined, verb: string): void {
  if (json) console.log(JSON.stringify(key, null, 2));
  else console.log(`${verb} key "${key.name}" (${key.id}), shown only this once:\n\n  ${key.value}\n`);
}

const ownerOptions = (c: Command) =>
  c
    .option('--endpoint <url>', 'the Gatehouse server (default $GATEHOUSE_URL or http://127.0.0.1:4000)')
    .option('--workspace <id>', "the workspace (default: the key's own)")
    .option('--project <id>', "this project's keys instead of the workspace's")
    .option('--json', 'print JSON');

/** Adds the key commands to the `keys` group. */
export function registerKeyCommands(keys: Command): void {
  ownerOptions(keys.command('list').description('List the active API keys of the workspace (or of --project).')).action(async (o: Target) => {
    const client = managementClient(o.endpoint);
    const { body } = await client.call<KeyView[]>('GET', await tokensPath(client, o));
    if (o.json) console.log(JSON.stringify(body, null, 2));
    else if (body.length === 0) console.log('No keys.');
    else for (const k of body) console.log(describe(k));
  });

  ownerOptions(keys.command('create').description('Create an API key for the workspace (or --project) and print it once.'))
    .requiredOption('--name <name>', 'a name for the key', nameArg)
    .option('--expires-at <time>', 'when the key stops working (RFC 3339)')
    .option('--scopes <list>', 'comma-separated scopes such as projects:read,members:write (default: full access)', listArg)
    .option('--allowed-cidrs <list>', 'comma-separated addresses or CIDRs the key may be used from', listArg)
    .option('--rate-limit <limit>', 'requests per window, such as 1000/1m', rateLimitArg)
    .action(async (o: Target & { name: string; expiresAt?: string; scopes?: string[]; allowedCidrs?: string[]; rateLimit?: { requests: number; per: string } }) => {
      const client = managementClient(o.endpoint);
      const body = {
        name: o.name,
        ...(o.expiresAt ? { expires_at: o.expiresAt } : {}),
        ...(o.scopes ? { scopes: o.scopes } : {}),
        ...(o.allowedCidrs ? { allowed_cidrs: o.allowedCidrs } : {}),
        ...(o.rateLimit ? { rate_limit: o.rateLimit } : {}),
      };
      printNewKey((await client.call<KeyView>('POST', await tokensPath(client, o), body)).body, o.json, 'Created');
    });

  ownerOptions(keys.command('rotate').description('Replace a key with a new one (same name, scopes and limits); the old one works until the grace period ends.'))
    .argument('<key-id>', 'the key to rotate')
    .option('--grace-period <duration>', 'how long the old key keeps working, such as 24h (default 0)')
    .action(async (id: string, o: Target & { gracePeriod?: string }) => {
      const client = managementClient(o.endpoint);
      const path = `${await tokensPath(client, o)}/${encodeURIComponent(id)}/rotate`;
      printNewKey((await client.call<KeyView>('POST', path, o.gracePeriod ? { grace_period: o.gracePeriod } : {})).body, o.json, 'Rotated to');
    });

  ownerOptions(keys.command('revoke').description('Revoke a key at once (on every node within a second).'))
    .argument('<key-id>', 'the key to revoke')
    .action(async (id: string, o: Target) => {
      const client = managementClient(o.endpoint);
      await client.call('DELETE', `${await tokensPath(client, o)}/${encodeURIComponent(id)}`);
      if (o.json) console.log(JSON.stringify({ id, revoked: true }));
      else console.log(`Revoked key ${id}.`);
    });
}
