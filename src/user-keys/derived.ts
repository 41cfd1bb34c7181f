import { exportJWK, generateKeyPair, importJWK, jwtVerify, decodeProtectedHeader, SignJWT, type JWK, type CryptoKey as JoseKey } from 'jose';
import { newId, nowIso } from '../platform/ids.js';
import { secretHash } from '../platform/crypto.js';
import { badRequest } from '../platform/errors/errors.js';
import { parseBoundedDuration } from './duration.js';
import { checkScopes, MAX_METADATA_BYTES } from './model.js';
import { MACAROON_PREFIX, decodeMacaroon, encodeMacaroon, readCaveats, verifyMacaroonSignature } from './macaroon.js';
import type { CacheMode, CachedKey, UserKeyService, VerifyResponse } from './user-key-service.js';

// Derived tokens: short-lived JWTs (EdDSA, one signing key per project, public keys at
// /v2alpha1/derivedKeys/jwks.json) and macaroons (macaroon.ts), minted from an issued or imported
// key with a subset of its scopes. Verification checks the token, then its parent key as a key is
// checked (revoked, expired, IP restriction, rate limit), so revoking a key ends its tokens too.

const RESERVED_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'key_id', 'actor_id', 'scopes']);
const DEFAULT_TTL_MS = 3_600_000;
const MAX_DERIVED_TTL_MS = 86_400_000;
const JWT_SHAPE = /^eyJ[\w-]*\.[\w-]+\.[\w-]+$/;

export const isJwt = (raw: string): boolean => JWT_SHAPE.test(raw);

interface ProjectKeys {
  signer: { kid: string; key: JoseKey };
  verifiers: Map<string, JoseKey>;
  jwks: JWK[];
  loadedAt: number;
}

export interface DeriveInput {
  credential?: string;
  algorithm?: string;
  scopes?: string[];
  ttl?: string;
  custom_claims?: Record<string, unknown>;
}

export class DerivedTokens {
  private readonly keys = new Map<string, Promise<ProjectKeys>>();

  constructor(private readonly o: { keys: UserKeyService; secret: string; issuerOf: (projectId: string, slug: string) => string }) {}

  /** The project's signing keys, created on first use (two nodes racing each make one; both are published). */
  private projectKeys(projectId: string, refresh = false): Promise<ProjectKeys> {
    const cached = this.keys.get(projectId);
    if (cached && !refresh) return cached;
    const loading = this.load(projectId);
    this.keys.set(projectId, loading);
    loading.catch(() => this.keys.delete(projectId));
    return loading;
  }

  private async load(projectId: string): Promise<ProjectKeys> {
    const store = this.o.keys.store;
    const s = store.scope(projectId);
    let rows = await store.signingKeys(s);
    if (rows.length === 0) {
      const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      const kid = newId();
      const pub = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
      await store.insertSigningKey(s, { id: kid, private_jwk: JSON.stringify(await exportJWK(privateKey)), public_jwk: JSON.stringify(pub), created_at: nowIso() });
      rows = await store.signingKeys(s);
    }
    const verifiers = new Map<string, JoseKey>();
    for (const r of rows) verifiers.set(r.id, (await importJWK(JSON.parse(r.public_jwk) as JWK, 'EdDSA')) as JoseKey);
    const newest = rows[0];
    return {
      signer: { kid: newest.id, key: (await importJWK(JSON.parse(newest.private_jwk) as JWK, 'EdDSA')) as JoseKey },
      verifiers,
      jwks: rows.map((r) => JSON.parse(r.public_jwk) as JWK),
      loadedAt: Date.now(),
    };
  }

  async jwks(projectId: string): Promise<JWK[]> {
    return (await this.projectKeys(projectId)).jwks;
  }

  private macaroonRoot(projectId: string, keyId: string): Buffer {
    return Buffer.from(secretHash(this.o.secret, 'user-key-macaroon', `${projectId}\0${keyId}`), 'base64url');
  }

  /** Mints a token from a valid key. 400 for a credential that is not a valid key, or scopes it does not hold. */
  async derive(project: { id: string; slug: string }, input: DeriveInput) {
    const algorithm = input.algorithm ?? 'TOKEN_ALGORITHM_UNSPECIFIED';
    const credential = input.credential ?? '';
    if (isJwt(credential) || credential.startsWith(MACAROON_PREFIX)) throw badRequest('Tokens are derived from API keys, not from other derived tokens.');
    const found = await this.o.keys.lookup(project.id, credential, 'default');
    if ('is_valid' in found) throw badRequest(`The credential is not a valid API key (${found.error_code}).`);
    const parent = await this.o.keys.judgeStatus(found);
    if (parent) throw badRequest(`The credential is not a valid API key (${parent}).`);
    const scopes = input.scopes === undefined ? found.scopes : checkScopes(input.scopes);
    const extra = scopes.filter((sc) => !found.scopes.includes(sc));
    if (extra.length) throw badRequest(`A derived token may only carry scopes of its key; the key does not hold ${extra.slice(0, 5).join(', ')}.`);
    const ttl = input.ttl === undefined || input.ttl === '' ? DEFAULT_TTL_MS : parseBoundedDuration('ttl', input.ttl, 1000, MAX_DERIVED_TTL_MS);
    if (typeof ttl === 'string') throw badRequest(`${ttl}.`);
    const claims = input.custom_claims ?? {};
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) throw badRequest('custom_claims must be a JSON object.');
    if (Buffer.byteLength(JSON.stringify(claims)) > MAX_METADATA_BYTES) throw badRequest(`custom_claims must be at most ${MAX_METADATA_BYTES} bytes serialized.`);
    const reserved = Object.keys(claims).filter((k) => RESERVED_CLAIMS.has(k));
    if (reserved.length) throw badRequest(`custom_claims may not set the reserved claims ${reserved.join(', ')}.`);
    let expMs = Date.now() + ttl;
    if (found.expiresAtMs !== null) expMs = Math.min(expMs, found.expiresAtMs);
    const exp = Math.floor(expMs / 1000);
    const iat = Math.floor(Date.now() / 1000);
    const iss = this.o.issuerOf(project.id, project.slug);
    if (algorithm === 'TOKEN_ALGORITHM_MACAROON') {
      if (Object.keys(claims).some((k) => !/^[A-Za-z0-9_.:-]{1,128}$/.test(k))) throw badRequest('custom_claims names of a macaroon must be 1 to 128 letters, digits or _.:-');
      const caveats = [`exp < ${exp}`, `scopes = ${scopes.join(' ')}`, ...Object.entries(claims).map(([k, v]) => `claim ${k} = ${JSON.stringify(v)}`)];
      const token = encodeMacaroon(this.macaroonRoot(project.id, found.id), { identifier: `${found.id} ${newId()}`, caveats });
      return { token: { token, expire_time: new Date(exp * 1000).toISOString(), scopes, claims: { caveats } } };
    }
    const keys = await this.projectKeys(project.id);
    const payload = { ...claims, key_id: found.id, scopes };
    const jti = newId();
    const token = await new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', kid: keys.signer.kid, typ: 'JWT' }).setIssuer(iss).setSubject(found.actorId).setIssuedAt(iat).setNotBefore(iat).setExpirationTime(exp).setJti(jti).sign(keys.signer.key);
    return { token: { token, expire_time: new Date(exp * 1000).toISOString(), scopes, claims: { ...payload, iss, sub: found.actorId, iat, nbf: iat, exp, jti } } };
  }

  /** Verifies a derived token of the project, then its parent key. */
  async verify(project: { id: string; slug: string }, raw: string, o: { address?: string; cache?: CacheMode }): Promise<VerifyResponse> {
    const issuer = this.o.issuerOf(project.id, project.slug);
    const bad = (message: string): VerifyResponse => ({ is_valid: false, error_code: 'VERIFICATION_ERROR_SIGNATURE_INVALID', error_message: message });
    let keyId: string;
    let scopes: string[] | null;
    let expMs: number | null;
    if (raw.startsWith(MACAROON_PREFIX)) {
      const m = decodeMacaroon(raw);
      if (!m) return { is_valid: false, error_code: 'VERIFICATION_ERROR_INVALID_FORMAT', error_message: 'The credential is not well-formed.' };
      keyId = m.identifier.split(' ')[0];
      if (!verifyMacaroonSignature(this.macaroonRoot(project.id, keyId), m)) return bad('The token signature is not valid.');
      const grant = readCaveats(m.caveats);
      if (!grant) return bad('The token carries a caveat this server does not understand.');
      scopes = grant.scopes;
      expMs = grant.expiresAtMs;
    } else {
      let kid: string | undefined;
      try {
        kid = decodeProtectedHeader(raw).kid;
      } catch {
        return { is_valid: false, error_code: 'VERIFICATION_ERROR_INVALID_FORMAT', error_message: 'The credential is not well-formed.' };
      }
      let keys = await this.projectKeys(project.id);
      // A key made by another node: re-read, at most once a second per project.
      if (kid && !keys.verifiers.has(kid) && Date.now() - keys.loadedAt > 1000) keys = await this.projectKeys(project.id, true);
      const key = kid ? keys.verifiers.get(kid) : undefined;
      if (!key) return bad('The token is not signed by a key of this project.');
      try {
        const { payload } = await jwtVerify(raw, key, { issuer, algorithms: ['EdDSA'] });
        if (typeof payload.key_id !== 'string') return bad('The token names no key.');
        keyId = payload.key_id;
        scopes = Array.isArray(payload.scopes) ? (payload.scopes as string[]) : [];
        expMs = null;
      } catch (err) {
        if ((err as { code?: string }).code === 'ERR_JWT_EXPIRED') return { is_valid: false, status: 'KEY_STATUS_EXPIRED', error_code: 'VERIFICATION_ERROR_EXPIRED', error_message: 'The token is expired.' };
        return bad('The token signature or claims are not valid.');
      }
    }
    if (expMs !== null && expMs <= Date.now()) return { is_valid: false, status: 'KEY_STATUS_EXPIRED', error_code: 'VERIFICATION_ERROR_EXPIRED', error_message: 'The token is expired.' };
    const parent = await this.o.keys.byKeyId(project.id, keyId, o.cache ?? 'default');
    if (!parent) return { is_valid: false, error_code: 'VERIFICATION_ERROR_NOT_FOUND', error_message: 'The token\'s key is not known.' };
    const granted = scopes === null ? parent.scopes : scopes.filter((sc) => parent.scopes.includes(sc));
    const res = await this.o.keys.judge(project.id, parent as CachedKey, o.address, granted);
    return { ...res, issuer };
  }
}
