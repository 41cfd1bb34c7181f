import { createHmac } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { badRequest, conflict, ErrorId, OryError, tooManyRequests } from '../platform/errors/errors.js';
import type { UserService } from '../tenancy/user-service.js';
import { SlidingWindowLimiter } from '../platform/rate-limit.js';
import { secretHash } from '../platform/crypto.js';

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 256;

/** argon2id with the library's defaults (argon2id, 19 MiB... see @node-rs/argon2); the PHC string is stored. */
export const hashPassword = (password: string): Promise<string> => hash(password);

// The passwords at the top of every breach list that are long enough to pass the length rule. Kratos
// asks Have I Been Pwned; Gatehouse calls out to nothing, so the console refuses at least these.
const COMMON_PASSWORDS = new Set([
  'password', 'password1', 'password12', 'password123', 'password!', 'passw0rd', 'p@ssw0rd', 'p@ssword',
  '12345678', '123456789', '1234567890', '0123456789', '87654321', '11111111', '00000000', '12341234',
  '123123123', '1q2w3e4r', '1q2w3e4r5t', 'qwertyuiop', 'qwerty123', 'qwerty12', '1qaz2wsx', 'zaq12wsx',
  'asdfghjkl', 'asdfasdf', 'abcd1234', 'abc12345', 'abcdefgh', 'iloveyou', 'sunshine', 'princess',
  'football', 'baseball', 'superman', 'trustno1', 'letmein1', 'welcome1', 'welcome123', 'changeme',
  'administrator', 'admin123', 'admin1234', 'adminadmin', 'rootroot', 'computer', 'internet', 'whatever',
  'starwars', 'dragon123', 'monkey123', 'master123', 'qazwsxedc', 'secret123', 'gatehouse', 'gatehouse1',
]);

/** Checks a new password against the console's policy; throws a 400 that says what is wrong. */
export function checkPasswordPolicy(password: string, email: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw badRequest(`The password must be at least ${MIN_PASSWORD_LENGTH} characters long.`, ErrorId.consolePasswordPolicy);
  if (password.length > MAX_PASSWORD_LENGTH) throw badRequest(`The password must be at most ${MAX_PASSWORD_LENGTH} characters long.`, ErrorId.consolePasswordPolicy);
  const e = email.toLowerCase();
  const p = password.toLowerCase();
  // Kratos-like, kept simple: the password may not be the email, its local part, or a piece of it.
  if (p === e || p === e.split('@')[0] || e.includes(p)) {
    throw badRequest('The password is too similar to the email address.', ErrorId.consolePasswordPolicy);
  }
  // One character over and over ("aaaaaaaa") is no better than a common password.
  if (COMMON_PASSWORDS.has(p) || new Set(p).size === 1) {
    throw badRequest('This password is one of the most common passwords and is easy to guess. Choose another.', ErrorId.consolePasswordPolicy);
  }
}

// A fixed hash to verify against when the email is unknown, so a miss takes as long as a wrong password.
let dummyHash: Promise<string> | undefined;

/**
 * Console accounts: sign-up, sign-in (with failure limits per email and per address) and password
 * changes. Users created by `gatehouse bootstrap` have no password until an operator sets one with
 * `gatehouse users set-password`; sign-up never claims them.
 */
const SCOPE = 'console';
const SIGN_UPS_PER_ADDRESS = 30;
const SIGN_UP_WINDOW_MS = 60 * 60 * 1000;

export class ConsoleAccounts {
  // Console sign-in and sign-up limits are shared by every node through the store (scope `console`).
  private readonly limiter: SlidingWindowLimiter;
  private readonly limits: { perEmail: number; perAddress: number; windowMs: number };

  constructor(private readonly o: { db: Kysely<Database>; users: UserService; secret: string; limits?: { perEmail: number; perAddress: number; windowMs: number } }) {
    this.limits = o.limits ?? { perEmail: 5, perAddress: 30, windowMs: 15 * 60 * 1000 };
    this.limiter = new SlidingWindowLimiter(o.db);
  }

  async signUp(input: { email: string; password: string; name?: string }, address: string) {
    const signUpKey = `signup:${address}`;
    const wait = await this.limiter.retryAfter(SCOPE, [{ key: signUpKey, max: SIGN_UPS_PER_ADDRESS }], SIGN_UP_WINDOW_MS, Date.now());
    if (wait > 0) throw tooManyRequests(wait, `Too many accounts were created from your network. Try again in ${humanSeconds(wait)}.`);
    await this.limiter.fail(SCOPE, [signUpKey], SIGN_UP_WINDOW_MS, Date.now());
    const email = input.email.trim().toLowerCase();
    checkPasswordPolicy(input.password, email);
    const existing = await this.o.users.byEmail(email);
    if (existing) {
      if (!existing.password_hash) {
        throw conflict(
          'An administrator already created a console user with this email (for example with `gatehouse bootstrap`). Ask them to set your password with `gatehouse users set-password --email ' + email + '`, then sign in.',
          ErrorId.consoleAccountWithoutPassword,
        );
      }
      throw conflict('An account with this email already exists. Sign in instead.', ErrorId.consoleAccountExists);
    }
    const passwordHash = await hashPassword(input.password);
    const { user, created } = await this.o.users.findOrCreate(email, input.name);
    if (!created) throw conflict('An account with this email already exists. Sign in instead.', ErrorId.consoleAccountExists);
    await this.o.users.setPasswordHash(user.id, passwordHash);
    return user;
  }

  /** Verifies email and password; 401 for any mismatch, 429 with Retry-After after too many failures. */
  async signIn(input: { email: string; password: string }, address: string) {
    const email = input.email.trim().toLowerCase();
    // Counters are keyed by an HMAC of the email: the store never holds who was being guessed.
    const emailKey = `email:${secretHash(this.o.secret, 'console-sign-in', email).slice(0, 40)}`;
    const addressKey = `addr:${address}`;
    const { perEmail, perAddress, windowMs } = this.limits;
    const limits = [{ key: emailKey, max: perEmail }, { key: legacySignInKey(this.o.secret, email), max: perEmail }, { key: addressKey, max: perAddress }];
    const wait = await this.limiter.retryAfter(SCOPE, limits, windowMs, Date.now());
    if (wait > 0) throw tooManyRequests(wait, `Too many failed sign-in attempts. Try again in ${humanSeconds(wait)}.`);
    const user = await this.o.users.byEmail(email);
    const ok = user?.password_hash && input.password.length <= MAX_PASSWORD_LENGTH
      ? await verify(user.password_hash, input.password).catch(() => false)
      : await verify(await (dummyHash ??= hashPassword('gatehouse-dummy-password')), input.password.slice(0, MAX_PASSWORD_LENGTH)).then(() => false, () => false);
    if (!ok || !user) {
      await this.limiter.fail(SCOPE, [emailKey, addressKey], windowMs, Date.now());
      if (user && !user.password_hash) {
        throw new OryError(401, 'The request could not be authorized', 'This account has no password yet. An administrator can set one with `gatehouse users set-password --email ' + email + '`.', ErrorId.consoleAccountWithoutPassword);
      }
      throw new OryError(401, 'The request could not be authorized', 'The email address or the password is wrong.', ErrorId.consoleInvalidCredentials);
    }
    await this.limiter.reset(SCOPE, emailKey);
    return user;
  }

  async changePassword(userId: string, current: string, next: string): Promise<void> {
    const user = await this.o.users.byId(userId);
    if (!user) throw new OryError(401, 'The request could not be authorized', 'The session is no longer valid.', ErrorId.consoleInvalidCredentials);
    const ok = user.password_hash && current.length <= MAX_PASSWORD_LENGTH ? await verify(user.password_hash, current).catch(() => false) : false;
    if (!ok) throw badRequest('The current password is wrong.', ErrorId.consoleInvalidCredentials);
    checkPasswordPolicy(next, user.email);
    await this.o.users.setPasswordHash(user.id, await hashPassword(next));
  }
}

/**
 * The email's counter key before every server-secret HMAC went through `secretHash`. Failures
 * counted under it before an upgrade keep blocking until their windows pass; nothing counts under it
 * any more, so it only ever decays (it can be dropped a release later).
 */
function legacySignInKey(secret: string, email: string): string {
  return `email:${createHmac('sha256', secret).update(`console-sign-in:${email}`).digest('hex').slice(0, 40)}`;
}

function humanSeconds(s: number): string {
  if (s < 90) return `${s} seconds`;
  return `${Math.ceil(s / 60)} minutes`;
}
