import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { WriteBehind } from '../platform/write-behind.js';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { ApiKeysTable } from './tables.js';
import type { Notifier } from '../platform/db/notifier.js';
import { newId, nowIso } from '../platform/ids.js';
import { conflict } from '../platform/errors/errors.js';
import { parseAddressRanges, type AddressRanges } from '../platform/net/cidr.js';
import { parseGoDuration } from '../platform/duration.js';
import type { QuotaPolicy } from '../platform/quota.js';
import { expandScopes } from './scopes.js';
import { generateApiKey, hashApiKey, legacyApiKeyHash, parseApiKey, type KeyKind } from './format.js';
import { KeyStore, type KeyLookupRow, type KeyScope } from './key-store.js';

export type { KeyScope } from './key-store.js';

/** A key as the API shows it: never the secret, never its hash. */
export interface ApiKeyView {
  id: string;
  name: string;
  owner_id: string;
  workspace_id?: string;
  project_id?: string;
  last_characters: string;
  created_at: string;
  updated_at: string;
  expires_at?: string;
  last_used_at?: string;
  /** Absent: the key's whole plane. */
  scopes?: string[];
  /** Absent: any client address. */
  allowed_cidrs?: string[];
  rate_limit?: RateLimit;
  /** The key that replaced this one by rotation; this one works until its `expires_at`. */
  replaced_by?: string;
}

/** A key's own rate limit as the API writes it: `requests` per `per` (a Go duration, `1m`). */
export interface RateLimit {
  requests: number;
  per: string;
}

/** What a key may do beyond its plane: scopes, client addresses, rate. Absent fields: no restriction. */
export interface KeyPolicy {
  scopes?: string[];
  allowedCidrs?: string[];
  rateLimit?: RateLimit;
}

/** A key event that the verification path noticed, for the audit log. */
export type KeyEvent = { type: 'new_client_address'; key: VerifiedKey; address: string };

/** A key revoked because its value was reported leaked. */
export interface LeakedKey {
  id: string;
  name: string;
  kind: KeyKind;
  workspaceId: string;
  projectId: string | null;
}

/** What the verification path remembers about a live key. Contains no secret. */
export interface VerifiedKey {
  id: string;
  /** The key's name, for audit records: not a secret. */
  name: string;
  kind: KeyKind;
  workspaceId: string;
  projectId: string | null;
  ownerId: string;
  expiresAtMs: number | null;
  /** The granted scopes with what `write` implies; null: the whole plane. */
  scopes: ReadonlySet<string> | null;
  /** Null: any client address. */
  allowedAddresses: AddressRanges | null;
  /** Null: no limit of the key's own. */
  rateLimit: QuotaPolicy | null;
}

export type VerifyResult =
  | { ok: true; key: VerifiedKey }
  | { ok: false; reason: 'malformed' | 'unknown' | 'expired' | 'revoked' };

const STALE_WHEN_DEAF_MS = 1000;
const MALFORMED: VerifyResult = { ok: false, reason: 'malformed' };
const UNKNOWN: VerifyResult = { ok: false, reason: 'unknown' };
const REVOKED: VerifyResult = { ok: false, reason: 'revoked' };
const EXPIRED: VerifyResult = { ok: false, reason: 'expired' };

type Loaded = { key: VerifiedKey } | { key: null; reason: 'unknown' | 'revoked' };
/**
 * A cache entry remembers the lookup value its row is stored under (the new or the legacy form), so
 * a revocation, which names the stored value, can find it.
 */
type CacheEntry = Loaded & { hmac: string };

/**
 * The in-process cache key of a presented key: its SHA-256. Keys carry 238 random bits, so the digest
 * reveals nothing, and it costs a seventh of the HMAC, which is computed only on a cache miss.
 */
const fingerprint = (raw: string): string => hash('sha256', raw, 'base64');

export interface KeyServiceOptions {
  db: Kysely<Database>;
  notifier: Notifier;
  secret: string;
  cacheTtlMs: number;
  lastUsedFlushMs: number;
  cacheMax?: number;
  onError?: (err: unknown) => void;
  /** Told of what verification noticed (a key's first use from an address); must not throw. */
  onEvent?: (event: KeyEvent) => void;
}

/** The stored form of a key's policy. */
function policyColumns(p: KeyPolicy): Pick<ApiKeysTable, 'scopes' | 'allowed_cidrs' | 'rate_limit'> {
  return {
    scopes: p.scopes ? JSON.stringify(p.scopes) : null,
    allowed_cidrs: p.allowedCidrs ? JSON.stringify(p.allowedCidrs) : null,
    rate_limit: p.rateLimit ? JSON.stringify(p.rateLimit) : null,
  };
}

export interface NewKey extends KeyPolicy {
  name: string;
  ownerId: string;
  expiresAt?: string | null;
}

/** A new key row of `scope`; `hash` is the key's lookup value. */
function newKeyRow(scope: KeyScope, input: NewKey, value: string, hash: string): ApiKeysTable {
  const now = nowIso();
  return {
    id: newId(),
    kind: scope.kind,
    workspace_id: scope.workspaceId,
    project_id: scope.kind === 'project' ? scope.projectId : null,
    name: input.name,
    secret_hash: hash,
    last_characters: value.slice(-4),
    owner_id: input.ownerId,
    ...policyColumns(input),
    replaced_by: null,
    created_at: now,
    updated_at: now,
    expires_at: input.expiresAt ?? null,
    last_used_at: null,
    revoked_at: null,
  };
}

function toView(row: ApiKeysTable): ApiKeyView {
  const view: ApiKeyView = {
    id: row.id,
    name: row.name,
    owner_id: row.owner_id,
    last_characters: row.last_characters,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
  if (row.kind === 'workspace') view.workspace_id = row.workspace_id;
  if (row.project_id) view.project_id = row.project_id;
  if (row.expires_at) view.expires_at = row.expires_at;
  if (row.last_used_at) view.last_used_at = row.last_used_at;
  if (row.scopes) view.scopes = JSON.parse(row.scopes);
  if (row.allowed_cidrs) view.allowed_cidrs = JSON.parse(row.allowed_cidrs);
  if (row.rate_limit) view.rate_limit = JSON.parse(row.rate_limit);
  if (row.replaced_by) view.replaced_by = row.replaced_by;
  return view;
}

/**
 * Issues, verifies and revokes API keys.
 *
 * Verification: prefix and checksum (no I/O) -> bounded in-process cache, found by the key's SHA-256
 * (never holding the key) -> HMAC -> database. Revocation drops the entry here at once and tells every
 * other node through the notifier; the cache TTL is the backstop if a message is lost.
 */
export class KeyService {
  private readonly cache: LRUCache<string, CacheEntry>;
  /** HMAC -> fingerprint of the cached entries, for revocations. */
  private readonly byHmac = new Map<string, string>();
  /** Counts revocations seen here; a lookup that overlapped one is not cached (it may predate it). */
  private revocations = 0;
  /** Key id -> epoch ms of its latest use, written in batches (a clock read per request, no formatting). */
  /** Key id -> when it was last used, written in batches. */
  private readonly lastUsed: WriteBehind<string, number>;
  /** `{key id} {address}` pairs known to be stored, so a repeat costs no query. */
  private readonly seenAddresses = new LRUCache<string, true>({ max: 100_000 });

  private readonly store: KeyStore;

  constructor(private readonly o: KeyServiceOptions) {
    this.store = new KeyStore(o.db);
    this.cache = new LRUCache({
      max: o.cacheMax ?? 50_000,
      ttl: o.cacheTtlMs,
      ttlAutopurge: false,
      dispose: (entry, fp) => {
        if (this.byHmac.get(entry.hmac) === fp) this.byHmac.delete(entry.hmac);
      },
    });
    o.notifier.subscribe((m) => {
      if (m.type === 'api-key' || m.type === 'project') this.revocations++;
      if (m.type === 'api-key') {
        const fp = this.byHmac.get(m.hash);
        if (fp) this.cache.delete(fp);
      }
      if (m.type === 'project') {
        for (const [fp, entry] of this.cache.entries()) if (entry.key?.projectId === m.id) this.cache.delete(fp);
      }
    });
    this.lastUsed = new WriteBehind({ everyMs: o.lastUsedFlushMs, write: (batch) => this.store.setLastUsed(batch), onError: o.onError });
  }

  /** Creates a key in `scope`. The returned `value` is the only time the key exists outside the caller. */
  async issue(scope: KeyScope, input: NewKey): Promise<ApiKeyView & { value: string }> {
    const value = generateApiKey(scope.kind);
    const row = newKeyRow(scope, input, value, hashApiKey(this.o.secret, value));
    // 238 random bits: a collision of lookup values is not a case to handle.
    if (!(await this.store.insert(row))) throw new Error('api key lookup value collision');
    return { ...toView(row), value };
  }

  /**
   * Imports a key whose value the caller already has (legacy `ory_apikey_` keys). A key is imported
   * once: a value already stored (active or deleted, since deleted keys are kept, under either form
   * of its lookup value) is a 409.
   */
  async importKey(scope: KeyScope & { kind: 'project' }, input: { name: string; ownerId: string; value: string }): Promise<ApiKeyView> {
    if (parseApiKey(input.value) !== 'project') throw new Error('not a project key');
    const hash = hashApiKey(this.o.secret, input.value);
    const row = newKeyRow(scope, { name: input.name, ownerId: input.ownerId }, input.value, hash);
    const stored = !(await this.store.anyWithHash([hash, legacyApiKeyHash(this.o.secret, input.value)])) && (await this.store.insert(row));
    if (!stored) throw conflict('This key is already imported (a key can be imported once, and a deleted key stays deleted).');
    return toView(row);
  }

  /** Active (not revoked) keys of the scope, oldest first. Expired keys are listed with their expiry. */
  async list(scope: KeyScope): Promise<ApiKeyView[]> {
    const rows = await this.store.listActive(scope);
    return rows.map((r) => {
      const used = this.lastUsed.get(r.id);
      return toView(used === undefined ? r : { ...r, last_used_at: new Date(used).toISOString() });
    });
  }

  /** Revokes a key of the scope. Returns false when no such active key exists there. */
  async revoke(scope: KeyScope, id: string): Promise<boolean> {
    const hash = await this.store.revoke(scope, id, nowIso());
    if (hash === undefined) return false;
    await this.o.notifier.publish({ type: 'api-key', hash });
    return true;
  }

  /**
   * Replaces a live key of the scope with a new one of the same name, scopes, limits and expiry. The
   * old key keeps working for `graceMs` (then it expires, on every node), or stops at once for 0.
   * The new key's `value` is shown once, as at issue. Undefined when the scope has no such live key.
   */
  async rotate(scope: KeyScope, id: string, input: { ownerId: string; graceMs: number }): Promise<{ key: ApiKeyView & { value: string }; previous: ApiKeyView } | undefined> {
    const old = await this.store.active(scope, id);
    if (!old) return undefined;
    if (old.replaced_by) throw conflict('This key was rotated already; rotate the key that replaced it.');
    const now = Date.now();
    if (old.expires_at && Date.parse(old.expires_at) <= now) throw conflict('This key has expired; create a new key instead.');
    const value = generateApiKey(scope.kind);
    const policy: KeyPolicy = {
      scopes: old.scopes ? JSON.parse(old.scopes) : undefined,
      allowedCidrs: old.allowed_cidrs ? JSON.parse(old.allowed_cidrs) : undefined,
      rateLimit: old.rate_limit ? JSON.parse(old.rate_limit) : undefined,
    };
    const row = newKeyRow(scope, { name: old.name, ownerId: input.ownerId, expiresAt: old.expires_at, ...policy }, value, hashApiKey(this.o.secret, value));
    const graceEnd = now + input.graceMs;
    const ends = input.graceMs === 0 ? null : new Date(old.expires_at ? Math.min(Date.parse(old.expires_at), graceEnd) : graceEnd).toISOString();
    const previous = await this.store.replace(old, row, ends, new Date(now).toISOString());
    if (!previous) throw conflict('This key was rotated or deleted at the same time; list the keys and try again.');
    // Every node drops its cached copy of the old key, which now ends (or is gone).
    await this.o.notifier.publish({ type: 'api-key', hash: old.secret_hash });
    return { key: { ...toView(row), value }, previous: toView(previous) };
  }

  /**
   * Revokes every live key among `values` (keys reported leaked, as a secret scanner finds them). Values
   * that are not well-formed keys are skipped without I/O. Returns what was revoked, for the audit log.
   */
  async revokeLeaked(values: readonly string[]): Promise<LeakedKey[]> {
    const hashes = new Set<string>();
    for (const v of values) {
      if (!parseApiKey(v)) continue;
      hashes.add(hashApiKey(this.o.secret, v));
      hashes.add(legacyApiKeyHash(this.o.secret, v));
    }
    if (hashes.size === 0) return [];
    const revoked = await this.store.revokeByHashes([...hashes], nowIso());
    for (const r of revoked) await this.o.notifier.publish({ type: 'api-key', hash: r.secret_hash });
    return revoked.map((r) => ({ id: r.id, name: r.name, kind: r.kind, workspaceId: r.workspace_id, projectId: r.project_id }));
  }

  /** Revokes every key of a project (used when the project is purged). */
  async revokeAllOfProject(projectId: string): Promise<void> {
    await this.store.revokeAllOfProject(projectId, nowIso());
    await this.o.notifier.publish({ type: 'project', id: projectId, slug: '' });
  }

  /**
   * Verifies a presented credential from the cache alone: the result, or undefined when the store
   * must be asked (then call `verify`). Lets the hot path answer without a promise.
   */
  verifyCached(raw: string): VerifyResult | undefined {
    if (!parseApiKey(raw)) return MALFORMED;
    const fp = fingerprint(raw);
    const entry = this.cache.get(fp);
    if (!entry) return undefined;
    // While revocations from other nodes may be missed, an entry older than a second is re-read.
    if (!this.o.notifier.isLive() && this.o.cacheTtlMs - this.cache.getRemainingTTL(fp) > STALE_WHEN_DEAF_MS) return undefined;
    return this.judge(entry);
  }

  /** Verifies a presented credential. Never throws for bad input; the result says why it failed. */
  async verify(raw: string): Promise<VerifyResult> {
    const cached = this.verifyCached(raw);
    if (cached) return cached;
    const hmac = hashApiKey(this.o.secret, raw);
    const legacy = legacyApiKeyHash(this.o.secret, raw);
    const before = this.revocations;
    const entry = await this.load(hmac, legacy);
    // A revocation that arrived while the row was being read may be newer than the row: read again
    // rather than cache an answer that could keep a deleted key alive for a whole TTL.
    if (this.revocations !== before) return this.judge(await this.load(hmac, legacy));
    const fp = fingerprint(raw);
    this.cache.set(fp, entry);
    this.byHmac.set(entry.hmac, fp);
    return this.judge(entry);
  }

  /**
   * Notes that a verified key was used from `address`: each address is stored once, and a use from a
   * new address after the key's first one is reported (`onEvent`), as GitHub tells of a token used
   * from a new place. Repeats cost a lookup in a bounded in-process set.
   */
  noteAddress(key: VerifiedKey, address: string): void {
    const seen = `${key.id} ${address}`;
    if (this.seenAddresses.has(seen)) return;
    this.seenAddresses.set(seen, true);
    this.store
      .addAddress(key.id, address, nowIso())
      .then(async (isNew) => {
        if (isNew && (await this.store.addressCount(key.id)) > 1) this.o.onEvent?.({ type: 'new_client_address', key, address });
      })
      .catch(this.o.onError);
  }

  private judge(entry: CacheEntry): VerifyResult {
    if (!entry.key) return entry.reason === 'unknown' ? UNKNOWN : REVOKED;
    if (entry.key.expiresAtMs !== null && entry.key.expiresAtMs <= Date.now()) return EXPIRED;
    this.lastUsed.set(entry.key.id, Date.now());
    return { ok: true, key: entry.key };
  }

  /**
   * The key stored under `hmac` or, for keys stored before lookup values named their purpose, under
   * `legacy` (absent: only `hmac` is looked up). One query either way; the entry carries the form the
   * row is stored under.
   */
  private async load(hmac: string, legacy?: string): Promise<CacheEntry> {
    const row = await this.store.byHash(legacy === undefined ? [hmac] : [hmac, legacy]);
    return { ...toLoaded(row), hmac: row?.secret_hash ?? hmac };
  }

  /** Writes buffered `last_used_at` values: one statement per key, at most once per flush interval. */
  flushLastUsed(): Promise<void> {
    return this.lastUsed.flush();
  }

  close(): Promise<void> {
    return this.lastUsed.close();
  }
}

function toLoaded(row: KeyLookupRow | undefined): Loaded {
  if (!row) return { key: null, reason: 'unknown' };
  if (row.revoked_at) return { key: null, reason: 'revoked' };
  return {
    key: {
      id: row.id,
      name: row.name,
      kind: row.kind,
      workspaceId: row.workspace_id,
      projectId: row.project_id,
      ownerId: row.owner_id,
      expiresAtMs: row.expires_at ? Date.parse(row.expires_at) : null,
      scopes: row.scopes ? expandScopes(JSON.parse(row.scopes)) : null,
      allowedAddresses: row.allowed_cidrs ? (parseAddressRanges(JSON.parse(row.allowed_cidrs)) as AddressRanges) : null,
      rateLimit: row.rate_limit ? quotaOf(JSON.parse(row.rate_limit)) : null,
    },
  };
}

/** A stored rate limit as a quota policy. */
function quotaOf(limit: RateLimit): QuotaPolicy {
  return { limit: limit.requests, windowMs: parseGoDuration(limit.per) ?? 60_000 };
}
