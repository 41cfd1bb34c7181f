import { describe, expect, it } from 'vitest';
import { isUuid, newId } from '../../src/platform/ids.js';

describe('ids', () => {
  it('are unique UUIDv7s that sort by creation time', async () => {
    const ids = Array.from({ length: 20_000 }, () => newId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 100)) {
      expect(isUuid(id)).toBe(true);
      expect(id[14]).toBe('7');
      expect('89ab').toContain(id[19]);
    }
    const first = newId();
    await new Promise((r) => setTimeout(r, 3));
    expect(newId() > first).toBe(true);
  });
});
