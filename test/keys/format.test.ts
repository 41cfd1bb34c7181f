import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey, legacyApiKeyHash, parseApiKey } from '../../src/keys/format.js';

describe('API key format', () => {
  it('issues prefixed base62 keys with a valid checksum', () => {
    const ws = generateApiKey('workspace');
    const pj = generateApiKey('project');
    expect(ws).toMatch(/^ory_wak_[0-9A-Za-z]{46}$/);
    expect(pj).toMatch(/^ory_pat_[0-9A-Za-z]{46}$/);
    expect(parseApiKey(ws)).toBe('workspace');
    expect(parseApiKey(pj)).toBe('project');
  });

  it('checksums with zlib\'s CRC-32, as keys issued by any version were', () => {
    const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    for (let i = 0; i < 200; i++) {
      const key = generateApiKey(i % 2 ? 'workspace' : 'project');
      const presented = [...key.slice(-6)].reduce((n, c) => n * 62 + ALPHABET.indexOf(c), 0);
      expect(presented).toBe(crc32(key.slice(0, -6)));
    }
  });

  it('never issues the same key twice', () => {
    const keys = new Set(Array.from({ length: 2000 }, () => generateApiKey('project')));
    expect(keys.size).toBe(2000);
  });

  it('rejects mistyped, truncated, random and foreign strings without I/O', () => {
    const key = generateApiKey('workspace');
    const flipped = key.slice(0, 20) + (key[20] === 'a' ? 'b' : 'a') + key.slice(21);
    for (const bad of [flipped, key.slice(0, -1), key + 'x', 'ory_wak_' + 'a'.repeat(46), 'ory_xyz_' + key.slice(8), '', 'Bearer', 'ory_wak_', key.replace('ory_wak_', 'ory_pat_'), key + '\u0000', 'x'.repeat(10_000)]) {
      expect(parseApiKey(bad), bad.slice(0, 60)).toBeNull();
    }
  });

  it('accepts legacy ory_apikey_ keys by shape as project keys', () => {
    expect(parseApiKey('ory_apikey_' + 'Ab3'.repeat(10))).toBe('project');
    expect(parseApiKey('ory_apikey_short')).toBeNull();
  });

  it('hashes under the server secret, so the stored value is useless without it', () => {
    const key = generateApiKey('project');
    expect(hashApiKey('s1', key)).toMatch(/^[0-9A-Za-z_-]{43}$/);
    expect(hashApiKey('s1', key)).not.toBe(hashApiKey('s2', key));
    expect(hashApiKey('s1', key)).not.toContain(key.slice(8, 20));
    // The form keys were stored under before hashes named their purpose: still computed for lookups.
    expect(legacyApiKeyHash('s1', key)).toMatch(/^[0-9a-f]{64}$/);
    expect(legacyApiKeyHash('s1', key)).not.toBe(hashApiKey('s1', key));
  });
});
