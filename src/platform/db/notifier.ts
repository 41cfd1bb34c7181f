import { EventEmitter } from 'node:events';
import { sql } from 'kysely';
import pg from 'pg';
import type { Store } from './database.js';

/** A cross-node invalidation message. Never carries a secret: keys are named by their HMAC or id. */
export type Invalidation =
  | { type: 'api-key'; hash: string }
  /** A project's user key (ApiKeysApi) changed or was revoked: drop cached verifications of it. */
  | { type: 'user-key'; projectId: string; id: string; hash: string }
  | { type: 'project'; id: string; slug: string }
  /** Some identity or session changed: drop cached identity reads and whoami answers. */
  | { type: 'identity-write' };

/**
 * Delivers invalidations to every node sharing the store. On PostgreSQL through LISTEN/NOTIFY on one
 * dedicated connection (reconnecting with backoff); on SQLite, one process owns the file, so delivery
 * is in-process. Subscribers also receive their own node's messages.
 */
export interface Notifier {
  publish(message: Invalidation): Promise<void>;
  subscribe(listener: (message: Invalidation) => void): void;
  /**
   * False while messages from other nodes may be missed (the PostgreSQL listener is reconnecting);
   * caches should then trust only very recent entries.
   */
  isLive(): boolean;
  close(): Promise<void>;
}

const CHANNEL = 'gatehouse_invalidate';

export function createNotifier(store: Store, onError: (err: Error) => void = () => {}): Notifier {
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const deliver = (payload: string) => {
    try {
      events.emit('message', JSON.parse(payload) as Invalidation);
    } catch {
      // A malformed payload is dropped; caches still expire by TTL.
    }
  };
  if (store.dialect !== 'postgres') {
    return {
      publish: async (m) => deliver(JSON.stringify(m)),
      subscribe: (l) => void events.on('message', l),
      isLive: () => true,
      close: async () => void events.removeAllListeners(),
    };
  }

  let client: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;
  const connect = async (delay = 100): Promise<void> => {
    if (closed) return;
    const c = new pg.Client({ connectionString: store.url });
    c.on('notification', (n) => n.channel === CHANNEL && n.payload && deliver(n.payload));
    c.on('error', (err) => {
      onError(err);
      if (client === c) client = null;
      c.end().catch(() => {});
      if (!closed) retry = setTimeout(() => void connect(Math.min(delay * 2, 5000)), delay);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANNEL}`);
      client = c;
    } catch (err) {
      onError(err as Error);
      c.end().catch(() => {});
      if (!closed) retry = setTimeout(() => void connect(Math.min(delay * 2, 5000)), delay);
    }
  };
  const ready = connect();

  return {
    async publish(m) {
      // Deliver locally at once (the revoking node must refuse on the very next request), then to peers.
      deliver(JSON.stringify(m));
      await sql`select pg_notify(${CHANNEL}, ${JSON.stringify(m)})`.execute(store.db).catch(onError);
    },
    subscribe: (l) => void events.on('message', l),
    isLive: () => client !== null,
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await ready;
      await client?.end().catch(() => {});
      events.removeAllListeners();
    },
  };
}
