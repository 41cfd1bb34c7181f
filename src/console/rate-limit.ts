import { LRUCache } from 'lru-cache';

/**
 * Counts failures per key in a fixed window and refuses once `max` is reached. In-process and
 * bounded (an LRU), so a flood of distinct keys cannot exhaust memory; with N nodes an attacker gets
 * at most N times the budget, which still stops online guessing.
 */
export class FailureLimiter {
  private readonly hits: LRUCache<string, { count: number; resetAt: number }>;

  constructor(private readonly o: { max: number; windowMs: number; size?: number }) {
    this.hits = new LRUCache({ max: o.size ?? 50_000 });
  }

  /** Seconds until `key` may try again, or 0 when it may try now. */
  retryAfter(key: string, now = Date.now()): number {
    const h = this.hits.get(key);
    if (!h || h.resetAt <= now) return 0;
    return h.count >= this.o.max ? Math.ceil((h.resetAt - now) / 1000) : 0;
  }

  fail(key: string, now = Date.now()): void {
    const h = this.hits.get(key);
    if (!h || h.resetAt <= now) this.hits.set(key, { count: 1, resetAt: now + this.o.windowMs });
    else h.count++;
  }

  reset(key: string): void {
    this.hits.delete(key);
  }
}
