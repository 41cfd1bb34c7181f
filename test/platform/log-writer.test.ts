import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogWriter } from '../../src/platform/log-writer.js';

type Callback = (err: NodeJS.ErrnoException | null, written: number) => void;

/** A stand-in for `fs.write` that records every call and answers when the test says so. */
function fakeWrite() {
  const calls: { bytes: string; done: Callback }[] = [];
  const write = (_fd: number, buf: Buffer, offset: number, length: number, _pos: null, done: Callback) => {
    calls.push({ bytes: buf.subarray(offset, offset + length).toString(), done });
  };
  return { calls, write };
}

const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `{"n":${from + i}}\n`);

describe('log writer', () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('writes every line to the file, complete and in order, across many chunks', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-log-'));
    const fd = openSync(join(dir, 'out.log'), 'w');
    const writer = new LogWriter({ fd, chunkBytes: 1024 });
    const sent = [...lines(5000), `{"long":"${'x'.repeat(5000)}"}\n`, '{"unicode":"ünïcødé ✓"}\n', ...lines(10, 5000)];
    for (const line of sent) writer.write(line);
    await writer.close();
    closeSync(fd);
    expect(readFileSync(join(dir, 'out.log'), 'utf8')).toBe(sent.join(''));
  });

  it('holds lines until a chunk fills, or briefly after the first line', async () => {
    const fs = fakeWrite();
    const writer = new LogWriter({ chunkBytes: 64, maxDelayMs: 20, write: fs.write });
    writer.write('{"a":1}\n');
    expect(fs.calls).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 60));
    expect(fs.calls.map((c) => c.bytes)).toEqual(['{"a":1}\n']);
  });

  it('writes one chunk at a time and resumes after a partial write', async () => {
    const fs = fakeWrite();
    const writer = new LogWriter({ chunkBytes: 32, write: fs.write });
    for (const line of lines(12)) writer.write(line);
    expect(fs.calls).toHaveLength(1); // the rest waits for the first write
    fs.calls[0].done(null, 3);
    expect(fs.calls[1].bytes).toBe(fs.calls[0].bytes.slice(3));
    const closing = writer.close();
    for (let i = 1; i < fs.calls.length; i++) fs.calls[i].done(null, Buffer.byteLength(fs.calls[i].bytes));
    await closing;
    expect(fs.calls[0].bytes.slice(0, 3) + fs.calls.slice(1).map((c) => c.bytes).join('')).toBe(lines(12).join(''));
  });

  it('retries a full non-blocking pipe (EAGAIN) without losing a byte', async () => {
    const fs = fakeWrite();
    const writer = new LogWriter({ chunkBytes: 16, write: fs.write });
    writer.write('{"x":"abcdefgh"}\n');
    fs.calls[0].done(Object.assign(new Error('busy'), { code: 'EAGAIN' }), 0);
    await new Promise((r) => setTimeout(r, 30));
    expect(fs.calls).toHaveLength(2);
    expect(fs.calls[1].bytes).toBe('{"x":"abcdefgh"}\n');
  });

  it('drops what a stalled reader cannot take, and says how many lines once it catches up', () => {
    const fs = fakeWrite();
    const writer = new LogWriter({ chunkBytes: 32, maxQueuedBytes: 64, write: fs.write });
    const accepted = lines(40).map((l) => writer.write(l));
    expect(accepted.every(Boolean)).toBe(true); // lines are dropped a chunk at a time, when sealed
    // Drain: answer every write, including the ones each answer starts.
    for (let i = 0; i < fs.calls.length; i++) fs.calls[i].done(null, Buffer.byteLength(fs.calls[i].bytes));
    const out = fs.calls.map((c) => c.bytes).join('');
    const written = out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const report = written.find((l) => l.msg?.startsWith('log lines dropped'));
    expect(report).toMatchObject({ level: 40 });
    const kept = written.filter((l) => 'n' in l).length;
    expect(kept).toBeLessThan(40);
    // The lines still buffered (not yet sealed) are the only ones neither written nor counted.
    expect(kept + report.dropped).toBeLessThanOrEqual(40);
    expect(kept + report.dropped).toBeGreaterThan(30);
  });

  it('stops writing, without throwing, once the reader is gone', async () => {
    const fs = fakeWrite();
    const writer = new LogWriter({ chunkBytes: 16, write: fs.write });
    writer.write('{"x":"abcdefgh"}\n');
    writer.write('{"y":"abcdefgh"}\n');
    fs.calls[0].done(Object.assign(new Error('gone'), { code: 'EPIPE' }), 0);
    expect(writer.write('{"z":1}\n')).toBe(false);
    await writer.close(100);
    expect(fs.calls).toHaveLength(1);
  });
});
