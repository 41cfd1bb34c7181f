import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WEB = join(ROOT, 'web');

/** Debian's chromium (what .ci/run installs), or CHROMIUM_PATH. */
export function chromiumPath(): string | null {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (p && existsSync(p)) return p;
  }
  return null;
}

function hashTree(hash: ReturnType<typeof createHash>, path: string): void {
  if (!existsSync(path)) return;
  if (statSync(path).isDirectory()) {
    for (const f of readdirSync(path).sort()) hashTree(hash, join(path, f));
  } else {
    hash.update(path.slice(ROOT.length)).update(readFileSync(path));
  }
}

/**
 * Builds the console for the browser tests into a folder named after the hash of its sources, once
 * per version of the sources. Tests never serve web/dist: `npm run build` may rewrite it at any
 * moment, and a concurrent test run must not see its assets vanish mid-test.
 */
function buildForTests(): { dir: string } | { error: string } {
  const hash = createHash('sha256');
  hash.update('production');
  for (const p of ['src', 'public', 'index.html', 'vite.config.ts', 'tsconfig.json']) hashTree(hash, join(WEB, p));
  hashTree(hash, join(ROOT, 'package-lock.json'));
  const dir = join(ROOT, 'node_modules', '.cache', 'gatehouse-console', hash.digest('hex').slice(0, 16));
  if (existsSync(join(dir, 'index.html'))) return { dir };
  const tmp = `${dir}.tmp-${process.pid}`;
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(WEB, 'vite.config.ts'), '--outDir', tmp, '--emptyOutDir'], {
      cwd: ROOT,
      stdio: 'pipe',
      timeout: 120_000,
      // vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
      env: { ...process.env, NODE_ENV: 'production' },
    });
    try {
      renameSync(tmp, dir);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(join(dir, 'index.html'))) throw err; // else another run built the same sources first
    }
    return { dir };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    return { error: `the console could not be built (${String((err as Error).message).split('\n')[0]})` };
  }
}

/** Whether the browser tests can run here: the built assets to serve, or why they are skipped. */
export function prepareBrowserTests(): { assetsDir: string; skip?: undefined } | { skip: string } {
  if (!chromiumPath()) return { skip: "Chromium was not found at /usr/bin/chromium (install Debian's package: apt-get install chromium; or set CHROMIUM_PATH)" };
  const built = buildForTests();
  return 'error' in built ? { skip: built.error } : { assetsDir: built.dir };
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath()!,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

/** After a failed test, leaves a picture of the screen in test-results/ for whoever has to understand it. */
export async function screenshotOnFailure(page: Page | undefined, task: { name: string; result?: { state?: string } }): Promise<void> {
  if (task.result?.state !== 'fail' || !page) return;
  mkdirSync(join(ROOT, 'test-results'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'test-results', `failed-${task.name.replace(/\W+/g, '-').slice(0, 60)}.png`), fullPage: true }).catch(() => {});
}
