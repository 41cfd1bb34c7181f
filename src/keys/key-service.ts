import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Kysely } from 'kysely';
import type { Database, ApiKeysTable } from '../platform/db/schema.js';
import type { Notifier } from '../platform/db/notifier.js';
import { newId, nowIso } from '../platform/ids.js';
import { isUniqueViolation } from '../platform/db/database.js';
import { conflict } from '../platform/errors/errors.js';
import { generateApiKey, hashApiKey, parseApiKey, type KeyKind } from './format.js';

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

/** Where a key lives. Every query of keys is filtered by this scope. */
export type KeyScope = { kind: 'workspace'; workspaceId: string } | { kind: 'project'; workspaceId: string; projectId: string };

/** What the verification path remembers about a live key. Contains no secret. */
export interface VerifiedKey {
  id: string;
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
/** A cache entry remembers its row's HMAC, so a revocation (which names the HMAC) can find it. */
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
 * Issues, verifies and revokes API keys (DESIGN.md §4).
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

  constructor(private readonly o: KeyServiceOptions) {
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
    const now = nowIso();
    const row: ApiKeysTable = {
      id: newId(),
      kind: scope.kind,
      workspace_id: scope.workspaceId,
      project_id: scope.kind === 'project' ? scope.projectId : null,
      name: input.name,
      secret_hash: hashApiKey(this.o.secret, value),
      last_characters: value.slice(-4),
      owner_id: input.ownerId,
      scopes: null,
      created_at: now,
      updated_at: now,
      expires_at: input.expiresAt ?? null,
      last_used_at: null,
      revoked_at: null,
    };
    await this.o.db.insertInto('api_keys').values(row).execute();
    return { ...toView(row), value };
  }

  /**
   * Imports a key whose value the caller already has (legacy `ory_apikey_` keys). A key is imported
   * once: a value already stored (active or deleted, since deleted keys are kept) is a 409.
   */
  async importKey(scope: KeyScope & { kind: 'project' }, input: { name: string; ownerId: string; value: string }): Promise<ApiKeyView> {
    if (parseApiKey(input.value) !== 'project') throw new Error('not a project key');
    const now = nowIso();
    const row: ApiKeysTable = {
      id: newId(), kind: 'project', workspace_id: scope.workspaceId, project_id: scope.projectId, name: input.name,
      secret_hash: hashApiKey(this.o.secret, input.value), last_characters: input.value.slice(-4), owner_id: input.ownerId,
      scopes: null, created_at: now, updated_at: now, expires_at: null, last_used_at: null, revoked_at: null,
    };
    try {
      await this.o.db.insertInto('api_keys').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('This key is already imported (a key can be imported once, and a deleted key stays deleted).');
      throw err;
    }
    return toView(row);
  }

  /** Active (not revoked) keys of the scope, oldest first. Expired keys are listed with their expiry. */
  async list(scope: KeyScope): Promise<ApiKeyView[]> {
    let q = this.o.db.selectFrom('api_keys').selectAll().where('revoked_at', 'is', null).where('kind', '=', scope.kind).where('workspace_id', '=', scope.workspaceId);
    if (scope.kind === 'project') q = q.where('project_id', '=', scope.projectId);
    const rows = await q.orderBy('id').execute();
    const pending = this.pendingLastUsed;
    return rows.map((r) => {
      const used = pending.get(r.id);
      return toView(used === undefined ? r : { ...r, last_used_at: new Date(used).toISOString() });
    });
  }

  /** Revokes a key of the scope. Returns false when no such active key exists there. */
  async revoke(scope: KeyScope, id: string): Promise<boolean> {
    let q = this.o.db.updateTable('api_keys').set({ revoked_at: nowIso(), updated_at: nowIso() }).where('id', '=', id).where('revoked_at', 'is', null).where('kind', '=', scope.kind).where('workspace_id', '=', scope.workspaceId);
    if (scope.kind === 'project') q = q.where('project_id', '=', scope.projectId);
    const row = await q.returning('secret_hash').executeTakeFirst();
    if (!row) return false;
    await this.o.notifier.publish({ type: 'api-key', hash: row.secret_hash });
    return true;
  }

  /** Revokes every key of a project (used when the project is purged). */
  async revokeAllOfProject(projectId: string): Promise<void> {
    await this.o.db.updateTable('api_keys').set({ revoked_at: nowIso(), updated_at: nowIso() }).where('project_id', '=', projectId).where('revoked_at', 'is', null).execute();
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
    const before = this.revocations;
    const entry: CacheEntry = { ...(await this.load(hmac)), hmac };
    // A revocation that arrived while the row was being read may be newer than the row: read again
    // rather than cache an answer that could keep a deleted key alive for a whole TTL.
    if (this.revocations !== before) return this.judge({ ...(await this.load(hmac)), hmac });
    const fp = fingerprint(raw);
    this.cache.set(fp, entry);
    this.byHmac.set(hmac, fp);
    return this.judge(entry);
  }

  private judge(entry: CacheEntry): VerifyResult {
    if (!entry.key) return entry.reason === 'unknown' ? UNKNOWN : REVOKED;
    if (entry.key.expiresAtMs !== null && entry.key.expiresAtMs <= Date.now()) return EXPIRED;
    this.pendingLastUsed.set(entry.key.id, Date.now());
    return { ok: true, key: entry.key };
  }

  private async load(hmac: string): Promise<Loaded> {
    const row = await this.o.db
      .selectFrom('api_keys')
      .select(['id', 'kind', 'workspace_id', 'project_id', 'owner_id', 'expires_at', 'revoked_at'])
      .where('secret_hash', '=', hmac)
      .executeTakeFirst();
    if (!row) return { key: null, reason: 'unknown' };
    if (row.revoked_at) return { key: null, reason: 'revoked' };
    return {
      key: {
        id: row.id,
        kind: row.kind,
        workspaceId: row.workspace_id,
        projectId: row.project_id,
        ownerId: row.owner_id,
        expiresAtMs: row.expires_at ? Date.parse(row.expires_at) : null,
      },
    };
  }

  /** Writes buffered `last_used_at` values: one statement per key, at most once per flush interval. */
  async flushLastUsed(): Promise<void> {
    if (this.pendingLastUsed.size === 0) return;
    const batch = this.pendingLastUsed;
    this.pendingLastUsed = new Map();
    await this.o.db.transaction().execute(async (trx) => {
      for (const [id, at] of batch) await trx.updateTable('api_keys').set({ last_used_at: new Date(at).toISOString() }).where('id', '=', id).execute();
    });
  }

  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.flushLastUsed().catch(this.o.onError);
  }
}
