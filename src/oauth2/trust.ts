import { Type, type Static } from '@sinclair/typebox';
import { exportJWK, importJWK, type JWK } from 'jose';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { badRequest, notFound } from '../platform/errors/errors.js';
import { decodePageToken, encodePageToken } from '../platform/http/pagination.js';
import { isUuid, newId, nowIso } from '../platform/ids.js';
import { secretHash } from '../platform/crypto.js';
import { scoped } from '../platform/db/scoped.js';
import { trustStore, type Scope, type TrustRow } from './trust-store.js';

/** The JWT bearer grant type of RFC 7523. */
export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Asymmetric signature algorithms an issuer's public key may use (a shared secret cannot be "trusted" publicly). */
const TRUST_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Body of `trustOAuth2JwtGrantIssuer` (Hydra's `trustOAuth2JwtGrantIssuer`). */
export const TrustIssuerBody = Type.Object({
  issuer: Type.String({ maxLength: 2048 }),
  subject: Type.Optional(Type.String({ maxLength: 1024 })),
  allow_any_subject: Type.Optional(Type.Boolean()),
  scope: Type.Array(Type.String({ maxLength: 1024 }), { maxItems: 200 }),
  expires_at: Type.String({ maxLength: 64 }),
  jwk: Type.Record(Type.String(), Type.Unknown(), { maxProperties: 50 }),
});

/** A trust relationship on the wire (`TrustedOAuth2JwtGrantIssuer`). */
export interface TrustedIssuer {
  id: string;
  issuer: string;
  subject: string;
  allow_any_subject: boolean;
  scope: string[];
  public_key: { set: string; kid: string };
  expires_at: string;
  created_at: string;
}

/** What the token endpoint needs of a trust relationship to verify an assertion. */
export interface TrustedKey {
  scope: string[];
  key: Awaited<ReturnType<typeof importJWK>>;
  alg: string;
  expiresAtMs: number;
}

const toWire = (r: TrustRow): TrustedIssuer => ({
  id: r.id,
  issuer: r.issuer,
  subject: r.subject,
  allow_any_subject: r.allow_any_subject === 1,
  scope: JSON.parse(r.scope) as string[],
  public_key: { set: r.issuer, kid: r.key_id },
  expires_at: r.expires_at,
  created_at: r.created_at,
});

/**
 * Hydra's trust relationships for the JWT bearer grant: which issuer may sign assertions for which
 * subject (or any), with which key, for which scopes, until when. Every query (`trustStore`) is
 * scoped by project.
 */
export class TrustService {
  constructor(private readonly d: { db: Kysely<Database>; secret: string }) {}

  private scope(projectId: string): Scope {
    return scoped(this.d.db, projectId);
  }

  /** Validates and stores a relationship; 400 for an unusable one, 409 when the issuer, subject and key are already trusted. */
  async create(projectId: string, body: Static<typeof TrustIssuerBody>): Promise<TrustedIssuer> {
    const issuer = body.issuer.trim();
    if (!issuer) throw badRequest("Field 'issuer' is required.");
    const subject = body.subject ?? '';
    const any = body.allow_any_subject === true;
    if (!any && !subject) throw badRequest("One of 'allow_any_subject' or 'subject' must be set.");
    if (any && subject) throw badRequest("Both 'allow_any_subject' and 'subject' can't be set.");
    const expires = Date.parse(body.expires_at);
    if (!body.expires_at || Number.isNaN(expires)) throw badRequest("Field 'expires_at' is required and must be an RFC 3339 date-time.");
    if (expires <= Date.now()) throw badRequest("Field 'expires_at' must be in the future.");
    const jwk = await publicJwk(body.jwk as JWK);
    const row: TrustRow = {
      id: newId(),
      issuer,
      subject,
      allow_any_subject: any ? 1 : 0,
      scope: JSON.stringify([...new Set(body.scope)]),
      key_id: jwk.kid!,
      public_jwk: JSON.stringify(jwk),
      expires_at: new Date(expires).toISOString(),
      created_at: nowIso(),
    };
    await trustStore.insert(this.scope(projectId), row);
    return toWire(row);
  }

  /** A page of the project's relationships (optionally of one issuer), in creation order. */
  async list(projectId: string, o: { pageSize: number; pageToken?: string; issuer?: string }): Promise<{ issuers: TrustedIssuer[]; next?: string }> {
    const after = decodePageToken(o.pageToken);
    const rows = await trustStore.list(this.scope(projectId), { issuer: o.issuer, after, limit: o.pageSize + 1 });
    const page = rows.slice(0, o.pageSize);
    return { issuers: page.map(toWire), next: rows.length > o.pageSize ? encodePageToken(page[page.length - 1].id) : undefined };
  }

  /** One relationship of the project, or 404. */
  async get(projectId: string, id: string): Promise<TrustedIssuer> {
    const row = isUuid(id) ? await trustStore.get(this.scope(projectId), id) : undefined;
    if (!row) throw notFound('The trust relationship does not exist.');
    return toWire(row);
  }

  /** Deletes one relationship of the project, or 404. */
  async delete(projectId: string, id: string): Promise<void> {
    if (!isUuid(id)) throw notFound('The trust relationship does not exist.');
    if (!(await trustStore.delete(this.scope(projectId), id))) throw notFound('The trust relationship does not exist.');
  }

  /**
   * The unexpired keys the project trusts for assertions of `issuer` about `subject` (relationships
   * naming that subject, or any subject), narrowed to `kid` when the assertion names one.
   */
  async keysFor(projectId: string, issuer: string, subject: string, kid: string | undefined): Promise<TrustedKey[]> {
    const rows = await trustStore.forAssertion(this.scope(projectId), issuer, subject, kid, nowIso());
    const out: TrustedKey[] = [];
    for (const r of rows) {
      const jwk = JSON.parse(r.public_jwk) as JWK;
      out.push({ scope: JSON.parse(r.scope) as string[], key: await importJWK(jwk, jwk.alg), alg: jwk.alg!, expiresAtMs: Date.parse(r.expires_at) });
    }
    return out;
  }

  /**
   * Records an assertion's `jti` until the assertion expires; false when it was already used (a
   * replay). Expired records of the project are dropped on the way.
   */
  async useJti(projectId: string, jti: string, expiresAtMs: number): Promise<boolean> {
    return trustStore.recordAssertion(this.scope(projectId), secretHash(this.d.secret, 'jwt-assertion-jti', jti), new Date(expiresAtMs).toISOString(), nowIso());
  }
}

/** The public part of an issuer's JWK with its kid, alg and use; 400 for anything else. */
async function publicJwk(input: JWK): Promise<JWK> {
  const { kid, alg } = input;
  if (typeof kid !== 'string' || kid.length < 1 || kid.length > 256) throw badRequest("Field 'jwk' must have 'kid' set.");
  if (typeof alg !== 'string' || !TRUST_ALGS.includes(alg)) throw badRequest(`Field 'jwk' must have 'alg' set to one of ${TRUST_ALGS.join(', ')}.`);
  if (input.use !== undefined && input.use !== 'sig') throw badRequest("Field 'jwk' must be a signing key ('use' is 'sig').");
  // A private key is accepted as Hydra does, but only its public members are kept.
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, k: _k, oth: _oth, ...publicMembers } = input as JWK & { oth?: unknown };
  try {
    const key = await importJWK({ ...publicMembers, ext: true }, alg);
    if (key instanceof Uint8Array) throw new Error('symmetric');
    return { ...(await exportJWK(key)), kid, alg, use: 'sig' };
  } catch {
    throw badRequest("Field 'jwk' is not a valid key for its 'alg'.");
  }
}
