import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { Dialect } from '../platform/db/database.js';
import { scoped } from '../platform/db/scoped.js';
import type { AddressRanges } from '../platform/net/cidr.js';
import { readCourierSettings } from './courier-config.js';
import { sendHttp, sendSmtp } from './courier-delivery.js';
import { courierStore } from './courier-store.js';
import type { CourierMessagesTable } from './tables.js';

export interface CourierWorkerOptions {
  db: Kysely<Database>;
  dialect: Dialect;
  /** The identity config of a running project, or null (purged, halted: its messages wait in the outbox). */
  configOf: (projectId: string) => Promise<unknown | null>;
  /** Opens a secret of the courier config that is sealed at rest. */
  open: (stored: string) => string;
  /** Ranges the operator allows outbound connections to beyond public addresses (`OUTBOUND_ALLOW_NETWORKS`). */
  allow: AddressRanges | null;
  /** How often the store is checked for due messages (retries, other nodes' messages, after a restart). */
  pollMs: number;
  /** The wait before the first retry; each further retry waits twice as long, 10 minutes at most. */
  retryBackoffMs: number;
  onError: (err: unknown) => void;
  now?: () => number;
}

/** Messages one node holds at a time. */
const BATCH = 10;
/** How long a claim lasts: longer than the slowest attempt (three 15 s timeouts), so only a dead node's claims lapse. */
const LEASE_MS = 120_000;
const MAX_BACKOFF_MS = 10 * 60_000;

/**
 * The courier's delivery worker: claims due messages in batches, sends each through its project's
 * SMTP server or HTTP endpoint, and records the attempt. Claims are one UPDATE of rows chosen with
 * `FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite has one writer), so nodes that share a store never
 * hold the same message; a claim is a lease, so a message held by a node that died is taken over
 * when it lapses. Queued messages live in the store, so a restart loses none.
 */
export class CourierWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly o: CourierWorkerOptions) {
    this.now = o.now ?? Date.now;
  }

  start(): void {
    this.timer = setInterval(() => this.nudge(), this.o.pollMs);
    this.timer.unref();
    this.nudge();
  }

  /** Looks for due messages now (called when one is queued on this node). */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch(this.o.onError)
      .finally(() => {
        this.running = null;
      });
  }

  /** Stops polling and waits for the messages in hand. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async drain(): Promise<void> {
    do {
      this.again = false;
      while (!this.stopped && (await this.round()) > 0);
    } while (this.again && !this.stopped);
  }

  /** Claims one batch and delivers it; returns how many messages it held. */
  private async round(): Promise<number> {
    const now = this.now();
    const iso = new Date(now).toISOString();
    const leaseUntil = new Date(now + LEASE_MS).toISOString();
    const { db } = this.o;
    const due = db
      .selectFrom('courier_messages')
      .select('id')
      .where((eb) => eb.or([eb.and([eb('status', '=', 'queued'), eb('next_attempt_at', '<=', iso)]), eb.and([eb('status', '=', 'processing'), eb('lease_until', '<', iso)])]))
      .orderBy('next_attempt_at')
      .limit(BATCH)
      .$if(this.o.dialect === 'postgres', (q) => q.forUpdate().skipLocked());
    // The one query of the courier that spans projects: the worker serves them all. Each message
    // is then handled in its own project's scope.
    const held = await db.updateTable('courier_messages').set({ status: 'processing', lease_until: leaseUntil, updated_at: iso }).where('id', 'in', due).returningAll().execute();
    await Promise.all(held.map((m) => this.deliver(m).catch(this.o.onError)));
    return held.length;
  }

  private async deliver(m: CourierMessagesTable): Promise<void> {
    const scope = scoped(this.o.db, m.project_id);
    const config = await this.o.configOf(m.project_id);
    const settings = config === null ? null : readCourierSettings(config, this.o.open);
    if (settings === null || (typeof settings !== 'string' && settings.strategy === 'outbox')) {
      await courierStore.release(scope, m.id, new Date(this.now()).toISOString());
      return;
    }
    let error: string | null = null;
    try {
      if (typeof settings === 'string') throw new Error(settings);
      const msg = { recipient: m.recipient, subject: m.subject, body: m.body, html: m.html_body, template_type: m.template_type };
      if (settings.strategy === 'smtp') await sendSmtp(settings.smtp, msg, this.o.allow);
      else await sendHttp(settings.http, msg, this.o.allow);
    } catch (err) {
      error = describe(err);
    }
    const retries = typeof settings === 'string' ? 0 : settings.retries;
    const now = this.now();
    const retryAt = error !== null && m.send_count < retries ? new Date(now + Math.min(this.o.retryBackoffMs * 2 ** m.send_count, MAX_BACKOFF_MS)).toISOString() : null;
    await courierStore.finishAttempt(scope, { id: m.id, sendCount: m.send_count, leaseUntil: m.lease_until, error, retryAt, now: new Date(now).toISOString() });
  }
}

/** An attempt's error as shown in its dispatch: the cause, never a credential (none is in these messages). */
function describe(err: unknown): string {
  const e = err as { code?: unknown; responseCode?: unknown; message?: unknown };
  const text = typeof e?.message === 'string' ? e.message : String(err);
  const code = typeof e?.code === 'string' ? `${e.code}: ` : '';
  return (code + text).slice(0, 500);
}
