import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';

// Argon2id parameters (OWASP's minimum recommendation: 19 MiB, 2 passes, 1 lane). The hash string
// carries its parameters, so raising these later keeps old hashes verifiable.
const ARGON2_OPTIONS = { algorithm: 2 /* Argon2id */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** bcrypt reads at most 72 bytes; a longer password is refused rather than silently truncated. */
export const BCRYPT_MAX_BYTES = 72;
/** Largest password accepted at all (argon2 has no practical limit; this bounds the work). */
export const MAX_PASSWORD_BYTES = 1024;

/** Hashes a password with argon2id. */
export function hashPassword(password: string): Promise<string> {
  return argon2Hash(password, ARGON2_OPTIONS);
}

export type HashKind = 'argon2' | 'bcrypt';

/** Which imported hash formats are accepted: bcrypt `$2a$`/`$2b$`/`$2y$` and argon2 `$argon2id$`/`$argon2i$`. */
export function importedHashKind(hashed: string): HashKind | null {
  if (/^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/.test(hashed)) return 'bcrypt';
  if (/^\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/.test(hashed)) return 'argon2';
  return null;
}

// A real argon2id hash verified when there is nothing to verify against, so that "no such user"
// and "wrong password" cost the same time.
let dummyHash: Promise<string> | null = null;
const dummy = () => (dummyHash ??= hashPassword('gatehouse-dummy-password-for-constant-work'));

/**
 * Checks a password against a stored hash (argon2 or bcrypt). Does comparable work when `hashed`
 * is null or unusable and then answers false. Never throws.
 */
export async function verifyPasswordHash(hashed: string | null | undefined, password: string): Promise<boolean> {
  try {
    const kind = hashed ? importedHashKind(hashed) : null;
    if (kind === 'bcrypt') {
      if (Buffer.byteLength(password, 'utf8') > BCRYPT_MAX_BYTES) {
        await argon2Verify(await dummy(), password).catch(() => false);
        return false;
      }
      return await bcrypt.compare(password, hashed!);
    }
    if (kind === 'argon2') return await argon2Verify(hashed!, password);
    await argon2Verify(await dummy(), password).catch(() => false);
    return false;
  } catch {
    return false;
  }
}
