import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { hostname } from 'node:os';
import type { DurationSeries, Metrics } from './metrics.js';

// Printable ASCII but `"` and `\`: such a string is its own JSON body, no escaping needed.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/** A JSON string literal, skipping the general serializer for the plain text that paths and hosts are. */
const json = (s: string | undefined): string => (s === undefined ? 'null' : PLAIN.test(s) ? `"${s}"` : JSON.stringify(s));

/** The JSON of the last string seen: requests in a row mostly repeat a host, a client, a path. */
class JsonMemo {
  private last: string | undefined = undefined;
  private text = 'null';

  of(s: string | undefined): string {
    if (s !== this.last) {
      this.last = s;
      this.text = json(s);
    }
    return this.text;
  }
}

/** Where access lines go: the process's log writer, or nowhere when info is not enabled. */
export interface LineSink {
  write(line: string): unknown;
}

/** Milliseconds to three decimals, from integers (a fraction's shortest decimal form costs more). */
function millis(ms: number): string {
  const us = Math.round(ms * 1000);
  if (!(us >= 0 && us < 2 ** 31)) return Number.isFinite(ms) ? String(Math.round(ms * 1000) / 1000) : '0';
  const frac = us % 1000;
  return `${(us - frac) / 1000}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}`;
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
  private readonly hosts = new JsonMemo();
  private readonly paths = new JsonMemo();
  private readonly ips = new JsonMemo();
  // Dozens of requests share a millisecond under load: its decimal form is kept.
  private lastTime = 0;
  private lastTimeText = '0';

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
    if (!this.sink) return;
    const q = e.url.indexOf('?');
    const path = q < 0 ? e.url : e.url.slice(0, q);
    const now = Date.now();
    if (now !== this.lastTime) {
      this.lastTime = now;
      this.lastTimeText = String(now);
    }
    // Request ids are our own UUIDs and Node's parser admits only token characters in a method:
    // neither needs escaping.
    this.sink.write(
      `${this.prefix}${this.lastTimeText},"request_id":"${e.requestId}","method":"${e.method}","path":${this.paths.of(path)},"status":${e.status},"ms":${millis(e.ms)},"host":${this.hosts.of(e.host)},"ip":${this.ips.of(e.ip)},"msg":"request completed"}\n`,
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
