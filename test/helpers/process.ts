import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/gatehouse.js');

/** The compiled CLI must exist: `npm test` builds first; a bare `vitest` run needs `npm run build`. */
export function assertBuilt(): void {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it for you)');
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
    srv.on('error', rej);
  });
}

export interface ServerProcess {
  url: string;
  env: NodeJS.ProcessEnv;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far (its JSON logs). */
  output(): string;
  cli(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts `gatehouse serve` as its own process, exactly as `npm start` does, on a fresh data folder
 * (or the given DATABASE_URL), and waits until /health/ready answers.
 */
export async function startServerProcess(env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  assertBuilt();
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-proc-'));
  const port = await freePort();
  const fullEnv: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'info', ...env };
  if (!env.DATABASE_URL) delete fullEnv.DATABASE_URL;
  const child = spawn(process.execPath, [BIN, 'serve'], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}):\n${out}`);
    try {
      if ((await fetch(`${url}/health/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server did not become ready:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    env: fullEnv,
    child,
    output: () => out,
    cli: async (...args) => (await promisify(execFile)(process.execPath, [BIN, ...args], { env: fullEnv })).stdout,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('close', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
