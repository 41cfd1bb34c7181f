import type { Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';

/** At most `limit` calls per fixed window of `windowMs`. */
export interface QuotaPolicy {
  limit: number;
  windowMs: number;
}

/** What one call was told: whether it may proceed, and what the `X-RateLimit-*` headers say. */
export interface QuotaDecision {
  allowed: boolean;
  limit: number;
  /** Calls left in this window, as far as this node knows (exact on one node). */
  remaining: number;
  /** Epoch ms at which the window ends and the quota is full again. */
  resetAtMs: number;
}

/** One row per bucket and window: how many calls of the window the nodes have claimed between them. */
export interface QuotaWindowsTable {
  bucket: string;
  /** Epoch ms of the window's start. */
  window_start: number;
  /** Epoch ms of the window's end, for the sweep. */
  window_end: number;
  /** Calls claimed by all nodes; may exceed the limit by the last claims, which then got less than they asked. */
  claimed: number;
}

export interface QuotaTables {
  quota_windows: QuotaWindowsTable;
}

export interface QuotasOptions {
  /** A claim asks for this share of what the window has left (default 1/8), at least one call. */
  claimShare?: number;
  /** How many buckets a node remembers (default 100,000): a forgotten one claims afresh. */
  maxBuckets?: number;
  /** How often windows that ended are deleted (default every minute); 0 turns the sweep off. */
  sweepEveryMs?: number;
  onError?: (err: unknown) => void;
}

interface Lease {
  windowStart: number;
  /** Calls this node has claimed and not yet used. */
  local: number;
  /** What the window had left for all nodes after this node's latest claim. */
  shared: number;
  /** A claim in flight, which concurrent calls wait for instead of claiming too. */
  claiming: Promise<void> | null;
}

/**
 * Fixed-window call quotas shared by every node through the database, without a write per call.
 *
 * A node claims calls from the window's row in blocks (an eighth of what is left, so blocks shrink as
 * the window fills and the last calls are claimed one at a time) and spends them from memory. The
 * row's count only grows, so no node can spend a call another node claimed: across any number of nodes
 * at most `limit` calls pass per window, and exactly `limit` when the nodes that claimed calls are
 * also asked to spend them. Calls a node claimed but was not asked for are lost when the window ends;
 * that is the price of not writing on every call, and it only ever errs on the side of refusing.
 */
export class Quotas {
  private readonly leases: LRUCache<string, Lease>;
  private readonly claimShare: number;
  private readonly sweepTimer: NodeJS.Timeout | null;

  private readonly db: Kysely<QuotaTables>;

  // Any database that has the quota table will do (the app's is a superset).
  constructor(db: Kysely<any>, private readonly o: QuotasOptions = {}) {
    this.db = db as Kysely<QuotaTables>;
    this.claimShare = o.claimShare ?? 1 / 8;
    this.leases = new LRUCache({ max: o.maxBuckets ?? 100_000 });
    const sweepEvery = o.sweepEveryMs ?? 60_000;
    this.sweepTimer = sweepEvery > 0 ? setInterval(() => void this.sweep().catch(o.onError), sweepEvery) : null;
    this.sweepTimer?.unref();
  }

  /** Spends one call of `bucket`'s current window when there is one left. */
  async take(bucket: string, policy: QuotaPolicy, now = Date.now()): Promise<QuotaDecision> {
    const windowStart = now - (now % policy.windowMs);
    const resetAtMs = windowStart + policy.windowMs;
    for (;;) {
      let lease = this.leases.get(bucket);
      if (!lease || lease.windowStart !== windowStart) {
        lease = { windowStart, local: 0, shared: policy.limit, claiming: null };
        this.leases.set(bucket, lease, { ttl: Math.max(1, resetAtMs - now) });
      }
      if (lease.local > 0) {
        lease.local--;
        return { allowed: true, limit: policy.limit, remaining: lease.local + lease.shared, resetAtMs };
      }
      if (lease.shared <= 0) return { allowed: false, limit: policy.limit, remaining: 0, resetAtMs };
      if (!lease.claiming) lease.claiming = this.claim(bucket, lease, policy, resetAtMs).finally(() => (lease.claiming = null));
      await lease.claiming;
    }
  }

  /** Claims a block of calls for this node: one upsert that adds to the row's count and reads it back. */
  private async claim(bucket: string, lease: Lease, policy: QuotaPolicy, windowEnd: number): Promise<void> {
    const want = Math.max(1, Math.floor(lease.shared * this.claimShare));
    const row = await this.db
      .insertInto('quota_windows')
      .values({ bucket, window_start: lease.windowStart, window_end: windowEnd, claimed: want })
      .onConflict((oc) => oc.columns(['bucket', 'window_start']).doUpdateSet((eb) => ({ claimed: eb('quota_windows.claimed', '+', want) })))
      .returning('claimed')
      .executeTakeFirstOrThrow();
    const claimed = Number(row.claimed);
    const before = claimed - want;
    lease.local += Math.max(0, Math.min(want, policy.limit - before));
    lease.shared = Math.max(0, policy.limit - claimed);
  }

  /** Forgets what this node holds of a bucket (its policy changed or the key was rotated). */
  forget(bucket: string): void {
    this.leases.delete(bucket);
  }

  /** Deletes rows of windows that ended. */
  async sweep(now = Date.now()): Promise<void> {
    await this.db.deleteFrom('quota_windows').where('window_end', '<', now).execute();
  }

  close(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
  }
}
