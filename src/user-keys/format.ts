import { hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { secretHash } from '../platform/crypto.js';
import { BASE62, checksum62, randomBase62 } from '../platform/base62.js';

// Issued user keys look like Ory Talos's (`{prefix}_v1_…`, a versioned format with a checksum) and
// like Gatehouse's own keys (src/keys/format.ts): `ghk_v1_` + 40 base62 characters of CSPRNG output
// (238 bits) + a 6-character base62 CRC32 of everything before it. The checksum lets a verifier
// reject a mistyped or random string with no I/O and lets secret scanners recognise a real key.
// Talos puts the key id and an HMAC into the key instead; a random body keeps a leaked server
// secret from minting keys, and the HMAC of the whole key is the lookup value (DESIGN §4).

export const ISSUED_KEY_PREFIX = 'ghk_v1_';
const ALPHABET = BASE62;
const RANDOM_LENGTH = 40;
const CHECKSUM_LENGTH = 6;
const ISSUED_LENGTH = ISSUED_KEY_PREFIX.length + RANDOM_LENGTH + CHECKSUM_LENGTH;
/** Longest credential any verification looks at (imported keys are free-form, up to this). */
export const MAX_CREDENTIAL_LENGTH = 4096;

/** A new issued key. Shown once; only `hashUserKey` of it is stored. */
export function generateIssuedKey(): string {
  const head = ISSUED_KEY_PREFIX + randomBase62(RANDOM_LENGTH);
  return head + checksum62(head);
}

/** True when `raw` claims to be an issued key (its prefix): it is then judged by `isWellFormedIssuedKey` only. */
export const looksIssued = (raw: string): boolean => raw.startsWith(ISSUED_KEY_PREFIX);

/** Prefix, length, alphabet and checksum of an issued key, with no I/O. */
export function isWellFormedIssuedKey(raw: string): boolean {
  if (raw.length !== ISSUED_LENGTH || !raw.startsWith(ISSUED_KEY_PREFIX)) return false;
  let presented = 0;
  for (let i = ISSUED_KEY_PREFIX.length; i < raw.length; i++) {
    const d = ALPHABET.indexOf(raw[i]);
    if (d < 0) return false;
    if (i >= raw.length - CHECKSUM_LENGTH) presented = presented * 62 + d;
  }
  return crc32(raw.slice(0, raw.length - CHECKSUM_LENGTH)) === presented;
}

/** The lookup value of a user key (issued or imported): bound to its project, so one project's hash never matches in another. */
export function hashUserKey(secret: string, projectId: string, raw: string): string {
  return secretHash(secret, 'user-api-key', `${projectId}\0${raw}`);
}

/** The in-process cache key of a presented credential in a project: a SHA-256, never the credential. */
export const credentialFingerprint = (projectId: string, raw: string): string => hash('sha256', `${projectId}\0${raw}`, 'base64');
