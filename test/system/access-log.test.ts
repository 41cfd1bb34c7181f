import { describe, expect, it } from 'vitest';
import { AccessLog, type AccessEntry, type LineSink } from '../../src/platform/http/access-log.js';
import { Metrics } from '../../src/platform/http/metrics.js';

const entry = (over: Partial<AccessEntry> = {}): AccessEntry => ({
  requestId: '488d85a6-dfc8-4f86-9a8d-c89c0f10ff57',
  method: 'GET',
  url: '/projects/abc',
  route: '/projects/:project_id',
  status: 200,
  ms: 0.4567,
  host: '127.0.0.1:4000',
  ip: '127.0.0.1',
  ...over,
});

/**
 * A sink keeping each line as text. `inPlace: false` refuses every claim, as the log writer does for a
 * line that may not fit its chunk, so the line comes as text instead.
 */
function capture({ inPlace = true } = {}): LineSink & { lines: string[] } {
  const buf = Buffer.alloc(1 << 16);
  const lines: string[] = [];
  return {
    lines,
    offset: 7, // not at the buffer's start: a line is written where the sink says
    claim: () => (inPlace ? buf : null),
    commit: (end) => void lines.push(buf.toString('utf8', 7, end)),
    write: (line) => void lines.push(line),
  };
}

describe('access log', () => {
  it('writes one JSON line per request, in pino shape, without the query string', () => {
    const sink = capture();
    const out = sink.lines;
    const log = new AccessLog(sink, new Metrics());
    log.record(entry({ url: '/self-service/login?flow=secret-flow-id&token=abc' }));
    expect(out).toHaveLength(1);
    expect(out[0].endsWith('\n')).toBe(true);
    const line = JSON.parse(out[0]);
    expect(line).toMatchObject({ level: 30, pid: process.pid, msg: 'request completed', request_id: entry().requestId, method: 'GET', path: '/self-service/login', status: 200, ms: 0.457, host: '127.0.0.1:4000', ip: '127.0.0.1' });
    expect(typeof line.time).toBe('number');
    expect(out[0]).not.toContain('secret-flow-id');
  });

  it('escapes whatever a client puts in the path or Host header', () => {
    const sink = capture();
    const out = sink.lines;
    const log = new AccessLog(sink, new Metrics());
    const hostile = ['/a"b', '/a\\b', '/tab\there', '/ünïcødé', '/line\nbreak', '/\u2028'];
    for (const url of hostile) log.record(entry({ url, host: url }));
    log.record(entry({ host: undefined, ip: undefined }));
    const lines = out.map((l) => JSON.parse(l));
    expect(lines.map((l) => l.path)).toEqual([...hostile, '/projects/abc']);
    expect(lines.map((l) => l.host)).toEqual([...hostile, null]);
    expect(out.every((l) => l.indexOf('\n') === l.length - 1)).toBe(true);
  });

  it('writes response times in milliseconds to three decimals', () => {
    const sink = capture();
    const out = sink.lines;
    const log = new AccessLog(sink, new Metrics());
    for (const ms of [0, 0.0004, 0.004, 0.0456, 12, 1234.5678, 3_600_000.25]) log.record(entry({ ms }));
    expect(out.map((l) => JSON.parse(l).ms)).toEqual([0, 0, 0.004, 0.046, 12, 1234.568, 3_600_000.25]);
  });

  it('encodes a line in place exactly as it writes it as text', () => {
    const inPlace = capture();
    const asText = capture({ inPlace: false });
    const logs = [new AccessLog(inPlace, new Metrics()), new AccessLog(asText, new Metrics())];
    const entries = [
      entry(),
      entry({ url: '/ünïcødé?x=1', host: 'h"ost', ip: '::1' }),
      entry({ method: 'DELETE', status: 204, ms: 1234.5678 }),
      entry({ requestId: 'not "a" uuid', ms: Number.NaN }),
      entry({ ms: -1 }),
      entry({ ms: 3e9 }),
      entry({ host: undefined, ip: undefined }),
      entry(),
    ];
    for (const e of entries) for (const log of logs) log.record(e);
    const untimed = (lines: string[]) => lines.map((l) => l.replace(/"time":\d+/, ''));
    expect(untimed(inPlace.lines)).toEqual(untimed(asText.lines));
    expect(inPlace.lines.map((l) => JSON.parse(l).request_id)).toEqual(entries.map((e) => e.requestId));
  });

  it('records a metrics observation even when lines are off', async () => {
    const metrics = new Metrics();
    new AccessLog(null, metrics).record(entry({ status: 401 }));
    const text = await metrics.registry.metrics();
    expect(text).toContain('gatehouse_http_request_duration_seconds_count{method="GET",route="/projects/:project_id",status="401"} 1');
  });
});
