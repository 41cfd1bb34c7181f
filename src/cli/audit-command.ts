import { InvalidArgumentError, type Command } from 'commander';
import { managementClient, nextLink } from './management-client.js';
import { workspaceOf } from './key-commands.js';

// `gatehouse audit`: the workspace's audit log (GET /workspaces/{ws}/audit-events), newest first.

interface AuditEvent {
  occurred_at: string;
  event: string;
  actor: { kind: string; id: string | null; name: string | null };
  client_address: string | null;
  target: { type: string; id: string; name: string | null };
  outcome: string;
}

function limitArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new InvalidArgumentError('a number from 1 to 100000.');
  return n;
}

const line = (e: AuditEvent) =>
  [e.occurred_at, e.event, e.outcome === 'success' ? '' : e.outcome.toUpperCase(), `by ${e.actor.name ?? e.actor.id ?? e.actor.kind}`, `on ${e.target.type} ${e.target.name ?? e.target.id}`, e.client_address ? `from ${e.client_address}` : '']
    .filter(Boolean)
    .join('  ');

export function registerAuditCommand(program: Command): void {
  program
    .command('audit')
    .description("Show the workspace's audit log, newest first (needs an owner's workspace key in ORY_WORKSPACE_API_KEY).")
    .option('--endpoint <url>', 'the Gatehouse server (default $GATEHOUSE_URL or http://127.0.0.1:4000)')
    .option('--workspace <id>', "the workspace (default: the key's own)")
    .option('--actor <id>', 'only events of this user or key id')
    .option('--target <id>', 'only events about this id')
    .option('--event <types>', 'only these event types, comma-separated (project.created,api_key.revoked)')
    .option('--since <time>', 'only events at or after this time (RFC 3339)')
    .option('--until <time>', 'only events at or before this time (RFC 3339)')
    .option('--limit <n>', 'at most this many events', limitArg, 100)
    .option('--json', 'print the events as a JSON array')
    .action(async (o: { endpoint?: string; workspace?: string; actor?: string; target?: string; event?: string; since?: string; until?: string; limit: number; json?: boolean }) => {
      const client = managementClient(o.endpoint);
      const ws = await workspaceOf(client, o.workspace);
      const q = new URLSearchParams({ page_size: String(Math.min(o.limit, 1000)) });
      for (const k of ['actor', 'target', 'event', 'since', 'until'] as const) if (o[k] !== undefined) q.set(k, o[k]!);
      const events: AuditEvent[] = [];
      let path: string | null = `/workspaces/${encodeURIComponent(ws)}/audit-events?${q}`;
      while (path && events.length < o.limit) {
        const page: { body: AuditEvent[]; link: string | null } = await client.call<AuditEvent[]>('GET', path);
        events.push(...page.body);
        path = page.body.length > 0 ? nextLink(page.link) : null;
      }
      const shown = events.slice(0, o.limit);
      if (o.json) console.log(JSON.stringify(shown, null, 2));
      else if (shown.length === 0) console.log('No events.');
      else for (const e of shown) console.log(line(e));
    });
}
