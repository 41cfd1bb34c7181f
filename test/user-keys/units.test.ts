import { describe, expect, it } from 'vitest';
import { attenuate, decodeMacaroon, encodeMacaroon, macaroonSignature, readCaveats, verifyMacaroonSignature } from '../../src/user-keys/macaroon.js';
import { parseApiDuration } from '../../src/user-keys/duration.js';
import { parseFilter } from '../../src/user-keys/filter.js';
import { generateIssuedKey, isWellFormedIssuedKey } from '../../src/user-keys/format.js';

describe('derived macaroons (HMAC chain)', () => {
  const root = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
  const m = { identifier: 'key-1 nonce-1', caveats: ['exp < 2000000000', 'scopes = read write'] };

  it('matches the fixed test vectors', () => {
    // sig0 = HMAC(root, id); sig_i = HMAC(sig_{i-1}, caveat_i), computed independently with openssl:
    //   printf 'key-1 nonce-1' | openssl dgst -sha256 -mac HMAC -macopt hexkey:<root> ...
    expect(macaroonSignature(root, { identifier: m.identifier, caveats: [] }).toString('hex')).toBe(VECTOR_0);
    expect(macaroonSignature(root, m).toString('hex')).toBe(VECTOR_2);
  });

  it('verifies, attenuates, and refuses tampering and unknown caveats', () => {
    const token = encodeMacaroon(root, m);
    const parsed = decodeMacaroon(token)!;
    expect(verifyMacaroonSignature(root, parsed)).toBe(true);
    const narrower = attenuate(token, 'scopes = read')!;
    const n = decodeMacaroon(narrower)!;
    expect(verifyMacaroonSignature(root, n)).toBe(true);
    expect(readCaveats(n.caveats)!.scopes).toEqual(['read']);
    const forged = { ...n, caveats: n.caveats.slice(0, 2) };
    expect(verifyMacaroonSignature(root, forged)).toBe(false);
    expect(readCaveats(['time > 5'])).toBeNull();
    expect(decodeMacaroon('ghm_v1_garbage')).toBeNull();
  });
});

describe('durations, filters, key format', () => {
  it('reads protobuf, Go and extended durations', () => {
    expect(parseApiDuration('3600s')).toBe(3_600_000);
    expect(parseApiDuration('1.5s')).toBe(1500);
    expect(parseApiDuration('1h30m')).toBe(5_400_000);
    expect(parseApiDuration('1d')).toBe(86_400_000);
    expect(parseApiDuration('1w')).toBe(7 * 86_400_000);
    expect(parseApiDuration('1mo')).toBe(30 * 86_400_000);
    expect(parseApiDuration('1y6mo')).toBe(545 * 86_400_000);
    for (const bad of ['', '1 day', 'P1D', '-1s', '1x', 's']) expect(parseApiDuration(bad)).toBeNull();
  });

  it('parses the AIP-160 subset and refuses the rest', () => {
    expect(parseFilter('actor_id = "u 1" AND status != KEY_STATUS_REVOKED AND create_time >= "2026-01-01T00:00:00Z"')).toEqual([
      { field: 'actor_id', op: '=', value: 'u 1' },
      { field: 'status', op: '!=', value: 'KEY_STATUS_REVOKED' },
      { field: 'create_time', op: '>=', value: '2026-01-01T00:00:00.000Z' },
    ]);
    for (const bad of ['a = b OR c = d', 'secret = x', 'status = ACTIVE', 'create_time > yesterday', 'name < "a"', 'actor_id = "x', 'actor_id =', '(actor_id = x)']) expect(typeof parseFilter(bad), bad).toBe('string');
  });

  it('issues keys that pass their own checksum, and refuses altered ones with no I/O', () => {
    const key = generateIssuedKey();
    expect(isWellFormedIssuedKey(key)).toBe(true);
    expect(isWellFormedIssuedKey(key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A'))).toBe(false);
    expect(isWellFormedIssuedKey(key + 'x')).toBe(false);
  });
});

const VECTOR_0 = '22697a0198ed0b6841cc09ee686f2ed30ebc0fc2815f17283c675ff4587b60fd';
const VECTOR_2 = 'd72a8869c42a70fb71e26f8984617e20a3dfbc27582d21fe041abd067d6a11a6';
