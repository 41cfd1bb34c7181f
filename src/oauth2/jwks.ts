import { createHmac, createPublicKey, type KeyObject } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, exportJWK, generateKeyPair, generateSecret, importJWK, type JWK } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { OAuth2JwksTable } from './tables.js';
import { newId } from '../platform/ids.js';
import { scoped } from '../platform/db/scoped.js';
import { badRequest, notFound } from '../platform/errors/errors.js';
import { jwkStore, type JwkRow, type Scope } from './jwk-store.js';

/** The sets Hydra signs with, published at /.well-known/jwks.json. */
export const ID_TOKEN_SET = 'hydra.openid.id-token';
export const ACCESS_TOKEN_SET = 'hydra.jwt.access-token';
export const PUBLISHED_SETS = [ID_TOKEN_SET, ACCESS_TOKEN_SET];
/** Session tokenization's keys (`whoami?tokenize_as`): published too, once the project has them. */
export const SESSION_TOKEN_SET = 'gatehouse.session.tokenizer';

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const SYMMETRIC = ['HS256', 'HS384', 'HS512'];
export const SUPPORTED_ALGS = [...ASYMMETRIC, ...SYMMETRIC];

export interface SigningKey {
  kid: string;
  alg: string;
  key: KeyObject | Uint8Array;
}

type Deps = { db: Kysely<Database>; secret: string };

/**
 * JSON Web Key sets per project (Hydra's /admin/keys API) and the project's signing keys.
 * Private and symmetric keys are stored only as compact JWEs (dir + A256GCM, via jose) under a key
 * derived from the server secret; public endpoints only ever see public keys. Signing keys are
 * generated on first need (RS256) and cached briefly per node.
 */
export class JwkService {
  private readonly encKey: Uint8Array;
  private readonly signing = new LRUCache<string, SigningKey>({ max: 10_000, ttl: 10_000 });

  constructor(private readonly d: Deps) {
    this.encKey = createHmac('sha256', d.secret).update('gatehouse/oauth2/jwk-encryption').digest();
  }

  private scope(projectId: string): Scope {
    return scoped(this.d.db, projectId);
  }

  private readonly loading = new Map<string, Promise<SigningKey>>();

  /**
   * Newest signing key of a set, generating an `alg` key (RS256 unless told) when the set has none.
   * Concurrent callers on one node share one load (and one generation), so a burst of first requests
   * makes one key.
   */
  async signingKey(projectId: string, set: string, alg = 'RS256'): Promise<SigningKey> {
    const cacheKey = `${projectId}/${set}`;
    const hit = this.signing.get(cacheKey);
    if (hit) return hit;
    let pending = this.loading.get(cacheKey);
    if (!pending) {
      pending = this.loadSigningKey(projectId, set, alg).finally(() => this.loading.delete(cacheKey));
      this.loading.set(cacheKey, pending);
    }
    return pending;
  }

  private async loadSigningKey(projectId: string, set: string, alg: string): Promise<SigningKey> {
    let row = await this.newestPrivate(projectId, set);
    if (!row) {
      await this.generate(projectId, set, { alg, use: 'sig', kid: newId() });
      row = await this.newestPrivate(projectId, set);
      if (!row) throw new Error('signing key generation failed');
    }
    const jwk = await this.decrypt(row.private_jwk!);
    const key = (await importJWK(jwk, row.alg)) as KeyObject | Uint8Array;
    const out: SigningKey = { kid: row.kid, alg: row.alg, key };
    this.signing.set(`${projectId}/${set}`, out);
    return out;
  }

  /** Public keys of a project's published sets (generated if missing), for /.well-known/jwks.json. */
  async publicKeys(projectId: string): Promise<JWK[]> {
    for (const set of PUBLISHED_SETS) await this.signingKey(projectId, set);
    const rows = await jwkStore.ofSets(this.scope(projectId), [...PUBLISHED_SETS, SESSION_TOKEN_SET]);
    return rows.filter((r) => r.public_jwk).map((r) => JSON.parse(r.public_jwk!) as JWK);
  }

  /** Keys of a set with their private parts (admin API, as Hydra). 404 when the set is empty. */
  async getSet(projectId: string, set: string): Promise<{ keys: JWK[] }> {
    const rows = await jwkStore.ofSets(this.scope(projectId), [set]);
    if (rows.length === 0) throw notFound('The JSON Web Key Set does not exist.');
    return { keys: await Promise.all(rows.map((r) => this.toJwk(r))) };
  }

  async getKey(projectId: string, set: string, kid: string): Promise<{ keys: JWK[] }> {
    const row = await jwkStore.key(this.scope(projectId), set, kid);
    if (!row) throw notFound('The JSON Web Key does not exist.');
    return { keys: [await this.toJwk(row)] };
  }

  /** Generates a key and adds it to the set (creating the set). Returns the generated key. */
  async generate(projectId: string, set: string, spec: { alg: string; use: string; kid?: string }): Promise<{ keys: JWK[] }> {
    if (!SUPPORTED_ALGS.includes(spec.alg)) throw badRequest(`alg must be one of ${SUPPORTED_ALGS.join(', ')}.`);
    if (spec.use !== 'sig' && spec.use !== 'enc') throw badRequest('use must be "sig" or "enc".');
    const kid = spec.kid || newId();
    let priv: JWK;
    if (SYMMETRIC.includes(spec.alg)) {
      priv = await exportJWK(await generateSecret(spec.alg, { extractable: true }));
    } else {
      const pair = await generateKeyPair(spec.alg, { extractable: true, ...(spec.alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
      priv = await exportJWK(pair.privateKey);
    }
    const jwk = { ...priv, kid, alg: spec.alg, use: spec.use };
    await jwkStore.add(this.scope(projectId), set, (await this.prepare(jwk)).row);
    this.invalidate(projectId, set);
    return { keys: [jwk] };
  }

  /** Replaces a whole set with the given keys. */
  async replaceSet(projectId: string, set: string, keys: JWK[]): Promise<{ keys: JWK[] }> {
    const prepared = await Promise.all(keys.map((k) => this.prepare(k)));
    const kids = new Set(prepared.map((p) => p.row.kid));
    if (kids.size !== prepared.length) throw badRequest('Every key of a set needs a distinct kid.');
    await this.scope(projectId).transaction(async (trx) => {
      await jwkStore.delete(trx, set);
      for (const p of prepared) await jwkStore.insert(trx, set, p.row);
    });
    this.invalidate(projectId, set);
    return { keys: prepared.map((p) => p.jwk) };
  }

  /** Creates or replaces one key of a set. */
  async putKey(projectId: string, set: string, kid: string, key: JWK): Promise<JWK> {
    if (key.kid !== undefined && key.kid !== kid) throw badRequest('The kid of the key must match the kid of the URL.');
    const p = await this.prepare({ ...key, kid });
    await this.scope(projectId).transaction(async (trx) => {
      await jwkStore.delete(trx, set, kid);
      await jwkStore.insert(trx, set, p.row);
    });
    this.invalidate(projectId, set);
    return p.jwk;
  }

  async deleteSet(projectId: string, set: string): Promise<void> {
    if ((await jwkStore.delete(this.scope(projectId), set)) === 0) throw notFound('The JSON Web Key Set does not exist.');
    this.invalidate(projectId, set);
  }

  async deleteKey(projectId: string, set: string, kid: string): Promise<void> {
    if ((await jwkStore.delete(this.scope(projectId), set, kid)) === 0) throw notFound('The JSON Web Key does not exist.');
    this.invalidate(projectId, set);
  }

  private invalidate(projectId: string, set: string): void {
    this.signing.delete(`${projectId}/${set}`);
  }

  private newestPrivate(projectId: string, set: string): Promise<OAuth2JwksTable | undefined> {
    // Only asymmetric keys sign tokens: relying parties verify them with the published public keys.
    return jwkStore.newestSigning(this.scope(projectId), set, ASYMMETRIC);
  }

  /** Validates a JWK (jose must import it) and splits it into its stored public and encrypted parts. */
  private async prepare(input: JWK): Promise<{ row: JwkRow; jwk: JWK }> {
    if (!input || typeof input !== 'object') throw badRequest('A JSON Web Key must be an object.');
    const { kid, alg, use } = input;
    if (typeof kid !== 'string' || kid.length < 1 || kid.length > 256) throw badRequest('A JSON Web Key needs a kid.');
    if (typeof alg !== 'string' || !SUPPORTED_ALGS.includes(alg)) throw badRequest(`alg must be one of ${SUPPORTED_ALGS.join(', ')}.`);
    if (use !== 'sig' && use !== 'enc') throw badRequest('use must be "sig" or "enc".');
    let imported: KeyObject | Uint8Array;
    try {
      imported = (await importJWK({ ...input, ext: true }, alg)) as KeyObject | Uint8Array;
    } catch {
      throw badRequest('The JSON Web Key is not valid for its alg.');
    }
    const isPrivate = imported instanceof Uint8Array || imported.type !== 'public';
    let publicJwk: JWK | null = null;
    if (!(imported instanceof Uint8Array)) {
      const pub = imported.type === 'public' ? imported : createPublicKey(imported);
      publicJwk = { ...(await exportJWK(pub)), kid, alg, use };
    }
    const jwk = isPrivate ? { ...(imported instanceof Uint8Array ? await exportJWK(imported) : await exportJWK(imported)), kid, alg, use } : publicJwk!;
    return {
      row: { kid, alg, use, public_jwk: publicJwk ? JSON.stringify(publicJwk) : null, private_jwk: isPrivate ? await this.encrypt(jwk) : null },
      jwk,
    };
  }

  private async toJwk(row: OAuth2JwksTable): Promise<JWK> {
    if (row.private_jwk) return this.decrypt(row.private_jwk);
    return JSON.parse(row.public_jwk!) as JWK;
  }

  private async encrypt(jwk: JWK): Promise<string> {
    return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(jwk))).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(this.encKey);
  }

  private async decrypt(jwe: string): Promise<JWK> {
    const { plaintext } = await compactDecrypt(jwe, this.encKey);
    return JSON.parse(new TextDecoder().decode(plaintext)) as JWK;
  }
}
