import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes, randomFillSync, timingSafeEqual, type KeyObject } from 'node:crypto';

/**
 * What an HMAC of the server secret is for. Each stored hash names its purpose, so a value hashed
 * for one use (a session token) can never match a lookup for another (an invite), even when both
 * are the same string. Add a purpose here for every new kind of hashed secret.
 */
export type HashPurpose =
  | 'api-key'
  | 'user-api-key'
  | 'user-key-macaroon'
  | 'session'
  | 'invite'
  | 'console-session'
  | 'console-csrf'
  | 'console-sign-in'
  | 'flow-csrf-binding'
  | 'flow-csrf-token'
  | 'flow-code'
  | 'lookup-secret'
  | 'flow-logout'
  | 'flow-throttle-identifier'
  | 'flow-throttle-code'
  | 'jwt-assertion-jti'
  | 'oauth2-client-secret'
  | 'oauth2-device-code'
  | 'oauth2-user-code'
  | 'oauth2-login-session'
  | 'oauth2-token'
  | `oauth2-flow-${string}`
  | `oauth2-logout-${string}`;

// Importing a string key costs more than the HMAC of a short token: keep the key objects of the (few)
// server secrets in use.
const hmacKeys = new Map<string, KeyObject>();
function hmacKey(secret: string): KeyObject {
  let key = hmacKeys.get(secret);
  if (!key) {
    if (hmacKeys.size >= 16) hmacKeys.clear();
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    hmacKeys.set(secret, key);
  }
  return key;
}

/** HMAC-SHA256 (base64url) of `value` under the server secret, bound to `purpose`. */
export function secretHash(secret: string, purpose: HashPurpose, value: string): string {
  return createHmac('sha256', hmacKey(secret)).update(purpose).update('\0').update(value).digest('base64url');
}

// CSPRNG output is drawn in blocks (as crypto.randomUUID does) and every byte is handed out once.
const POOL_SIZE = 32 * 128;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

/** A random token with an optional recognisable prefix (`ory_at_`, `ory_st_`...): 256 bits of CSPRNG output. */
export function randomToken(prefix = ''): string {
  if (poolOffset + 32 > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const out = pool.toString('base64url', poolOffset, poolOffset + 32);
  pool.fill(0, poolOffset, poolOffset + 32);
  poolOffset += 32;
  return prefix + out;
}

/** Constant-time comparison of two strings (false when their lengths differ). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** What a sealed (encrypted) secret is for; each purpose has its own key, so one never opens another. */
export type SealPurpose = 'totp-secret' | 'flow-pending-secret' | 'config-secret';

const SEAL_VERSION = 'v1';
const sealKey = (secret: string, purpose: SealPurpose): Buffer => createHmac('sha256', secret).update(`gatehouse/seal/${purpose}`).digest();

/**
 * Encrypts a secret that must be read back (a TOTP seed) with AES-256-GCM under a key derived from
 * the server secret and `purpose`: `v1.{iv}.{ciphertext and tag}`, base64url.
 */
export function seal(secret: string, purpose: SealPurpose, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(secret, purpose), iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${SEAL_VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}`;
}

/** The plaintext of `seal`, or null when the value was not sealed for `purpose` under this secret. */
export function unseal(secret: string, purpose: SealPurpose, sealed: string): string | null {
  const [version, iv, body] = sealed.split('.');
  if (version !== SEAL_VERSION || !iv || !body) return null;
  try {
    const raw = Buffer.from(body, 'base64url');
    if (raw.length < 16) return null;
    const decipher = createDecipheriv('aes-256-gcm', sealKey(secret, purpose), Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([decipher.update(raw.subarray(0, raw.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}

/** How a project config value sealed at rest starts (SMTP connection URIs, HTTP delivery credentials). */
export const SEALED_CONFIG_PREFIX = 'gatehouse:sealed:';

/** Seals a secret of a project config for storage; an already sealed value is kept as it is. */
export function sealConfigSecret(secret: string, value: string): string {
  return value.startsWith(SEALED_CONFIG_PREFIX) ? value : SEALED_CONFIG_PREFIX + seal(secret, 'config-secret', value);
}

/** The plaintext of a config value (sealed or not); throws when a sealed value was not sealed by this secret. */
export function openConfigSecret(secret: string, value: string): string {
  if (!value.startsWith(SEALED_CONFIG_PREFIX)) return value;
  const plain = unseal(secret, 'config-secret', value.slice(SEALED_CONFIG_PREFIX.length));
  if (plain === null) throw new Error(`a value starting "${SEALED_CONFIG_PREFIX}" was not sealed by this server's secret; set it again in plaintext`);
  return plain;
}
