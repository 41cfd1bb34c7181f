import { sql } from 'kysely';
import type { BenchEnv, BenchRequest, Scenario } from '../scenario.js';
import { tupleToRow, type Tuple } from '../../src/permissions/tuples.js';

// Permission checks against a store of BENCH_TUPLES relation tuples (default 1,000,000): a direct
// tuple, a 3-level subject-set chain, and chains needing depth 1..5 to show how latency grows.

const TOTAL = Math.max(10_000, Number(process.env.BENCH_TUPLES ?? 1_000_000));

const OPL = `
class User implements Namespace {}
class Group implements Namespace {
  related: { members: (User | SubjectSet<Group, "members">)[] }
}
class Document implements Namespace {
  related: {
    viewers: (User | SubjectSet<Group, "members">)[]
    owners: User[]
  }
  permits = {
    view: (ctx: Context): boolean => this.related.viewers.includes(ctx.subject) || this.related.owners.includes(ctx.subject),
  }
}`;

const userSet = (id: string): Tuple['subject'] => ({ id });
const groupMembers = (g: string): Tuple['subject'] => ({ set: { namespace: 'Group', object: g, relation: 'members' } });
const tuple = (namespace: string, object: string, relation: string, subject: Tuple['subject']): Tuple => ({ namespace, object, relation, subject });

/** The tuples a check at `depth` walks: Document:depth-N#viewers -> Group:d{N}-1 -> ... -> user. */
function chain(depth: number): Tuple[] {
  const out: Tuple[] = [];
  const groups = Array.from({ length: depth - 1 }, (_, i) => `depth-${depth}-g${i + 1}`);
  out.push(tuple('Document', `depth-${depth}`, 'viewers', groups.length ? groupMembers(groups[0]) : userSet('chain-user')));
  for (let i = 0; i < groups.length; i++) {
    out.push(tuple('Group', groups[i], 'members', i + 1 < groups.length ? groupMembers(groups[i + 1]) : userSet('chain-user')));
  }
  return out;
}

let seeded: Promise<void> | undefined;

/**
 * Seeds the project once for every scenario: the OPL config through the management API (so the
 * server's own cache sees it), then TOTAL tuples with multi-row inserts inside transactions.
 * Filler: documents with 8 viewers each, every fourth viewer a group, and groups with members.
 */
function seed(env: BenchEnv): Promise<void> {
  seeded ??= (async () => {
    const { url, registry, tenant } = env;
    const res = await fetch(`${url}/projects/${tenant.projectId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${tenant.workspaceKey}`, 'content-type': 'application/json' },
      body: JSON.stringify([{ op: 'replace', path: '/services/permission/config', value: { opl: OPL, limit: { max_read_depth: 5 } } }]),
    });
    if (!res.ok) throw new Error(`permission config update failed: ${res.status} ${await res.text()}`);

    const special: Tuple[] = [tuple('Document', 'direct-doc', 'viewers', userSet('direct-user'))];
    for (let d = 1; d <= 5; d++) special.push(...chain(d));
    const at = new Date().toISOString();
    const projectId = tenant.projectId;
    const filler = (i: number) => {
      if (i % 10 === 9) return tuple('Group', `g-${Math.floor(i / 10) % 50_000}`, 'members', userSet(`u-${i}`));
      const doc = `doc-${Math.floor(i / 8)}`;
      return tuple('Document', doc, 'viewers', i % 4 === 3 ? groupMembers(`g-${i % 50_000}`) : userSet(`u-${(i * 7) % 200_000}`));
    };
    const ROWS_PER_STATEMENT = 1000; // 11 columns: well under SQLite's 32,766 bound parameters
    const ROWS_PER_TRANSACTION = 100_000;
    const count = TOTAL - special.length;
    const started = Date.now();
    for (let t0 = 0; t0 < count; t0 += ROWS_PER_TRANSACTION) {
      await registry.db.transaction().execute(async (trx) => {
        for (let s0 = t0; s0 < Math.min(count, t0 + ROWS_PER_TRANSACTION); s0 += ROWS_PER_STATEMENT) {
          const rows = [];
          for (let i = s0; i < Math.min(count, s0 + ROWS_PER_STATEMENT, t0 + ROWS_PER_TRANSACTION); i++) rows.push(tupleToRow(projectId, filler(i), at));
          await trx.insertInto('relation_tuples').values(rows).onConflict((oc) => oc.doNothing()).execute();
        }
      });
    }
    await registry.db.insertInto('relation_tuples').values(special.map((t) => tupleToRow(projectId, t, at))).onConflict((oc) => oc.doNothing()).execute();
    // Statistics for the table just loaded only (as on PostgreSQL): every scenario's prepare runs
    // before any measurement, so a database-wide ANALYZE would change other groups' runs too.
    await sql`ANALYZE relation_tuples`.execute(registry.db);
    if (registry.store.dialect === 'sqlite') {
      // Fold the seeding's WAL into the database so the server's reads do not wade through it.
      await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(registry.db);
    }
    console.log(`permissions: seeded ${TOTAL} relation tuples in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    // Warm the server after the bulk load (statement cache, the store's pages) before measuring.
    for (let i = 0; i < 300; i++) {
      const depth = (i % 5) + 1;
      const q = new URLSearchParams({ namespace: 'Document', object: `depth-${depth}`, relation: 'viewers', subject_id: 'chain-user' });
      const warm = await fetch(`${url}/p/${tenant.projectSlug}/relation-tuples/check?${q}`, { headers: { authorization: `Bearer ${tenant.projectKey}` } });
      await warm.arrayBuffer();
    }
  })();
  return seeded;
}

function checkRequest(env: BenchEnv, q: Record<string, string>): BenchRequest {
  return {
    method: 'GET',
    path: `/p/${env.tenant.projectSlug}/relation-tuples/check?${new URLSearchParams(q)}`,
    headers: { authorization: `Bearer ${env.tenant.projectKey}` },
    expectStatus: 200,
  };
}

const label = TOTAL === 1_000_000 ? '1M' : `${TOTAL}`;

export const scenarios: Scenario[] = [
  {
    name: `check: direct tuple (${label} tuples)`,
    group: 'permissions',
    prepare: async (env) => {
      await seed(env);
      return checkRequest(env, { namespace: 'Document', object: 'direct-doc', relation: 'viewers', subject_id: 'direct-user' });
    },
  },
  {
    name: `check: 3-level subject-set chain (${label} tuples)`,
    group: 'permissions',
    prepare: async (env) => {
      await seed(env);
      // Document:depth-4#viewers -> Group g1 -> g2 -> g3 -> chain-user: three subject-set hops.
      return checkRequest(env, { namespace: 'Document', object: 'depth-4', relation: 'viewers', subject_id: 'chain-user' });
    },
  },
  {
    name: `check: OPL permit over a direct tuple (${label})`,
    group: 'permissions',
    prepare: async (env) => {
      await seed(env);
      return checkRequest(env, { namespace: 'Document', object: 'direct-doc', relation: 'view', subject_id: 'direct-user' });
    },
  },
  ...[1, 2, 3, 4, 5].map(
    (depth): Scenario => ({
      name: `check latency at depth ${depth} (${label} tuples)`,
      group: 'permissions',
      prepare: async (env) => {
        await seed(env);
        return checkRequest(env, { namespace: 'Document', object: `depth-${depth}`, relation: 'viewers', subject_id: 'chain-user', 'max-depth': String(depth) });
      },
    }),
  ),
];
