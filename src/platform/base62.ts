import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** The alphabet of Gatehouse's keys and tokens: digits, then upper case, then lower case. */
export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `n` as exactly `width` base62 digits (the high digits of a larger `n` are dropped). */
export function base62(n: number, width: number): string {
  let out = '';
  for (let i = 0; i < width; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/** Uniform base62 characters from the CSPRNG (rejection sampling avoids modulo bias). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) if (byte < 248 && out.length < length) out += BASE62[byte % 62];
  }
  return out;
}

/** The 6-character base62 CRC32 that ends a key, over everything before it. */
export const checksum62 = (s: string): string => base62(crc32(s), 6);
