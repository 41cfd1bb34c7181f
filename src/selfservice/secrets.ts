import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/**
 * Secrets of the flows: CSRF cookie secrets and tokens, one-time codes. Nothing here is stored in
 * plaintext: the database holds HMACs keyed with the server secret; tokens are derived on demand.
 */
export class FlowSecrets {
  constructor(private readonly serverSecret: string) {}

  hmac(label: string, ...parts: string[]): string {
    return createHmac('sha256', this.serverSecret).update(`${label}\u0000${parts.join('\u0000')}`).digest('hex');
  }

  /** A fresh CSRF cookie secret (256 bits). */
  newCsrfSecret(): string {
    return randomBytes(32).toString('base64url');
  }

  /** The value stored on a browser flow: binds it to the browser's CSRF cookie without storing the cookie. */
  csrfBinding(projectId: string, cookieSecret: string): string {
    return this.hmac('csrf-binding', projectId, cookieSecret);
  }

  /** The flow's CSRF token for a browser: derived from the flow id and the browser's cookie secret. */
  csrfToken(projectId: string, flowId: string, cookieSecret: string): string {
    return Buffer.from(this.hmac('csrf-token', projectId, flowId, cookieSecret), 'hex').toString('base64url');
  }

  /** A 6-digit one-time code from the CSPRNG. */
  newCode(): string {
    return String(randomInt(0, 1_000_000)).padStart(6, '0');
  }

  codeHash(projectId: string, flowId: string, code: string): string {
    return this.hmac('flow-code', projectId, flowId, code);
  }

  /** A stateless logout token for a session: its id plus a MAC, so nothing needs storing. */
  logoutToken(projectId: string, sessionId: string): string {
    return `${Buffer.from(sessionId, 'utf8').toString('base64url')}.${Buffer.from(this.hmac('logout', projectId, sessionId), 'hex').toString('base64url')}`;
  }

  /** The session id a logout token names, or null when the token is not one of ours for this project. */
  openLogoutToken(projectId: string, token: string): string | null {
    if (typeof token !== 'string' || token.length > 300) return null;
    const [idPart, mac] = token.split('.');
    if (!idPart || !mac) return null;
    const sessionId = Buffer.from(idPart, 'base64url').toString('utf8');
    return safeEqual(mac, this.logoutToken(projectId, sessionId).split('.')[1]) ? sessionId : null;
  }
}

/** Constant-time string comparison (false for different lengths). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
