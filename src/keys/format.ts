import { createHmac } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { secretHash } from '../platform/crypto.js';
import { BASE62, checksum62, randomBase62 } from '../platform/base62.js';

// Key format: {prefix}{body}; body = 40 base62 characters of CSPRNG output followed by a
// 6-character base62 CRC32 of everything before it. The checksum lets us (and secret scanners) reject
// mistyped or random strings with no I/O at all.

export type KeyKind = 'workspace' | 'project';

export const KEY_PREFIX = { workspace: 'ory_wak_', project: 'ory_pat_' } as const;
/** Imported keys of Ory's older format: accepted where imported, never issued. */
export const LEGACY_PROJECT_PREFIX = 'ory_apikey_';

const ALPHABET = BASE62;
const RANDOM_LENGTH = 40;
const CHECKSUM_LENGTH = 6;
const MAX_KEY_LENGTH = 256;

const checksum = checksum62;

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
  const body = raw.slice(KEY_PREFIX[kind].length);
  if (body.length < 32 + CHECKSUM_LENGTH || !/^[0-9A-Za-z]+$/.test(body)) return null;
  // Compared as numbers: decoding the six checked characters is cheaper than encoding the CRC.
  let presented = 0;
  for (let i = raw.length - CHECKSUM_LENGTH; i < raw.length; i++) presented = presented * 62 + ALPHABET.indexOf(raw[i]);
  return crc32(raw.slice(0, raw.length - CHECKSUM_LENGTH)) === presented ? kind : null;
}

/** The database lookup value for a key: `secretHash` under the server secret, purpose `api-key`. */
export function hashApiKey(secret: string, raw: string): string {
  return secretHash(secret, 'api-key', raw);
}

/**
 * The lookup value keys were stored under before every server-secret HMAC was bound to a purpose:
 * HMAC-SHA256(secret, key) as hex. Keys live for years and are never re-hashed (the key itself is not
 * stored), so lookups keep matching this form too; new keys are stored under `hashApiKey`.
 */
export function legacyApiKeyHash(secret: string, raw: string): string {
  return createHmac('sha256', secret).update(raw).digest('hex');
}
