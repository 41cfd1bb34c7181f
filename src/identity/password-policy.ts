import { readIdentityConfig } from './identity-config.js';
import { BCRYPT_MAX_BYTES } from './passwords.js';

// Kratos' defaults: a password must differ from each identifier by at least 5 edits and share no
// common substring longer than half of the password.
const MIN_IDENTIFIER_DISTANCE = 5;
const MAX_SHARED_SUBSTRING_RATIO = 0.5;

/**
 * Checks a new password against the project's password policy
 * (`selfservice.methods.password.config` of the identity config). Returns null when the password is
 * acceptable, otherwise Kratos' human message. Passwords longer than bcrypt's 72-byte input limit
 * are refused (never truncated), so every hash format Gatehouse accepts treats them the same.
 */
export function checkPasswordPolicy(identityConfig: unknown, identifiers: string[], password: string): string | null {
  const policy = readIdentityConfig(identityConfig).password;
  const min = policy.minLength;
  const length = [...password].length;
  if (length < min) return `The password must be at least ${min} characters long, but got ${length}.`;
  const bytes = Buffer.byteLength(password, 'utf8');
  if (bytes > BCRYPT_MAX_BYTES) return `The password must be at most ${BCRYPT_MAX_BYTES} characters long, but got ${bytes}.`;
  if (policy.identifierSimilarityCheck) {
    const pw = password.toLowerCase();
    for (const identifier of identifiers) {
      if (!identifier) continue;
      const id = identifier.toLowerCase().slice(0, 1024);
      if (levenshtein(id, pw) < MIN_IDENTIFIER_DISTANCE || longestCommonSubstring(id, pw) / pw.length > MAX_SHARED_SUBSTRING_RATIO) {
        return 'The password can not be used because it is too similar to the identifier.';
      }
    }
  }
  return null;
}

function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (!a.length) return b.length;
  if (!b.length) return a.length;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

function longestCommonSubstring(a: string, b: string): number {
  let best = 0;
  let prev = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const cur = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++) {
      if (a[i - 1] === b[j - 1]) {
        cur[j] = prev[j - 1] + 1;
        if (cur[j] > best) best = cur[j];
      }
    }
    prev = cur;
  }
  return best;
}
