/**
 * Values buffered in memory and written in batches every `everyMs` (and on `close`), so the request
 * path changes a map, not the database: keys' `last_used_at`, usage counters. A batch whose write
 * fails is dropped unless `keep` says which of its entries to put back for the next flush.
 */
export class WriteBehind<K, V> {
  private pending = new Map<K, V>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly o: {
      everyMs: number;
      write: (batch: ReadonlyMap<K, V>) => Promise<void>;
      /** Entries of a failed batch worth writing later, merged back with `merge`. */
      keep?: (key: K, value: V) => boolean;
      /** How a value set again before a flush combines with the pending one; the newer wins without it. */
      merge?: (pending: V, next: V) => V;
      onError?: (err: unknown) => void;
    },
  ) {
    this.timer = setInterval(() => void this.flush().catch(o.onError), o.everyMs);
    this.timer.unref();
  }

  /** The value waiting to be written for `key`, if any. */
  get(key: K): V | undefined {
    return this.pending.get(key);
  }

  set(key: K, value: V): void {
    const prev = this.o.merge ? this.pending.get(key) : undefined;
    this.pending.set(key, prev === undefined ? value : this.o.merge!(prev, value));
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.o.write(batch);
    } catch (err) {
      if (this.o.keep) for (const [k, v] of batch) if (this.o.keep(k, v)) this.set(k, v);
      throw err;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush().catch(this.o.onError);
  }
}
