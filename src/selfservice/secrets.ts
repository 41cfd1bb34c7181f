import { createHmac, randomInt } from 'node:crypto';
import { randomToken, safeEqual, seal, secretHash, unseal, type HashPurpose } from '../platform/crypto.js';

/**
 * Secrets of the flows: CSRF cookie secrets and tokens, one-time codes, logout tokens, throttle keys.
 * Nothing here is stored in plaintext: the database holds HMACs of the server secret (one purpose per
 * use, through `secretHash`); tokens are derived on demand.
 */
export class FlowSecrets {
  constructor(private readonly serverSecret: string) {}

  private hash(purpose: HashPurpose, ...parts: string[]): string {
    return secretHash(this.serverSecret, purpose, parts.join('\u0000'));
  }

  /**
   * Seals a secret a flow shows before it is kept (a TOTP seed awaiting its first code, lookup codes
   * awaiting confirmation), so the flow's row never holds it in plaintext.
   */
  sealPending(value: string): string {
    return seal(this.serverSecret, 'flow-pending-secret', value);
  }

  openPending(sealed: unknown): string | null {
    return typeof sealed === 'string' ? unseal(this.serverSecret, 'flow-pending-secret', sealed) : null;
  }

  /** A fresh CSRF cookie secret (256 bits, 43 base64url characters). */
  newCsrfSecret(): string {
    return randomToken();
  }

  /** The value stored on a browser flow: binds it to the browser's CSRF cookie without storing the cookie. */
  csrfBinding(projectId: string, cookieSecret: string): string {
    return this.hash('flow-csrf-binding', projectId, cookieSecret);
  }

  /** True when `stored` (a flow's binding, of either form) binds the flow to this cookie secret. */
  csrfBindingMatches(projectId: string, cookieSecret: string, stored: string): boolean {
    return safeEqual(this.csrfBinding(projectId, cookieSecret), stored) || safeEqual(legacyFlowHmac(this.serverSecret, 'csrf-binding', projectId, cookieSecret), stored);
  }

  /** The flow's CSRF token for a browser: derived from the flow id and the browser's cookie secret. */
  csrfToken(projectId: string, flowId: string, cookieSecret: string): string {
    return this.hash('flow-csrf-token', projectId, flowId, cookieSecret);
  }

  /** True when `sent` is the flow's CSRF token for this cookie secret (either form). */
  csrfTokenMatches(projectId: string, flowId: string, cookieSecret: string, sent: string): boolean {
    const legacy = Buffer.from(legacyFlowHmac(this.serverSecret, 'csrf-token', projectId, flowId, cookieSecret), 'hex').toString('base64url');
    return safeEqual(sent, this.csrfToken(projectId, flowId, cookieSecret)) || safeEqual(sent, legacy);
  }

  /** A 6-digit one-time code from the CSPRNG. */
  newCode(): string {
    return String(randomInt(0, 1_000_000)).padStart(6, '0');
  }

  /** The hash of a flow's code, as written to the flow now. */
  codeHash(projectId: string, flowId: string, code: string): string {
    return this.hash('flow-code', projectId, flowId, code);
  }

  /** The stored form of `code` when it is `stored` (new or legacy form), else null. */
  matchingCodeHash(projectId: string, flowId: string, code: string, stored: string): string | null {
    for (const hash of [this.codeHash(projectId, flowId, code), legacyFlowHmac(this.serverSecret, 'flow-code', projectId, flowId, code)]) {
      if (safeEqual(hash, stored)) return hash;
    }
    return null;
  }

  /** A stateless logout token for a session: its id plus a MAC, so nothing needs storing. */
  logoutToken(projectId: string, sessionId: string): string {
    return `${Buffer.from(sessionId, 'utf8').toString('base64url')}.${this.hash('flow-logout', projectId, sessionId)}`;
  }

  /** The session id a logout token names, or null when the token is not one of ours for this project. */
  openLogoutToken(projectId: string, token: string): string | null {
    if (typeof token !== 'string' || token.length > 300) return null;
    const [idPart, mac] = token.split('.');
    if (!idPart || !mac) return null;
    const sessionId = Buffer.from(idPart, 'base64url').toString('utf8');
    const legacy = Buffer.from(legacyFlowHmac(this.serverSecret, 'logout', projectId, sessionId), 'hex').toString('base64url');
    return safeEqual(mac, this.hash('flow-logout', projectId, sessionId)) || safeEqual(mac, legacy) ? sessionId : null;
  }

  /**
   * The throttle keys of a login identifier (lower-cased by the caller): the key failures are counted
   * under now, then the key counters written before the change still live under.
   */
  identifierThrottleKeys(projectId: string, identifier: string): [current: string, legacy: string] {
    return [`i:${this.hash('flow-throttle-identifier', projectId, identifier).slice(0, 40)}`, `i:${legacyFlowHmac(this.serverSecret, 'throttle', projectId, identifier).slice(0, 40)}`];
  }

  /** The throttle keys of a code recipient: current and legacy, as for identifiers. */
  recipientThrottleKeys(projectId: string, address: string): [current: string, legacy: string] {
    return [`c:${this.hash('flow-throttle-code', projectId, address).slice(0, 40)}`, `c:${legacyFlowHmac(this.serverSecret, 'throttle-code', projectId, address).slice(0, 40)}`];
  }
}

/**
 * The flows' HMAC before they went through `secretHash` (hex, labelled by the part list). It stays
 * for verifying only: CSRF bindings and code hashes written on flows that are still open, CSRF and
 * logout tokens already handed to browsers, and throttle counters still in their window were made
 * with it, and must keep working until they expire. Nothing new is written in this form.
 */
function legacyFlowHmac(serverSecret: string, label: string, ...parts: string[]): string {
  return createHmac('sha256', serverSecret).update(`${label}\u0000${parts.join('\u0000')}`).digest('hex');
}
