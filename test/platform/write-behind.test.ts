import { describe, expect, it } from 'vitest';
import { WriteBehind } from '../../src/platform/write-behind.js';

describe('write-behind buffer', () => {
  it('writes what was set since the last flush, once, combined as told', async () => {
    const written: [string, number][][] = [];
    const w = new WriteBehind<string, number>({ everyMs: 60_000, merge: (a, b) => a + b, write: async (batch) => void written.push([...batch]) });
    w.set('a', 1);
    w.set('a', 2);
    w.set('b', 5);
    expect(w.get('a')).toBe(3);
    await w.flush();
    await w.flush();
    expect(written).toEqual([[['a', 3], ['b', 5]]]);
    expect(w.get('a')).toBeUndefined();
    await w.close();
  });

  it('puts back what `keep` chooses when a write fails, merged with what came since', async () => {
    let fail = true;
    const written: [string, number][][] = [];
    const w = new WriteBehind<string, number>({
      everyMs: 60_000,
      merge: (a, b) => a + b,
      keep: (k) => k !== 'gauge',
      write: async (batch) => {
        if (fail) throw new Error('store down');
        written.push([...batch]);
      },
    });
    w.set('count', 2);
    w.set('gauge', 7);
    await expect(w.flush()).rejects.toThrow('store down');
    w.set('count', 1);
    fail = false;
    await w.close();
    expect(written).toEqual([[['count', 3]]]);
  });

  it('keeps the newest value when no merge is given', async () => {
    const written: [string, number][][] = [];
    const w = new WriteBehind<string, number>({ everyMs: 60_000, write: async (batch) => void written.push([...batch]) });
    w.set('k', 1);
    w.set('k', 9);
    await w.close();
    expect(written).toEqual([[['k', 9]]]);
  });
});
