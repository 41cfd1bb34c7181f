import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { hostname } from 'node:os';
import type { DurationSeries, Metrics } from './metrics.js';

// Printable ASCII but `"` and `\`: such a string is its own JSON body, no escaping needed.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/** A JSON string literal, skipping the general serializer for the plain text that paths and hosts are. */
const json = (s: string | undefined): string => (s === undefined ? 'null' : PLAIN.test(s) ? `"${s}"` : JSON.stringify(s));

/**
 * Where access lines go: the process's log writer. A line is encoded in place (`claim`, then
 * `commit`), or, when it may not fit a chunk, passed whole to `write`.
 */
export interface LineSink {
  write(line: string): unknown;
  claim(maxBytes: number): Uint8Array | null;
  readonly offset: number;
  commit(end: number): void;
}

const ID_LABEL = Buffer.from(',"request_id":"');

/** Milliseconds to three decimals, from integers (a fraction's shortest decimal form costs more). */
function millis(ms: number): string {
  const us = Math.round(ms * 1000);
  if (!(us >= 0 && us < 2 ** 31)) return Number.isFinite(ms) ? String(Math.round(ms * 1000) / 1000) : '0';
  const frac = us % 1000;
  return `${(us - frac) / 1000}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}`;
}

/**
 * Copies `s` into `buf` at `at` as the body of a JSON string, and returns the end; -1 when a
 * character of it would need escaping or more than one byte (the caller then takes the slow path).
 */
function putPlain(buf: Uint8Array, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return -1;
    buf[at++] = c;
  }
  return at;
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
 * shape (level, time, pid, hostname, msg) but is built by hand, and encoded straight into the log
 * writer's buffer: pino's generic serializer, or even building the line as a string, costs a
 * noticeable part of a cheap request.
 */
export class AccessLog extends LogController {
  private readonly head = `{"level":30,"pid":${process.pid},"hostname":${JSON.stringify(hostname())},"time":`;
  private readonly headBytes = Buffer.from(this.head, 'utf8');
  // Dozens of requests share a millisecond under load: its decimal form is kept.
  private lastTime = 0;
  private lastTimeText = '0';
  // The parts of a line after the request id and after the duration, in UTF-8, kept while the values
  // they hold repeat (requests in a row mostly share a route, a host, a client).
  private midKey: [string, string, number] | null = null;
  private mid = Buffer.alloc(0);
  private tailKey: [string | undefined, string | undefined] | null = null;
  private tail = Buffer.alloc(0);

  constructor(
    private readonly sink: LineSink | null,
    private readonly metrics: Metrics,
  ) {
    super({ requestIdLogLabel: 'request_id' });
  }

  /** The metrics series of one method, route and status: a caller answering it often keeps it. */
  series(method: string, route: string, status: number): DurationSeries {
    return this.metrics.series(method, route, status);
  }

  /**
   * Records a request answered outside Fastify's lifecycle (the edge gate), which may pass the
   * metrics series of its method, route and status, found once.
   */
  record(e: AccessEntry, series: DurationSeries = this.metrics.series(e.method, e.route, e.status)): void {
    series.observe(e.ms);
    const sink = this.sink;
    if (!sink) return;
    const q = e.url.indexOf('?');
    const path = q < 0 ? e.url : e.url.slice(0, q);
    const now = Date.now();
    if (now !== this.lastTime) {
      this.lastTime = now;
      this.lastTimeText = String(now);
    }
    // Encoded in place from its parts: no line string is built, measured or encoded as a whole.
    const mk = this.midKey;
    if (!mk || mk[0] !== e.method || mk[1] !== path || mk[2] !== e.status) {
      this.midKey = [e.method, path, e.status];
      this.mid = Buffer.from(`","method":${json(e.method)},"path":${json(path)},"status":${e.status},"ms":`, 'utf8');
    }
    const tk = this.tailKey;
    if (!tk || tk[0] !== e.host || tk[1] !== e.ip) {
      this.tailKey = [e.host, e.ip];
      this.tail = Buffer.from(`,"host":${json(e.host)},"ip":${json(e.ip)},"msg":"request completed"}\n`, 'utf8');
    }
    const head = this.headBytes;
    const { mid, tail } = this;
    const buf = sink.claim(head.length + 16 + ID_LABEL.length + e.requestId.length + mid.length + 24 + tail.length);
    if (buf) {
      let at = sink.offset;
      buf.set(head, at);
      at = putPlain(buf, at + head.length, this.lastTimeText);
      buf.set(ID_LABEL, at);
      // Request ids are our own UUIDs; anything else takes the slow path below.
      at = putPlain(buf, at + ID_LABEL.length, e.requestId);
      if (at >= 0) {
        buf.set(mid, at);
        at = putPlain(buf, at + mid.length, millis(e.ms));
        buf.set(tail, at);
        return sink.commit(at + tail.length);
      }
    }
    sink.write(this.line(e, path));
  }

  /** The line as text, for what cannot be encoded in place (an oversized or unusual entry). */
  private line(e: AccessEntry, path: string): string {
    return `${this.head}${this.lastTimeText},"request_id":${json(e.requestId)},"method":${json(e.method)},"path":${json(path)},"status":${e.status},"ms":${millis(e.ms)},"host":${json(e.host)},"ip":${json(e.ip)},"msg":"request completed"}\n`;
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
