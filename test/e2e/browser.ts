import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WEB = join(ROOT, 'web');
const DIST_INDEX = join(WEB, 'dist', 'index.html');

/** Debian's chromium (what .ci/run installs), or CHROMIUM_PATH. */
export function chromiumPath(): string | null {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (p && existsSync(p)) return p;
  }
  return null;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestSource(p) : s.mtimeMs);
  }
  return newest;
}

/**
 * Makes sure the console's built assets exist and are not older than its sources (npm ci builds
 * them; a developer who edited web/src gets a fresh build here). Returns why it could not, or null.
 */
export function ensureConsoleBuilt(): string | null {
  const stale = !existsSync(DIST_INDEX) || statSync(DIST_INDEX).mtimeMs < Math.max(newestSource(join(WEB, 'src')), statSync(join(WEB, 'index.html')).mtimeMs);
  if (!stale) return null;
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(WEB, 'vite.config.ts')], { cwd: ROOT, stdio: 'pipe', timeout: 120_000 });
    return null;
  } catch (err) {
    return `the console could not be built (${String((err as Error).message).split('\n')[0]})`;
  }
}

/** Why the browser tests cannot run here, or null when they can. */
export function browserSkipReason(): string | null {
  if (!chromiumPath()) return 'Chromium was not found at /usr/bin/chromium (install Debian\'s package: apt-get install chromium; or set CHROMIUM_PATH)';
  return ensureConsoleBuilt();
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath()!,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}
