import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FlowSecrets } from '../../src/selfservice/secrets.js';

const SECRET = 'a-server-secret-of-at-least-thirty-two-characters';
const PROJECT = '0190a1b2-0000-7000-8000-000000000001';
const FLOW = '0190a1b2-0000-7000-8000-000000000002';
const SESSION = '0190a1b2-0000-7000-8000-000000000003';

/** The flows' HMAC as it was written before secretHash (hex, label and parts joined by NUL). */
const legacy = (label: string, ...parts: string[]) => createHmac('sha256', SECRET).update(`${label}\u0000${parts.join('\u0000')}`).digest('hex');
const hexToBase64url = (hex: string) => Buffer.from(hex, 'hex').toString('base64url');

describe('flow secrets', () => {
  const s = new FlowSecrets(SECRET);
  const cookie = s.newCsrfSecret();

  it('makes CSRF cookie secrets of the shape flows accept', () => {
    expect(cookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.newCsrfSecret()).not.toBe(cookie);
  });

  it('binds flows to the cookie in the new form and still accepts bindings stored in the legacy form', () => {
    const binding = s.csrfBinding(PROJECT, cookie);
    expect(binding).not.toBe(legacy('csrf-binding', PROJECT, cookie));
    expect(s.csrfBindingMatches(PROJECT, cookie, binding)).toBe(true);
    expect(s.csrfBindingMatches(PROJECT, cookie, legacy('csrf-binding', PROJECT, cookie))).toBe(true);
    expect(s.csrfBindingMatches(PROJECT, s.newCsrfSecret(), binding)).toBe(false);
  });

  it('accepts CSRF tokens of either form, for that flow and cookie only', () => {
    const token = s.csrfToken(PROJECT, FLOW, cookie);
    expect(s.csrfTokenMatches(PROJECT, FLOW, cookie, token)).toBe(true);
    expect(s.csrfTokenMatches(PROJECT, FLOW, cookie, hexToBase64url(legacy('csrf-token', PROJECT, FLOW, cookie)))).toBe(true);
    expect(s.csrfTokenMatches(PROJECT, SESSION, cookie, token)).toBe(false);
    expect(s.csrfTokenMatches(PROJECT, FLOW, cookie, '')).toBe(false);
  });

  it('finds the stored code hash of either form, and nothing for a wrong code', () => {
    const code = s.newCode();
    expect(code).toMatch(/^\d{6}$/);
    const stored = s.codeHash(PROJECT, FLOW, code);
    expect(s.matchingCodeHash(PROJECT, FLOW, code, stored)).toBe(stored);
    const old = legacy('flow-code', PROJECT, FLOW, code);
    expect(s.matchingCodeHash(PROJECT, FLOW, code, old)).toBe(old);
    expect(s.matchingCodeHash(PROJECT, FLOW, code === '000000' ? '000001' : '000000', stored)).toBeNull();
  });

  it('opens logout tokens of either form for their project only', () => {
    const token = s.logoutToken(PROJECT, SESSION);
    expect(s.openLogoutToken(PROJECT, token)).toBe(SESSION);
    const old = `${Buffer.from(SESSION).toString('base64url')}.${hexToBase64url(legacy('logout', PROJECT, SESSION))}`;
    expect(s.openLogoutToken(PROJECT, old)).toBe(SESSION);
    expect(s.openLogoutToken(FLOW, token)).toBeNull();
    expect(s.openLogoutToken(PROJECT, `${token.split('.')[0]}.x`)).toBeNull();
  });

  it('keys throttles by purpose, with the legacy key alongside', () => {
    const [id, idLegacy] = s.identifierThrottleKeys(PROJECT, 'a@example.com');
    const [code, codeLegacy] = s.recipientThrottleKeys(PROJECT, 'a@example.com');
    expect(idLegacy).toBe(`i:${legacy('throttle', PROJECT, 'a@example.com').slice(0, 40)}`);
    expect(codeLegacy).toBe(`c:${legacy('throttle-code', PROJECT, 'a@example.com').slice(0, 40)}`);
    expect(new Set([id, idLegacy, code, codeLegacy]).size).toBe(4);
    expect(id).not.toContain('a@example.com');
  });
});
