import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { hostname } from 'node:os';
import type { Metrics } from './metrics.js';

// Printable ASCII but `"` and `\`: such a string is its own JSON body, no escaping needed.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/** A JSON string literal, skipping the general serializer for the plain text that paths and hosts are. */
const json = (s: string | undefined): string => (s === undefined ? 'null' : PLAIN.test(s) ? `"${s}"` : JSON.stringify(s));

/** Where access lines go: pino's destination stream, or nowhere when info is not enabled. */
export interface LineSink {
  write(line: string): unknown;
}

/**
 * Gathers access lines and hands them to the stream in batches: at 32 Ki characters (the lines are
 * ASCII but for rare escapes), or 25 ms after the first line of a batch. A write per line costs a system call (and a thread-pool round trip) per request,
 * a third of a cheap request's CPU time; batched, it is noise. `flush` on shutdown.
 */
export class BatchedSink implements LineSink {
  private pending = '';
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly out: LineSink,
    private readonly maxBytes = 32 * 1024,
    private readonly maxDelayMs = 25,
  ) {}

  write(line: string): void {
    this.pending += line;
    if (this.pending.length >= this.maxBytes) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.maxDelayMs).unref();
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.pending) return;
    const batch = this.pending;
    this.pending = '';
    this.out.write(batch);
  }
}

/** The fields of one access-log entry. No header but Host, never a query string or a body. */
export interface AccessEntry {
  requestId: string;
  method: string;
  /** The URL as received; the query string is cut off here (flows and tokens travel there). */
  url: string;
  /** The route template, for metrics (bounded label cardinality); `unmatched` when none matched. */
  route: string;
  status: number;
  ms: number;
  host: string | undefined;
  ip: string | undefined;
}

/**
 * The end of every request: one access-log line and one metrics observation. The line has pino's
 * shape (level, time, pid, hostname, msg) but is built by hand: pino's generic serializer costs more
 * than a cheap request does.
 */
export class AccessLog extends LogController {
  private readonly prefix = `{"level":30,"pid":${process.pid},"hostname":${JSON.stringify(hostname())},"time":`;
  // Nearly every request of a process names one of a few hosts: the last one's JSON is kept.
  private lastHost: string | undefined;
  private lastHostJson = 'null';

  constructor(
    private readonly sink: LineSink | null,
    private readonly metrics: Metrics,
  ) {
    super({ requestIdLogLabel: 'request_id' });
  }

  /** Records a request answered outside Fastify's lifecycle (the edge gate). */
  record(e: AccessEntry): void {
    this.metrics.observe(e.method, e.route, e.status, e.ms);
    if (!this.sink) return;
    const q = e.url.indexOf('?');
    const path = q < 0 ? e.url : e.url.slice(0, q);
    if (e.host !== this.lastHost) {
      this.lastHost = e.host;
      this.lastHostJson = json(e.host);
    }
    // Request ids are our own UUIDs and Node's parser admits only token characters in a method:
    // neither needs escaping.
    this.sink.write(
      `${this.prefix}${Date.now()},"request_id":"${e.requestId}","method":"${e.method}","path":${json(path)},"status":${e.status},"ms":${Math.round(e.ms * 1000) / 1000},"host":${this.lastHostJson},"ip":${json(e.ip)},"msg":"request completed"}\n`,
    );
  }

  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    const entry: AccessEntry = {
      requestId: request.id,
      method: request.method,
      url: request.url,
      // `routeOptions` builds an object on every read: only routes outside the table pay for it.
      route: request.routeTemplate ?? request.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
      ms: reply.elapsedTime,
      host: request.headers.host,
      ip: request.ip,
    };
    if (!error) return this.record(entry);
    this.metrics.observe(entry.method, entry.route, entry.status, entry.ms);
    const q = entry.url.indexOf('?');
    reply.log.error({ method: entry.method, path: q < 0 ? entry.url : entry.url.slice(0, q), status: entry.status, ms: entry.ms, host: entry.host, ip: entry.ip, err: error }, 'request errored');
  }
}
