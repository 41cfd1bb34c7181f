/**
 * `npm run bench`: measures Gatehouse against a bare Fastify baseline in the same run and reports
 * ratios (these machines are shared and noisy; only ratios within one run mean anything). Every
 * scenario is measured together with its own baseline, in alternating slices, and its ratio is to
 * that baseline.
 *
 * The foundation group also drives a reference (bench/reference-401.mjs: bare node:http writing the
 * bytes of Gatehouse's refusal), the ceiling for the bad-checksum scenario.
 *
 * The server under test, the baseline and the load generator (autocannon, bench/load.mjs) each run
 * as their own process. Options (environment): BENCH_DURATION seconds per side of a pair (default 3),
 * BENCH_SLICES alternating slices it is cut into (default 3), BENCH_SLICE_WARM unmeasured seconds
 * before each slice (default 0.5), BENCH_ROUNDS rounds, each on freshly started processes, with one
 * pair per scenario; the median ratio over rounds is reported (default 3),
 * BENCH_CONNECTIONS (default 50), BENCH_ONLY=group[,group] to run some groups, BENCH_LARGE=0 to skip
 * the large-store pass, BENCH_LOG_LEVEL for the server (default info, as `npm start`), BENCH_PIN=0 to
 * leave processes to the scheduler instead of pinning servers to CPU 0 and the load to CPU 1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync, execSync } from 'node:child_process';
import { createRegistry, type Registry } from '../src/registry.js';
import { loadConfig } from '../src/platform/config/config.js';
import { newId, nowIso } from '../src/platform/ids.js';
import { seedTenant, type Tenant } from '../test/helpers/context.js';
import { freePort } from '../test/helpers/process.js';
import type { BenchRequest, Scenario } from './scenario.js';

const ROOT = resolve(import.meta.dirname, '..');
const DURATION = Number(process.env.BENCH_DURATION ?? 3);
/** Each side of a pair is measured in this many alternating slices of DURATION / SLICES seconds. */
const SLICES = Math.max(1, Number(process.env.BENCH_SLICES ?? 3));
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ONLY = process.env.BENCH_ONLY?.split(',').filter(Boolean);
const LARGE = process.env.BENCH_LARGE !== '0';
/**
 * Servers run on CPU 0 and the load generator on CPU 1, as if on two machines: left to the
 * scheduler, they meet on one CPU often enough to move a ratio by a fifth between runs.
 */
const PIN = process.env.BENCH_PIN !== '0' && availableParallelism() >= 2 && hasTaskset();

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The command running Node with `args`, on `cpu` alone when pinning. */
const node = (cpu: number, args: string[]): [string, string[]] => (PIN ? ['taskset', ['-c', String(cpu), process.execPath, ...args]] : [process.execPath, args]);

interface Measured {
  name: string;
  group: string;
  rps: number;
  p50: number;
  p99: number;
  mismatched: number;
  total: number;
}

async function startProcess(args: string[], env: NodeJS.ProcessEnv, readyUrl: string, anyStatus = false): Promise<ChildProcess> {
  const child = spawn(...node(0, args), { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited: ${err}`);
    try {
      const res = await fetch(readyUrl);
      if (res.ok || anyStatus) return child;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`${args.join(' ')} not ready: ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Target {
  url: string;
  name: string;
  group: string;
  reqs: BenchRequest[];
  /** A fixed total request rate for both sides of the pair (Scenario.rate). */
  rate?: number;
}

/**
 * Measures a scenario and its baseline together: one load process drives both in alternating
 * slices (bench/load.mjs), so both see the same moments of a shared machine.
 */
async function measurePair(base: Target, row: Target): Promise<{ base: Measured; row: Measured }> {
  const options = (t: Target) => ({
    url: t.url,
    ...(row.rate ? { connections: 10, overallRate: row.rate } : { connections: CONNECTIONS }),
    requests: t.reqs.map((r) => ({ method: r.method, path: r.path, headers: { ...(r.body ? { 'content-type': 'application/json' } : {}), ...r.headers }, body: r.body })),
  });
  const input = { targets: [options(base), options(row)], slices: SLICES, sliceSeconds: DURATION / SLICES, warmSeconds: Number(process.env.BENCH_SLICE_WARM ?? 0.5) };
  const out = execFileSync(...node(1, [join(ROOT, 'bench/load.mjs'), JSON.stringify(input)]), { encoding: 'utf8', maxBuffer: 1 << 20 });
  const results = JSON.parse(out) as { rps: number; p50: number; p99: number; errors: number; statusCodeStats: Record<string, { count: number }> }[];
  const [b, r] = [base, row].map((t, i): Measured => {
    const result = results[i];
    const expected = new Set(t.reqs.map((q) => q.expectStatus));
    let total = 0;
    let mismatched = result.errors;
    for (const [code, { count }] of Object.entries(result.statusCodeStats)) {
      total += count;
      if (!expected.has(Number(code))) mismatched += count;
    }
    return { name: t.name, group: t.group, rps: result.rps, p50: result.p50, p99: result.p99, mismatched, total };
  });
  return { base: b, row: r };
}

async function loadScenarios(): Promise<Scenario[]> {
  const dir = join(ROOT, 'bench/scenarios');
  const all: Scenario[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()) {
    const mod = (await import(join(dir, file))) as { scenarios?: Scenario[] };
    all.push(...(mod.scenarios ?? []));
  }
  const order = ['foundation', 'console', 'identity', 'oauth2', 'permissions', 'user-keys'];
  return all.filter((s) => !ONLY || ONLY.includes(s.group)).sort((a, b) => order.indexOf(a.group) - order.indexOf(b.group));
}

/** Adds `n` issued user keys to the tenant's project (rows with random lookup hashes), for the large-store pass. */
async function seedUserKeys(registry: Registry, tenant: Tenant, n: number): Promise<void> {
  const now = nowIso();
  for (let done = 0; done < n; ) {
    const batch = Array.from({ length: Math.min(500, n - done) }, (_, i) => ({
      id: newId(), project_id: tenant.projectId, kind: 'issued' as const, secret_hash: randomBytes(32).toString('base64url'), name: `seed ${done + i}`,
      actor_id: `actor-${(done + i) % 1000}`, scopes: '[]', metadata: '{}', rate_limit_policy: null, allowed_cidrs: '[]', visibility: 'KEY_VISIBILITY_SECRET',
      request_id: null, created_at: now, updated_at: now, expires_at: null, last_used_at: null, revoked_at: null, revocation_reason: null, revocation_description: null,
    }));
    await registry.db.insertInto('user_api_keys').values(batch).execute();
    done += batch.length;
  }
}

/** Adds `n` keys to the store (rows with random lookup hashes), for the large-store pass. */
async function seedKeys(registry: Registry, tenant: Tenant, n: number): Promise<void> {
  const now = nowIso();
  for (let done = 0; done < n; ) {
    const batch = Array.from({ length: Math.min(500, n - done) }, (_, i) => ({
      id: newId(),
      kind: (i % 2 ? 'workspace' : 'project') as 'workspace' | 'project',
      workspace_id: tenant.workspaceId,
      project_id: i % 2 ? null : tenant.projectId,
      name: `bulk-${done + i}`,
      secret_hash: randomBytes(32).toString('hex'),
      last_characters: 'abcd',
      owner_id: tenant.userId,
      scopes: null,
      created_at: now,
      updated_at: now,
      expires_at: null,
      last_used_at: null,
      revoked_at: null,
    }));
    await registry.db.insertInto('api_keys').values(batch).execute();
    done += batch.length;
  }
}

const fmt = (n: number, d = 0) => n.toFixed(d).padStart(9);

function report(title: string, base: Measured, rows: Measured[], bases: Measured[]): string {
  const lines = [`\n${title}`, `${'scenario'.padEnd(52)}${'req/s'.padStart(9)}${'ratio'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'base/s'.padStart(9)}  check`];
  const line = (r: Measured, b: Measured) => {
    const check = r.total === 0 ? 'NO RESPONSES' : r.mismatched ? `${r.mismatched}/${r.total} unexpected` : 'ok';
    return `${`[${r.group}] ${r.name}`.padEnd(52).slice(0, 52)}${fmt(r.rps)}${fmt(r.rps / b.rps, 2)}${fmt(r.p50, 1)}${fmt(r.p99, 1)}${fmt(b.rps)}  ${check}`;
  };
  lines.push(line(base, base).replace(/ {2}ok$/, '  ok (mean of the paired baseline runs)'));
  rows.forEach((r, i) => lines.push(line(r, bases[i])));
  return lines.join('\n');
}

async function main(): Promise<void> {
  // Always measure the current source: a stale dist/ would serve yesterday's routes.
  if (process.env.BENCH_SKIP_BUILD !== '1') execSync('npm run build', { cwd: ROOT, stdio: 'inherit' });
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  const env = { DATA_DIR: dataDir, HOST: '127.0.0.1', LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', SECRETS_DEFAULT: randomBytes(24).toString('hex'), DATABASE_URL: `sqlite:${join(dataDir, 'bench.sqlite')}` };
  let children: ChildProcess[] = [];
  const registryConfig = { ...loadConfig({ ...process.env, ...env }) };
  const [basePort, port, refPort] = [await freePort(), await freePort(), await freePort()];
  const baseUrl = `http://127.0.0.1:${basePort}`;
  const url = `http://127.0.0.1:${port}`;
  const refUrl = `http://127.0.0.1:${refPort}`;
  // Fresh processes (same ports, same store) for every round: one process can run a fifth slower than
  // another of the same code for its whole life (heap layout, young-generation sizing), so a median
  // over rounds is also a median over process instances.
  const startServers = async () => {
    children = [
      await startProcess([join(ROOT, 'bench/baseline.mjs')], { PORT: String(basePort) }, `${baseUrl}/hello`),
      await startProcess([join(ROOT, 'bin/gatehouse.js'), 'serve'], { ...env, PORT: String(port) }, `${url}/health/ready`),
      await startProcess([join(ROOT, 'bench/reference-401.mjs')], { PORT: String(refPort) }, `${refUrl}/`, true),
    ];
  };
  const stopServers = async () => {
    const exited = (c: ChildProcess) =>
      new Promise<void>((done) => {
        if (c.exitCode !== null || c.signalCode !== null) return done();
        const force = setTimeout(() => c.kill('SIGKILL'), 5000);
        c.once('exit', () => (clearTimeout(force), done()));
        c.kill('SIGTERM');
      });
    await Promise.all(children.map(exited));
    children = [];
  };
  try {
    await startServers();
    const registry = await createRegistry(registryConfig);
    const tenant = await seedTenant(registry, 'bench');
    const scenarios = await loadScenarios();
    console.log(`Gatehouse bench: ${scenarios.length} scenarios, ${CONNECTIONS} connections, median of ${ROUNDS} rounds, each pairing ${DURATION}s of a scenario with ${DURATION}s of the baseline in ${SLICES} alternating slices, ${PIN ? 'servers on CPU 0 and load on CPU 1' : 'processes not pinned to CPUs'}, Node ${process.version}, SQLite store, server LOG_LEVEL=${env.LOG_LEVEL}`);

    const prepared: { s: Scenario; reqs: BenchRequest[] }[] = [];
    for (const s of scenarios) {
      try {
        const r = await s.prepare({ url, registry, tenant });
        prepared.push({ s, reqs: Array.isArray(r) ? r : [r] });
      } catch (err) {
        console.error(`prepare failed for ${s.name}: ${(err as Error).message}`);
      }
    }
    const hello: BenchRequest[] = [{ method: 'GET', path: '/hello', expectStatus: 200 }];
    // Each scenario is measured with its own baseline, in alternating one-second slices, once per
    // round, and reported as the median of those paired ratios: on a shared, noisy machine, load
    // drifts over seconds, which interleaving cancels, and a median ignores the round a neighbour
    // spiked (or a slow instance).
    const runPass = async (title: string) => {
      const pairs: { base: Measured; row: Measured }[][] = prepared.map(() => []);
      for (let round = 0; round < ROUNDS; round++) {
        if (children.length === 0) await startServers();
        for (const [i, { s, reqs }] of prepared.entries()) {
          pairs[i].push(await measurePair({ url: baseUrl, name: 'Fastify hello world (baseline)', group: 'baseline', reqs: hello }, { url: s.reference ? refUrl : url, name: s.name, group: s.group, reqs, rate: s.rate }));
        }
        await stopServers();
      }
      const rows: Measured[] = [];
      const bases: Measured[] = [];
      for (const p of pairs) {
        p.sort((a, b) => a.row.rps / a.base.rps - b.row.rps / b.base.rps);
        const median = p[Math.floor(p.length / 2)];
        const sum = (f: (m: Measured) => number) => p.reduce((a, q) => a + f(q.row), 0);
        rows.push({ ...median.row, mismatched: sum((m) => m.mismatched), total: sum((m) => m.total) });
        bases.push(median.base);
      }
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
      const base: Measured = { ...bases[0], rps: mean(bases.map((b) => b.rps)), p50: mean(bases.map((b) => b.p50)), p99: mean(bases.map((b) => b.p99)), mismatched: bases.reduce((a, b) => a + b.mismatched, 0), total: bases.reduce((a, b) => a + b.total, 0) };
      console.log(report(title, base, rows, bases));
      return { base, rows, bases };
    };

    const small = await runPass('Small store');
    const results: Record<string, unknown> = { small };
    // Key verification is measured again with 100,000 keys of its kind in the store: Gatehouse's own
    // keys for the foundation group, a project's issued user keys for the user-keys group.
    const LARGE_GROUPS = ['foundation', 'user-keys'];
    if (LARGE && prepared.some((p) => LARGE_GROUPS.includes(p.s.group))) {
      if (prepared.some((p) => p.s.group === 'foundation')) await seedKeys(registry, tenant, 100_000);
      if (prepared.some((p) => p.s.group === 'user-keys')) await seedUserKeys(registry, tenant, 100_000);
      const largeOnly = prepared.filter((p) => LARGE_GROUPS.includes(p.s.group) && !p.s.reference);
      const keep = prepared.splice(0, prepared.length, ...largeOnly);
      const large = await runPass('With 100,000 keys in the store (key verification scenarios)');
      prepared.splice(0, prepared.length, ...keep);
      const lines = ['\nLarge store vs small store (ratio of ratios; 1.00 = unchanged)'];
      for (const row of large.rows) {
        const smallRow = small.rows.find((r) => r.name === row.name)!;
        const ratio = (pass: { rows: Measured[]; bases: Measured[] }, r: Measured) => r.rps / pass.bases[pass.rows.indexOf(r)].rps;
        lines.push(`${row.name.padEnd(52)}${fmt(ratio(large, row) / ratio(small, smallRow), 2)}`);
      }
      console.log(lines.join('\n'));
      results.large = large;
    }
    await registry.close();
    mkdirSync(join(ROOT, '.bench'), { recursive: true });
    writeFileSync(join(ROOT, '.bench/results.json'), JSON.stringify(results, null, 2));
  } finally {
    await stopServers();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
