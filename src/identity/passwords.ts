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

/**
 * Work limits of imported hashes. A hash carries its own cost, and every login attempt for its
 * identifier (by anyone) pays it on this shared process: a bcrypt cost of 31 or an argon2 memory
 * cost of gigabytes would let one tenant stall or exhaust the server. Kratos' defaults (bcrypt 12,
 * argon2 128 MiB) are well inside these.
 */
export const MAX_BCRYPT_COST = 15;
export const MAX_ARGON2 = { memoryKiB: 128 * 1024, iterations: 16, parallelism: 16 } as const;

/** Which imported hash formats are accepted: bcrypt `$2a$`/`$2b$`/`$2y$` and argon2 `$argon2id$`/`$argon2i$`, within the work limits. */
export function importedHashKind(hashed: string): HashKind | null {
  const b = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/.exec(hashed);
  if (b) return Number(b[1]) >= 4 && Number(b[1]) <= MAX_BCRYPT_COST ? 'bcrypt' : null;
  const a = /^\$argon2(?:id|i|d)\$v=\d{1,3}\$m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,10})\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/.exec(hashed);
  if (a) {
    const [m, t, p] = [Number(a[1]), Number(a[2]), Number(a[3])];
    return m <= MAX_ARGON2.memoryKiB && t >= 1 && t <= MAX_ARGON2.iterations && p >= 1 && p <= MAX_ARGON2.parallelism ? 'argon2' : null;
  }
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
