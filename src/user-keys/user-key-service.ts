import { LRUCache } from 'lru-cache';
import { WriteBehind } from '../platform/write-behind.js';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { Notifier } from '../platform/db/notifier.js';
import { newId, nowIso } from '../platform/ids.js';
import { badRequest, conflict, notFound } from '../platform/errors/errors.js';
import type { AddressRanges } from '../platform/net/cidr.js';
import { credentialFingerprint, generateIssuedKey, hashUserKey, isWellFormedIssuedKey, looksIssued, MAX_CREDENTIAL_LENGTH } from './format.js';
import { UserKeyStore, type UserKeyPatch } from './user-key-store.js';
import type { UserApiKeysTable, UserKeyKind } from './tables.js';
import { parseFilter } from './filter.js';
import {
  checkActor, checkCidrs, checkMetadata, checkName, checkRateLimitPolicy, checkScopes, checkVisibility, expiryOf, readPolicy, readRanges,
  statusOf, toView, type KeyFieldsInput, type KeyStatus, type ParsedPolicy, type RateLimitPolicy, type UserKeyView, type VerificationErrorCode,
} from './model.js';

/** What rate limiting needs of the shared fixed-window `Quotas` (src/platform/quota.ts): one call spent when allowed. */
export interface KeyQuotas {
  take(bucket: string, policy: { limit: number; windowMs: number }): Promise<{ allowed: boolean; limit: number; remaining: number; resetAtMs: number }>;
}

/** A node-local fixed window, exact on one node: for a service built without the shared `Quotas` (unit tests). */
export class LocalQuotas implements KeyQuotas {
  private readonly windows = new LRUCache<string, { start: number; used: number }>({ max: 100_000 });
  async take(bucket: string, policy: { limit: number; windowMs: number }) {
    const now = Date.now();
    const start = now - (now % policy.windowMs);
    let w = this.windows.get(bucket);
    if (!w || w.start !== start) this.windows.set(bucket, (w = { start, used: 0 }));
    const allowed = w.used < policy.limit;
    if (allowed) w.used++;
    return { allowed, limit: policy.limit, remaining: Math.max(0, policy.limit - w.used), resetAtMs: start + policy.windowMs };
  }
}

/** What verification remembers of a stored key: no secret. */
interface CachedKey {
  id: string;
  kind: UserKeyKind;
  actorId: string;
  scopes: string[];
  metadata: Record<string, unknown>;
  visibility: string;
  expiresAtMs: number | null;
  expireTime?: string;
  revoked: boolean;
  ranges: AddressRanges | null;
  policy: ParsedPolicy | null;
}
interface CacheEntry {
  key: CachedKey | null;
  /** The lookup value (bound to the project), for invalidations. */
  hash: string;
  projectId: string;
  loadedAt: number;
}

export type CacheMode = 'default' | 'no-cache' | 'no-store';

/** The SDK's VerifyApiKeyResponse. */
export interface VerifyResponse {
  is_valid: boolean;
  key_id?: string;
  actor_id?: string;
  scopes?: string[];
  metadata?: Record<string, unknown>;
  status?: KeyStatus;
  visibility?: string;
  expire_time?: string;
  issuer?: string;
  rate_limit_policy?: RateLimitPolicy;
  rate_limit_remaining?: string;
  rate_limit_reset_time?: string;
  error_code?: VerificationErrorCode;
  error_message?: string;
}

const STALE_WHEN_DEAF_MS = 1000;
const invalid = (code: VerificationErrorCode, message: string): VerifyResponse => ({ is_valid: false, error_code: code, error_message: message });
const INVALID_FORMAT = invalid('VERIFICATION_ERROR_INVALID_FORMAT', 'The credential is not well-formed.');
const NOT_FOUND = invalid('VERIFICATION_ERROR_NOT_FOUND', 'The credential is not known.');

export interface UserKeyServiceOptions {
  db: Kysely<Database>;
  notifier: Notifier;
  secret: string;
  cacheTtlMs: number;
  lastUsedFlushMs: number;
  quotas?: KeyQuotas;
  cacheMax?: number;
  onError?: (err: unknown) => void;
}

/** Input of issue and import, as the route schemas type it. */
export interface CreateKeyInput extends KeyFieldsInput {
  ttl?: string;
  request_id?: string;
  raw_key?: string;
}

export interface UpdateInput extends KeyFieldsInput {
  expire_time?: string;
}

const UPDATABLE = new Set(['name', 'actor_id', 'scopes', 'metadata', 'rate_limit_policy', 'ip_restriction', 'ip_restriction.allowed_cidrs', 'visibility', 'expire_time']);
const OUTPUT_ONLY = new Set(['key_id', 'create_time', 'update_time', 'last_used_time', 'status', 'revocation_reason', 'revocation_description']);

/**
 * The keys a project issues to (or imports for) its own users, and their verification (DESIGN §4).
 *
 * Verification: shape and checksum (no I/O) -> bounded in-process cache, found by the SHA-256 of
 * project and credential -> HMAC -> one indexed query. Every change of a key (update, revoke, delete,
 * import) drops its entry here at once and on every other node through the notifier; while the
 * notifier is deaf, entries older than a second are re-read. `last_used_time` is written in batches.
 * Every query is scoped to the project the request resolved to.
 */
export class UserKeyService {
  readonly store: UserKeyStore;
  private readonly cache: LRUCache<string, CacheEntry>;
  /** Lookup value -> fingerprint of the cached entries, for invalidations. */
  private readonly byHash = new Map<string, string>();
  /** `{projectId}\0{keyId}` -> entry: the parents of derived tokens. */
  private readonly byId: LRUCache<string, CacheEntry>;
  private revocations = 0;
  /** Key id -> its project and when it was last used, written in batches. */
  private readonly lastUsed: WriteBehind<string, { projectId: string; at: number }>;
  private readonly quotas: KeyQuotas;

  constructor(private readonly o: UserKeyServiceOptions) {
    this.store = new UserKeyStore(o.db);
    this.quotas = o.quotas ?? new LocalQuotas();
    this.cache = new LRUCache({
      max: o.cacheMax ?? 100_000,
      ttl: o.cacheTtlMs,
      ttlAutopurge: false,
      dispose: (entry, fp) => {
        if (this.byHash.get(entry.hash) === fp) this.byHash.delete(entry.hash);
      },
    });
    this.byId = new LRUCache({ max: o.cacheMax ?? 100_000, ttl: o.cacheTtlMs, ttlAutopurge: false });
    o.notifier.subscribe((m) => {
      if (m.type === 'user-key' || m.type === 'project') this.revocations++;
      if (m.type === 'user-key') {
        const fp = this.byHash.get(m.hash);
        if (fp) this.cache.delete(fp);
        this.byId.delete(`${m.projectId}\0${m.id}`);
      }
      if (m.type === 'project') {
        for (const [fp, entry] of this.cache.entries()) if (entry.projectId === m.id) this.cache.delete(fp);
        for (const [k, entry] of this.byId.entries()) if (entry.projectId === m.id) this.byId.delete(k);
      }
    });
    this.lastUsed = new WriteBehind({ everyMs: o.lastUsedFlushMs, write: (batch) => this.store.setLastUsed(batch), onError: o.onError });
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** Issues a key; the secret is in the answer only. A repeated `request_id` answers the key it made, without the secret. */
  async issue(projectId: string, input: CreateKeyInput): Promise<{ issued_api_key: UserKeyView; secret?: string }> {
    const s = this.store.scope(projectId);
    const requestId = checkRequestId(input.request_id);
    if (requestId) {
      const existing = await this.store.byRequestId(s, 'issued', requestId);
      if (existing) return { issued_api_key: toView(existing) };
    }
    const secret = generateIssuedKey();
    const row = this.newRow(projectId, 'issued', secret, input, requestId);
    if (!(await this.store.insert(s, row))) {
      const raced = requestId ? await this.store.byRequestId(s, 'issued', requestId) : undefined;
      if (raced) return { issued_api_key: toView(raced) };
      throw new Error('user key lookup value collision');
    }
    return { issued_api_key: toView({ ...row, project_id: projectId }), secret };
  }

  /** Imports a key the caller already has; only its HMAC is stored. 409 when it is imported already (or an issued key has its value). */
  async importKey(projectId: string, input: CreateKeyInput): Promise<UserKeyView> {
    const s = this.store.scope(projectId);
    const raw = checkRawKey(input.raw_key);
    const requestId = checkRequestId(input.request_id);
    if (requestId) {
      const existing = await this.store.byRequestId(s, 'imported', requestId);
      if (existing) return toView(existing);
    }
    const row = this.newRow(projectId, 'imported', raw, input, requestId);
    if (!(await this.store.insert(s, row))) {
      const raced = requestId ? await this.store.byRequestId(s, 'imported', requestId) : undefined;
      if (raced && raced.secret_hash === row.secret_hash) return toView(raced);
      throw conflict('This key is already imported in this project.');
    }
    // A verification may have cached "unknown" for this value: drop it everywhere.
    await this.o.notifier.publish({ type: 'user-key', projectId, id: row.id, hash: row.secret_hash });
    return toView({ ...row, project_id: projectId });
  }

  /** Imports up to 1000 keys, each on its own: per-item results in request order. */
  async batchImport(projectId: string, requests: CreateKeyInput[]) {
    const results: { index: number; imported_api_key?: UserKeyView; error_code?: string; error_message?: string }[] = [];
    for (const [index, request] of requests.entries()) {
      try {
        results.push({ index, imported_api_key: await this.importKey(projectId, request) });
      } catch (err) {
        const e = err as { code?: number; reason?: string };
        if (e.code !== 400 && e.code !== 409) throw err;
        results.push({ index, error_code: e.code === 409 ? 'BATCH_CREATE_IMPORTED_API_KEYS_ERROR_ALREADY_EXISTS' : 'BATCH_CREATE_IMPORTED_API_KEYS_ERROR_INVALID_ARGUMENT', error_message: e.reason });
      }
    }
    const success = results.filter((r) => r.imported_api_key).length;
    return { results, success_count: success, failure_count: results.length - success };
  }

  async get(projectId: string, kind: UserKeyKind, id: string): Promise<UserKeyView> {
    const row = await this.store.byId(this.store.scope(projectId), kind, id);
    if (!row) throw notFound();
    return toView(row, this.lastUsed.get(row.id)?.at);
  }

  async list(projectId: string, kind: UserKeyKind, q: { size: number; after?: string; filter?: string }): Promise<{ keys: UserKeyView[]; nextAfter?: string }> {
    const conditions = parseFilter(q.filter);
    if (typeof conditions === 'string') throw badRequest(`The filter is not valid: ${conditions}.`);
    const rows = await this.store.list(this.store.scope(projectId), kind, conditions, q.size, q.after, nowIso());
    const more = rows.length > q.size;
    const page = more ? rows.slice(0, q.size) : rows;
    return { keys: page.map((r) => toView(r, this.lastUsed.get(r.id)?.at)), nextAfter: more ? page[page.length - 1].id : undefined };
  }

  /** AIP-134 update: the fields the mask names (or every populated one) are written; a named field left out is cleared. */
  async update(projectId: string, kind: UserKeyKind, id: string, body: UpdateInput, updateMask: string | undefined): Promise<UserKeyView> {
    const paths = maskPaths(body, updateMask);
    const patch: UserKeyPatch = {};
    for (const path of paths) {
      switch (path) {
        case 'name': patch.name = checkName(body.name ?? ''); break;
        case 'actor_id': patch.actor_id = checkActor(body.actor_id); break;
        case 'scopes': patch.scopes = JSON.stringify(checkScopes(body.scopes ?? [])); break;
        case 'metadata': patch.metadata = checkMetadata(body.metadata ?? {}); break;
        case 'rate_limit_policy': patch.rate_limit_policy = body.rate_limit_policy ? JSON.stringify(checkRateLimitPolicy(body.rate_limit_policy).wire) : null; break;
        case 'ip_restriction':
        case 'ip_restriction.allowed_cidrs': patch.allowed_cidrs = JSON.stringify(checkCidrs(body.ip_restriction)); break;
        case 'visibility': patch.visibility = checkVisibility(body.visibility); break;
        case 'expire_time': patch.expires_at = checkExpireTime(body.expire_time); break;
      }
    }
    const s = this.store.scope(projectId);
    const current = await this.store.byId(s, kind, id);
    if (!current) throw notFound();
    if (current.revoked_at) throw conflict('A revoked key cannot be changed.');
    const row = await this.store.update(s, kind, id, patch, nowIso());
    if (!row) throw notFound();
    await this.o.notifier.publish({ type: 'user-key', projectId, id, hash: row.secret_hash });
    return toView(row, this.lastUsed.get(row.id)?.at);
  }

  /** A new key (new id and secret) with the old one's fields unless given, and the old one revoked as superseded. */
  async rotate(projectId: string, id: string, body: KeyFieldsInput): Promise<{ issued_api_key: UserKeyView; old_issued_api_key: UserKeyView; secret: string }> {
    const s = this.store.scope(projectId);
    const old = await this.store.byId(s, 'issued', id);
    if (!old) throw notFound();
    if (old.revoked_at) throw conflict('A revoked key cannot be rotated.');
    const secret = generateIssuedKey();
    const now = Date.now();
    const lifetime = old.expires_at ? Date.parse(old.expires_at) - Date.parse(old.created_at) : null;
    const row = this.newRow(projectId, 'issued', secret, {
      name: body.name ?? old.name,
      actor_id: old.actor_id,
      scopes: body.scopes ?? (JSON.parse(old.scopes) as string[]),
      metadata: body.metadata ?? (JSON.parse(old.metadata) as Record<string, unknown>),
      rate_limit_policy: body.rate_limit_policy ?? (old.rate_limit_policy ? (JSON.parse(old.rate_limit_policy) as RateLimitPolicy) : undefined),
      ip_restriction: body.ip_restriction ?? { allowed_cidrs: JSON.parse(old.allowed_cidrs) as string[] },
      visibility: body.visibility ?? old.visibility,
    }, null);
    row.expires_at = lifetime !== null ? new Date(now + lifetime).toISOString() : null;
    const revoked = await s.transaction(async (trx) => {
      const gone = await this.store.revoke(trx, 'issued', id, row.created_at, 'REVOCATION_REASON_SUPERSEDED', null);
      if (!gone) throw conflict('A revoked key cannot be rotated.');
      if (!(await this.store.insert(trx, row))) throw new Error('user key lookup value collision');
      return gone;
    });
    await this.o.notifier.publish({ type: 'user-key', projectId, id, hash: revoked.secret_hash });
    return { issued_api_key: toView({ ...row, project_id: projectId }), old_issued_api_key: toView(revoked), secret };
  }

  /** Revokes a key. PRIVILEGE_WITHDRAWN only here (an admin), and only it may carry a description. 404 when there is no such key; 409 when it is revoked already. */
  async revoke(projectId: string, kind: UserKeyKind, id: string, reason: string | undefined, description: string | undefined): Promise<void> {
    const r = reason ?? 'REVOCATION_REASON_UNSPECIFIED';
    if (description !== undefined && description !== '' && r !== 'REVOCATION_REASON_PRIVILEGE_WITHDRAWN') throw badRequest('A description is only allowed with the reason REVOCATION_REASON_PRIVILEGE_WITHDRAWN.');
    if (description !== undefined && description.length > 1024) throw badRequest('The description must be at most 1024 characters.');
    const s = this.store.scope(projectId);
    const row = await this.store.revoke(s, kind, id, nowIso(), r, description || null);
    if (!row) {
      if (await this.store.byId(s, kind, id)) throw conflict('The key is revoked already.');
      throw notFound();
    }
    await this.o.notifier.publish({ type: 'user-key', projectId, id, hash: row.secret_hash });
  }

  /** Deletes an imported key for good. */
  async deleteImported(projectId: string, id: string): Promise<void> {
    const hash = await this.store.delete(this.store.scope(projectId), 'imported', id);
    if (hash === undefined) throw notFound();
    await this.o.notifier.publish({ type: 'user-key', projectId, id, hash });
  }

  /**
   * Self-revocation by whoever holds the key: the same answer for a key revoked now, one revoked
   * before and one never seen. PRIVILEGE_WITHDRAWN is an admin's reason.
   */
  async selfRevoke(projectId: string, credential: string, reason: string | undefined): Promise<void> {
    if (reason === 'REVOCATION_REASON_PRIVILEGE_WITHDRAWN') throw badRequest('The reason REVOCATION_REASON_PRIVILEGE_WITHDRAWN is for administrators only.');
    if (credential.length === 0 || credential.length > MAX_CREDENTIAL_LENGTH) throw badRequest('The credential must be a non-empty string.');
    if (looksIssued(credential) && !isWellFormedIssuedKey(credential)) return;
    const hash = hashUserKey(this.o.secret, projectId, credential);
    const row = await this.store.revokeByHash(this.store.scope(projectId), hash, nowIso(), reason ?? 'REVOCATION_REASON_UNSPECIFIED');
    if (row) await this.o.notifier.publish({ type: 'user-key', projectId, id: row.id, hash });
  }

  /** The per-address window of self-revocations (bucket `user-key-self-revoke:{project}:{address}`). */
  takeSelfRevoke(projectId: string, address: string) {
    return this.quotas.take(`user-key-self-revoke:${projectId}:${address}`, { limit: 30, windowMs: 60_000 });
  }

  // ---- verification ----------------------------------------------------------------------------

  /**
   * Verifies an issued or imported key of the project. Never throws for a bad credential: the answer
   * says why. `address` is the end user's address the verifier passed (for IP restrictions).
   */
  async verify(projectId: string, raw: unknown, o: { address?: string; cache?: CacheMode } = {}): Promise<VerifyResponse> {
    const found = await this.lookup(projectId, raw, o.cache ?? 'default');
    if (typeof found !== 'object' || found === null || 'is_valid' in found) return found as VerifyResponse;
    return this.judge(projectId, found, o.address);
  }

  /** The cached key of a credential, or the refusal that needs no key. */
  async lookup(projectId: string, raw: unknown, mode: CacheMode): Promise<CachedKey | VerifyResponse> {
    if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_CREDENTIAL_LENGTH) return INVALID_FORMAT;
    if (looksIssued(raw) && !isWellFormedIssuedKey(raw)) return INVALID_FORMAT;
    const fp = credentialFingerprint(projectId, raw);
    if (mode === 'default') {
      const entry = this.cache.get(fp);
      if (entry && (this.o.notifier.isLive() || Date.now() - entry.loadedAt <= STALE_WHEN_DEAF_MS)) return entry.key ?? NOT_FOUND;
    }
    const hash = hashUserKey(this.o.secret, projectId, raw);
    const s = this.store.scope(projectId);
    const before = this.revocations;
    let row = await this.store.byHash(s, hash);
    // A change that arrived while the row was read may be newer than it: read again rather than cache it.
    if (this.revocations !== before) row = await this.store.byHash(s, hash);
    const entry: CacheEntry = { key: row ? toCached(row) : null, hash, loadedAt: Date.now(), projectId };
    if (mode !== 'no-store' && this.revocations === before) {
      this.cache.set(fp, entry);
      this.byHash.set(hash, fp);
    }
    return entry.key ?? NOT_FOUND;
  }

  /** The parent key of a derived token, by id (issued or imported), cached like `lookup`. */
  async byKeyId(projectId: string, keyId: string, mode: CacheMode): Promise<CachedKey | null> {
    const k = `${projectId}\0${keyId}`;
    if (mode === 'default') {
      const entry = this.byId.get(k);
      if (entry && (this.o.notifier.isLive() || Date.now() - entry.loadedAt <= STALE_WHEN_DEAF_MS)) return entry.key;
    }
    const s = this.store.scope(projectId);
    const before = this.revocations;
    let row = await this.store.byAnyId(s, keyId);
    if (this.revocations !== before) row = await this.store.byAnyId(s, keyId);
    const entry: CacheEntry = { key: row ? toCached(row) : null, hash: row?.secret_hash ?? '', projectId, loadedAt: Date.now() };
    if (mode !== 'no-store' && this.revocations === before) this.byId.set(k, entry);
    return entry.key;
  }

  /** Why a stored key cannot be used at all (revoked, expired), or null. */
  judgeStatus(key: CachedKey): VerificationErrorCode | null {
    if (key.revoked) return 'VERIFICATION_ERROR_REVOKED';
    if (key.expiresAtMs !== null && key.expiresAtMs <= Date.now()) return 'VERIFICATION_ERROR_EXPIRED';
    return null;
  }

  /** The answer for a stored key: status, IP restriction, rate limit, in that order. */
  async judge(projectId: string, key: CachedKey, address: string | undefined, scopes = key.scopes): Promise<VerifyResponse> {
    const out: VerifyResponse = { is_valid: false, key_id: key.id, actor_id: key.actorId, scopes, metadata: key.metadata, visibility: key.visibility, status: 'KEY_STATUS_ACTIVE' };
    if (key.expireTime) out.expire_time = key.expireTime;
    if (key.policy) out.rate_limit_policy = key.policy.wire;
    if (key.revoked) return { ...out, status: 'KEY_STATUS_REVOKED', error_code: 'VERIFICATION_ERROR_REVOKED', error_message: 'The key is revoked.' };
    if (key.expiresAtMs !== null && key.expiresAtMs <= Date.now()) return { ...out, status: 'KEY_STATUS_EXPIRED', error_code: 'VERIFICATION_ERROR_EXPIRED', error_message: 'The key is expired.' };
    // Fail closed: a restricted key with no usable address is refused.
    if (key.ranges && !(address && key.ranges.contains(address))) return { ...out, error_code: 'VERIFICATION_ERROR_IP_NOT_ALLOWED', error_message: 'The key may not be used from this address.' };
    if (key.policy) {
      const d = await this.quotas.take(`user-key:${projectId}:${key.id}`, { limit: key.policy.quota, windowMs: key.policy.windowMs });
      out.rate_limit_remaining = String(d.remaining);
      out.rate_limit_reset_time = new Date(d.resetAtMs).toISOString();
      if (!d.allowed) return { ...out, error_code: 'VERIFICATION_ERROR_RATE_LIMITED', error_message: 'The key exceeded its rate limit.' };
    }
    this.lastUsed.set(key.id, { projectId, at: Date.now() });
    out.is_valid = true;
    return out;
  }

  /** Writes buffered `last_used_time` values. */
  flushLastUsed(): Promise<void> {
    return this.lastUsed.flush();
  }

  close(): Promise<void> {
    return this.lastUsed.close();
  }

  private newRow(projectId: string, kind: UserKeyKind, secret: string, input: CreateKeyInput, requestId: string | null): Omit<UserApiKeysTable, 'project_id'> {
    const now = nowIso();
    return {
      id: newId(),
      kind,
      secret_hash: hashUserKey(this.o.secret, projectId, secret),
      name: checkName(input.name ?? ''),
      actor_id: checkActor(input.actor_id),
      scopes: JSON.stringify(checkScopes(input.scopes ?? [])),
      metadata: checkMetadata(input.metadata ?? {}),
      rate_limit_policy: input.rate_limit_policy ? JSON.stringify(checkRateLimitPolicy(input.rate_limit_policy).wire) : null,
      allowed_cidrs: JSON.stringify(checkCidrs(input.ip_restriction)),
      visibility: checkVisibility(input.visibility),
      request_id: requestId,
      created_at: now,
      updated_at: now,
      expires_at: expiryOf(input.ttl, Date.parse(now)),
      last_used_at: null,
      revoked_at: null,
      revocation_reason: null,
      revocation_description: null,
    };
  }
}

export type { CachedKey };

function toCached(row: UserApiKeysTable): CachedKey {
  return {
    id: row.id,
    kind: row.kind,
    actorId: row.actor_id,
    scopes: JSON.parse(row.scopes) as string[],
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    visibility: row.visibility,
    expiresAtMs: row.expires_at ? Date.parse(row.expires_at) : null,
    expireTime: row.expires_at ?? undefined,
    revoked: row.revoked_at !== null,
    ranges: readRanges(row.allowed_cidrs),
    policy: readPolicy(row.rate_limit_policy),
  };
}

function checkRequestId(id: string | undefined): string | null {
  if (id === undefined || id === '') return null;
  if (id.length > 128 || !/^[\x21-\x7e]+$/.test(id)) throw badRequest('request_id must be at most 128 printable characters.');
  return id;
}

function checkRawKey(raw: string | undefined): string {
  if (typeof raw !== 'string' || raw.length < 8 || raw.length > MAX_CREDENTIAL_LENGTH) throw badRequest(`raw_key must be a string of 8 to ${MAX_CREDENTIAL_LENGTH} characters.`);
  if (looksIssued(raw)) throw badRequest('raw_key has the format of a key this server issues; issued keys cannot be imported.');
  if (raw.startsWith('ghm_v1_') || /^eyJ[\w-]*\.[\w-]*\.[\w-]*$/.test(raw)) throw badRequest('raw_key has the format of a derived token; only API keys can be imported.');
  return raw;
}

function checkExpireTime(value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(ms)) throw badRequest('expire_time must be an RFC 3339 time.');
  if (ms <= Date.now()) throw badRequest('expire_time must be in the future.');
  return new Date(ms).toISOString();
}

/** The fields an update writes: the mask's (AIP-134), or every populated updatable field of the body. */
function maskPaths(body: UpdateInput, mask: string | undefined): string[] {
  if (mask === undefined || mask.trim() === '') return Object.keys(body).filter((k) => UPDATABLE.has(k) && (body as Record<string, unknown>)[k] !== undefined);
  const paths = mask.split(',').map((p) => p.trim());
  if (paths.length === 1 && paths[0] === '*') return ['name', 'scopes', 'metadata', 'rate_limit_policy', 'ip_restriction', 'visibility', 'expire_time'].concat(body.actor_id !== undefined ? ['actor_id'] : []);
  for (const p of paths) {
    if (OUTPUT_ONLY.has(p)) throw badRequest(`update_mask names ${JSON.stringify(p)}, which is output only.`);
    if (!UPDATABLE.has(p)) throw badRequest(`update_mask names ${JSON.stringify(p.slice(0, 64))}, which is not a field that can be updated (${[...UPDATABLE].join(', ')}).`);
  }
  return [...new Set(paths)];
}
