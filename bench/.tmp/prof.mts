import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { createRegistry } from '/work/main/src/registry.js';
import { loadConfig } from '/work/main/src/platform/config/config.js';
import { seedTenant } from '/work/main/test/helpers/context.js';

const dataDir = mkdtempSync(join(tmpdir(), 'gh-prof-'));
const profDir = mkdtempSync(join(tmpdir(), 'gh-prof-out-'));
const env = { DATA_DIR: dataDir, HOST: '127.0.0.1', LOG_LEVEL: process.env.LL ?? 'info', SECRETS_DEFAULT: randomBytes(24).toString('hex'), DATABASE_URL: `sqlite:${join(dataDir, 'b.sqlite')}`, PORT: '4555' };
const registry = await createRegistry(loadConfig({ ...process.env, ...env }));
const tenant = await seedTenant(registry, 'prof');
const { secret } = await registry.userKeys.issue(tenant.projectId, { name: 'p', actor_id: 'u', scopes: ['read'] });
await registry.close();
const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '/work/main/bin/gatehouse.js', 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
for (;;) { try { if ((await fetch('http://127.0.0.1:4555/health/ready')).ok) break; } catch {} await new Promise((r) => setTimeout(r, 100)); }
const path = process.env.MODE === 'get' ? `/projects/${tenant.projectId}` : `/p/${tenant.projectSlug}/v2alpha1/admin/apiKeys:verify`;
const key = process.env.MODE === 'get' ? tenant.workspaceKey : tenant.projectKey;
const r = await autocannon({ url: 'http://127.0.0.1:4555', connections: 50, duration: 8, requests: [{ method: process.env.MODE === 'get' ? 'GET' : 'POST', path, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: process.env.MODE === 'get' ? undefined : JSON.stringify({ credential: secret }) }] });
console.log('rps', r.requests.average, 'p99', r.latency.p99, 'non2xx', r.non2xx);
child.kill('SIGINT');
await new Promise((r) => child.on('exit', r));
const file = readdirSync(profDir)[0];
const prof = JSON.parse(readFileSync(join(profDir, file), 'utf8'));
const self = new Map<number, number>();
const dt = prof.timeDeltas as number[];
for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0));
const byFn = new Map<string, number>();
let total = 0;
for (const n of prof.nodes) { const t = self.get(n.id) ?? 0; total += t; const cf = n.callFrame; const k = `${cf.functionName || '(anon)'} ${cf.url.replace(/.*node_modules\//, '').replace('file:///work/main/', '')}:${cf.lineNumber}`; byFn.set(k, (byFn.get(k) ?? 0) + t); }
const rows = [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 45);
for (const [k, t] of rows) console.log((100 * t / total).toFixed(1).padStart(5), k);
// inclusive by file
const byFile = new Map<string, number>();
for (const n of prof.nodes) { const t = self.get(n.id) ?? 0; const u = n.callFrame.url.replace(/.*node_modules\//, 'nm:').replace('file:///work/main/', '').split('/').slice(0, 2).join('/'); byFile.set(u, (byFile.get(u) ?? 0) + t); }
console.log('--- self by file/package');
for (const [k, t] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log((100 * t / total).toFixed(1).padStart(5), k);
process.exit(0);
