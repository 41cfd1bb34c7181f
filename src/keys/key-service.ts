import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { ApiKeysTable } from './tables.js';
import type { Notifier } from '../platform/db/notifier.js';
import { newId, nowIso } from '../platform/ids.js';
import { conflict } from '../platform/errors/errors.js';
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
}

/** A new key row of `scope`; `hash` is the key's lookup value. */
function newKeyRow(scope: KeyScope, input: { name: string; ownerId: string; expiresAt?: string | null }, value: string, hash: string): ApiKeysTable {
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
    scopes: null,
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
  private pendingLastUsed = new Map<string, number>();
  private readonly flushTimer: NodeJS.Timeout;

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
    this.flushTimer = setInterval(() => void this.flushLastUsed().catch(o.onError), o.lastUsedFlushMs);
    this.flushTimer.unref();
  }

  /** Creates a key in `scope`. The returned `value` is the only time the key exists outside the caller. */
  async issue(scope: KeyScope, input: { name: string; ownerId: string; expiresAt?: string | null }): Promise<ApiKeyView & { value: string }> {
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
    const pending = this.pendingLastUsed;
    return rows.map((r) => {
      const used = pending.get(r.id);
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

  private judge(entry: CacheEntry): VerifyResult {
    if (!entry.key) return entry.reason === 'unknown' ? UNKNOWN : REVOKED;
    if (entry.key.expiresAtMs !== null && entry.key.expiresAtMs <= Date.now()) return EXPIRED;
    this.pendingLastUsed.set(entry.key.id, Date.now());
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
  async flushLastUsed(): Promise<void> {
    if (this.pendingLastUsed.size === 0) return;
    const batch = this.pendingLastUsed;
    this.pendingLastUsed = new Map();
    await this.store.setLastUsed(batch);
  }

  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.flushLastUsed().catch(this.o.onError);
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
    },
  };
}
