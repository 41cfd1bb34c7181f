import { LRUCache } from 'lru-cache';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { Principal } from '../platform/auth/principal.js';
import { newId } from '../platform/ids.js';
import { AuditStore, type AuditFilter } from './audit-store.js';
import type { AuditEventsTable } from './tables.js';

export type { AuditFilter } from './audit-store.js';

/** Who did it: a console user, a Gatehouse key, or nobody known (a public endpoint). */
export type AuditActor = { kind: 'user'; id: string; name?: string } | { kind: 'api_key'; id: string; name: string } | { kind: 'anonymous' };

/** One event to record. `details` is shown to the workspace's owners as is: never put a secret in it. */
export interface AuditEventInput {
  workspaceId: string;
  projectId?: string | null;
  event: string;
  actor: AuditActor;
  clientAddress?: string;
  target: { type: string; id: string; name?: string };
  outcome?: 'success' | 'refused';
  details?: Record<string, unknown>;
}

/** An event as the API shows it. */
export interface AuditEventView {
  id: string;
  workspace_id: string;
  project_id: string | null;
  occurred_at: string;
  event: string;
  actor: { kind: AuditEventsTable['actor_kind']; id: string | null; name: string | null };
  client_address: string | null;
  target: { type: string; id: string; name: string | null };
  outcome: AuditEventsTable['outcome'];
  details: Record<string, unknown>;
}

/** The audit actor of a request's principal; `userName` is a console user's email when the caller has it. */
export function actorOf(principal: Principal, userName?: string): AuditActor {
  if (principal.kind === 'console-user') return userName === undefined ? { kind: 'user', id: principal.userId } : { kind: 'user', id: principal.userId, name: userName };
  return { kind: 'api_key', id: principal.keyId, name: principal.keyName };
}

export interface AuditLogOptions {
  db: Kysely<Database>;
  /** How long events are kept; older ones are deleted by the sweep. */
  retentionMs: number;
  /** How often the sweep runs (default hourly); 0 runs none (tests call `sweep`). */
  sweepEveryMs?: number;
  /** A failed write or sweep: logged by the caller, never thrown into a request. */
  onError?: (err: unknown) => void;
}

/**
 * Refusals (wrong scope, address, rate) can arrive at the rate of an attack, so the same refusal
 * (workspace, event, actor, client address, reason) is recorded once per window and the repeats are
 * dropped: the log says that it happened and from where, without one row per refused request.
 * Bounded, per node; management changes and every success are always recorded.
 */
const REFUSAL_WINDOW_MS = 60_000;
const SWEEP_BATCH = 1000;
/** At most this many batches per sweep, so one sweep never holds the store for long. */
const SWEEP_MAX_BATCHES = 50;
const MAX_DETAILS_CHARS = 8192;

/**
 * The workspace audit log: records management changes and key events, lists them for the
 * workspace's owners, and deletes them after the retention period.
 */
export class AuditLog {
  private readonly store: AuditStore;
  private readonly recentRefusals = new LRUCache<string, true>({ max: 10_000, ttl: REFUSAL_WINDOW_MS });
  private readonly sweepTimer?: NodeJS.Timeout;
  private lastId = '';

  constructor(private readonly o: AuditLogOptions) {
    this.store = new AuditStore(o.db);
    const every = o.sweepEveryMs ?? 3_600_000;
    if (every > 0) {
      this.sweepTimer = setInterval(() => void this.sweep().catch(o.onError), every);
      this.sweepTimer.unref();
    }
  }

  /**
   * Records an event: one insert (a repeated refusal within a minute: none). Never throws: a
   * failure goes to `onError`, so auditing cannot fail the request it describes.
   */
  async record(e: AuditEventInput): Promise<void> {
    try {
      const outcome = e.outcome ?? 'success';
      const actorId = e.actor.kind === 'anonymous' ? null : e.actor.id;
      if (outcome === 'refused') {
        const key = JSON.stringify([e.workspaceId, e.event, actorId, e.clientAddress ?? null, e.details?.reason ?? null]);
        if (this.recentRefusals.has(key)) return;
        this.recentRefusals.set(key, true);
      }
      let actorName = e.actor.kind === 'anonymous' ? null : (e.actor.name ?? null);
      if (e.actor.kind === 'user' && actorName === null) actorName = (await this.store.userEmail(e.actor.id)) ?? null;
      let details = JSON.stringify(e.details ?? {});
      if (details.length > MAX_DETAILS_CHARS) details = JSON.stringify({ truncated: true });
      const at = new Date();
      await this.store.insert({
        id: this.nextId(),
        workspace_id: e.workspaceId,
        project_id: e.projectId ?? null,
        occurred_at: at.toISOString(),
        event: e.event,
        actor_kind: e.actor.kind,
        actor_id: actorId,
        actor_name: actorName,
        client_address: e.clientAddress ?? null,
        target_type: e.target.type,
        target_id: e.target.id,
        target_name: e.target.name ?? null,
        outcome,
        details,
      });
    } catch (err) {
      this.o.onError?.(err);
    }
  }

  /**
   * A UUIDv7 greater than every id this node issued before: ids of one millisecond are otherwise in
   * random order, and the log is listed by id, newest first.
   */
  private nextId(): string {
    let id = newId();
    if (id <= this.lastId) {
      const tail = (parseInt(this.lastId.slice(24), 16) + 1).toString(16).padStart(12, '0');
      id = tail.length > 12 ? newId() : this.lastId.slice(0, 24) + tail;
    }
    this.lastId = id;
    return id;
  }

  /**
   * A page of `workspaceId`'s events, newest first, after the event `before`. The caller has
   * checked that its principal may read the workspace's log. One more row than asked tells if more follow.
   */
  async list(workspaceId: string, filter: AuditFilter, size: number, before?: string): Promise<{ events: AuditEventView[]; hasMore: boolean }> {
    const rows = await this.store.page(workspaceId, filter, size + 1, before);
    return { events: rows.slice(0, size).map(toView), hasMore: rows.length > size };
  }

  /** Deletes events older than the retention period, in bounded batches; how many it deleted. */
  async sweep(now = Date.now()): Promise<number> {
    const cutoff = new Date(now - this.o.retentionMs).toISOString();
    let total = 0;
    for (let i = 0; i < SWEEP_MAX_BATCHES; i++) {
      const n = await this.store.deleteOlderThan(cutoff, SWEEP_BATCH);
      total += n;
      if (n < SWEEP_BATCH) break;
    }
    return total;
  }

  close(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
  }
}

function toView(row: AuditEventsTable): AuditEventView {
  return {
    id: row.id,
    workspace_id: row.workspace_id,
    project_id: row.project_id,
    occurred_at: row.occurred_at,
    event: row.event,
    actor: { kind: row.actor_kind, id: row.actor_id, name: row.actor_name },
    client_address: row.client_address,
    target: { type: row.target_type, id: row.target_id, name: row.target_name },
    outcome: row.outcome,
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}
