import { createHmac, timingSafeEqual } from 'node:crypto';

// Derived macaroons: a small, documented HMAC chain (Birgisson et al., "Macaroons", NDSS 2014),
// first-party caveats only. npm has no maintained macaroon library (the `macaroon` package's last
// release was years ago), and first-party caveats need nothing but HMAC-SHA256.
//
//   sig_0 = HMAC-SHA256(root_key, identifier)
//   sig_i = HMAC-SHA256(sig_{i-1}, caveat_i)
//   token = "ghm_v1_" + base64url(JSON {"v":1,"id":identifier,"c":[caveat_1..caveat_n]}) + "." + base64url(sig_n)
//
// Anyone holding a token may append a caveat (sig' = HMAC(sig, caveat)) to narrow it further; only
// the root key's holder can verify or widen one. The root key is per project and parent key (see
// derived.ts), so a token cannot be moved to another project. Every caveat must be understood by the
// verifier, or the token is refused (fail closed). Caveats this server writes and reads:
//   `exp < {unix seconds}`       the token is refused from then on (several: the earliest wins)
//   `scopes = {s1} {s2} …`       the token carries at most these scopes (several: their intersection)
//   `claim {name} = {json}`      a custom claim, reported by verification
// Test vectors: test/user-keys/macaroon.test.ts.

export const MACAROON_PREFIX = 'ghm_v1_';

export interface Macaroon {
  identifier: string;
  caveats: string[];
}

/** The chain's final signature over `identifier` and `caveats`. */
export function macaroonSignature(rootKey: Buffer, m: Macaroon): Buffer {
  let sig = createHmac('sha256', rootKey).update(m.identifier).digest();
  for (const caveat of m.caveats) sig = createHmac('sha256', sig).update(caveat).digest();
  return sig;
}

export function encodeMacaroon(rootKey: Buffer, m: Macaroon): string {
  const body = Buffer.from(JSON.stringify({ v: 1, id: m.identifier, c: m.caveats })).toString('base64url');
  return `${MACAROON_PREFIX}${body}.${macaroonSignature(rootKey, m).toString('base64url')}`;
}

/** Appends a caveat to a token without the root key (attenuation). Null for a token that is not one. */
export function attenuate(token: string, caveat: string): string | null {
  const parsed = decodeMacaroon(token);
  if (!parsed) return null;
  const sig = createHmac('sha256', parsed.signature).update(caveat).digest();
  const m = { identifier: parsed.identifier, caveats: [...parsed.caveats, caveat] };
  return `${MACAROON_PREFIX}${Buffer.from(JSON.stringify({ v: 1, id: m.identifier, c: m.caveats })).toString('base64url')}.${sig.toString('base64url')}`;
}

/** The parts of a token, unverified; null when it is not a well-formed macaroon of this format. */
export function decodeMacaroon(token: string): (Macaroon & { signature: Buffer }) | null {
  if (!token.startsWith(MACAROON_PREFIX) || token.length > 16_384) return null;
  const [body, sig, extra] = token.slice(MACAROON_PREFIX.length).split('.');
  if (!body || !sig || extra !== undefined) return null;
  try {
    const parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { v?: unknown; id?: unknown; c?: unknown };
    if (parsed.v !== 1 || typeof parsed.id !== 'string' || !Array.isArray(parsed.c) || parsed.c.length > 64 || !parsed.c.every((c) => typeof c === 'string')) return null;
    const signature = Buffer.from(sig, 'base64url');
    if (signature.length !== 32) return null;
    return { identifier: parsed.id, caveats: parsed.c as string[], signature };
  } catch {
    return null;
  }
}

/** True when the token's signature is the chain's under `rootKey` (constant time). */
export function verifyMacaroonSignature(rootKey: Buffer, m: Macaroon & { signature: Buffer }): boolean {
  return timingSafeEqual(macaroonSignature(rootKey, m), m.signature);
}

export interface MacaroonGrant {
  expiresAtMs: number | null;
  /** null: no scopes caveat (the parent's scopes). */
  scopes: string[] | null;
  claims: Record<string, unknown>;
}

/** What the caveats grant, or null when one of them is not understood (the token is then refused). */
export function readCaveats(caveats: string[]): MacaroonGrant | null {
  const grant: MacaroonGrant = { expiresAtMs: null, scopes: null, claims: {} };
  for (const caveat of caveats) {
    let m: RegExpExecArray | null;
    if ((m = /^exp < (\d{1,12})$/.exec(caveat))) {
      const ms = Number(m[1]) * 1000;
      grant.expiresAtMs = grant.expiresAtMs === null ? ms : Math.min(grant.expiresAtMs, ms);
    } else if ((m = /^scopes = ?(.*)$/.exec(caveat))) {
      const listed = m[1] === '' ? [] : m[1].split(' ');
      grant.scopes = grant.scopes === null ? listed : grant.scopes.filter((s) => listed.includes(s));
    } else if ((m = /^claim ([A-Za-z0-9_.:-]{1,128}) = (.*)$/.exec(caveat))) {
      try {
        grant.claims[m[1]] = JSON.parse(m[2]);
      } catch {
        return null;
      }
    } else return null;
  }
  return grant;
}
