import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('layers of src/', () => {
  it('has no import cycle, no upward import from platform/, and frozen migrations (.dependency-cruiser.cjs)', () => {
    const run = spawnSync(process.execPath, ['node_modules/dependency-cruiser/bin/dependency-cruise.mjs', 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { encoding: 'utf8' });
    expect(run.stdout + run.stderr).toContain('no dependency violations found');
    expect(run.status).toBe(0);
  }, 60_000);
});
