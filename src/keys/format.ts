import { createHmac, randomBytes } from 'node:crypto';

// Key format (DESIGN.md §4): {prefix}{body}; body = 40 base62 characters of CSPRNG output followed by a
// 6-character base62 CRC32 of everything before it. The checksum lets us (and secret scanners) reject
// mistyped or random strings with no I/O at all.

export type KeyKind = 'workspace' | 'project';

export const KEY_PREFIX = { workspace: 'ory_wak_', project: 'ory_pat_' } as const;
/** Imported keys of Ory's older format: accepted where imported, never issued. */
export const LEGACY_PROJECT_PREFIX = 'ory_apikey_';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 40;
const CHECKSUM_LENGTH = 6;
const MAX_KEY_LENGTH = 256;

function base62(n: number, width: number): string {
  let out = '';
  for (let i = 0; i < width; i++) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/** Uniform base62 characters from the CSPRNG (rejection sampling avoids modulo bias). */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

// Each base62 character's value by character code, -1 for every other code below 128.
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DIGIT[ALPHABET.charCodeAt(i)] = i;

// CRC-32 as zlib computes it (IEEE polynomial, reflected), a table lookup per character. Keys are
// ASCII, so characters are bytes; verification folds the alphabet check into the same pass.
const CRC_TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  CRC_TABLE[n] = c;
}

function crc32(s: string): number {
  let crc = -1;
  for (let i = 0; i < s.length; i++) crc = CRC_TABLE[(crc ^ s.charCodeAt(i)) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

const checksum = (s: string) => base62(crc32(s), CHECKSUM_LENGTH);

/** Generates a new key of `kind`. The caller shows it once and stores only `hashApiKey` of it. */
export function generateApiKey(kind: KeyKind): string {
  const head = KEY_PREFIX[kind] + randomBase62(RANDOM_LENGTH);
  return head + checksum(head);
}

/**
 * Classifies a presented credential without I/O: which kind of key it claims to be, or null when it
 * is not a well-formed key (wrong prefix, bad alphabet, too short, or a checksum that does not match).
 */
export function parseApiKey(raw: string): KeyKind | null {
  if (raw.length > MAX_KEY_LENGTH) return null;
  if (raw.startsWith(LEGACY_PROJECT_PREFIX)) {
    // Legacy keys carry no checksum; only their shape can be checked here.
    return /^ory_apikey_[A-Za-z0-9_-]{16,}$/.test(raw) ? 'project' : null;
  }
  const kind: KeyKind | null = raw.startsWith(KEY_PREFIX.workspace) ? 'workspace' : raw.startsWith(KEY_PREFIX.project) ? 'project' : null;
  if (!kind) return null;
  const start = KEY_PREFIX[kind].length;
  const end = raw.length - CHECKSUM_LENGTH;
  if (end - start < 32) return null;
  // One pass, no copy: the body's characters are checked against the alphabet as the CRC takes them.
  let crc = -1;
  for (let i = 0; i < end; i++) {
    const c = raw.charCodeAt(i);
    if (i >= start && !(c < 128 && DIGIT[c] >= 0)) return null;
    crc = CRC_TABLE[(crc ^ c) & 0xff] ^ (crc >>> 8);
  }
  // Compared as numbers: decoding the six checked characters is cheaper than encoding the CRC.
  let presented = 0;
  for (let i = end; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    const digit = c < 128 ? DIGIT[c] : -1;
    if (digit < 0) return null;
    presented = presented * 62 + digit;
  }
  return (crc ^ -1) >>> 0 === presented ? kind : null;
}

/** The database lookup value for a key: HMAC-SHA256 under the server secret, hex. */
export function hashApiKey(secret: string, raw: string): string {
  return createHmac('sha256', secret).update(raw).digest('hex');
}
