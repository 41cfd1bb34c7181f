import { write as fsWrite } from 'node:fs';

type WriteFn = (fd: number, buffer: Buffer, offset: number, length: number, position: null, callback: (err: NodeJS.ErrnoException | null, written: number) => void) => void;

export interface LogWriterOptions {
  fd?: number;
  /** Bytes per write: a chunk is written when full, or `maxDelayMs` after its first line. */
  chunkBytes?: number;
  maxDelayMs?: number;
  /** Bytes waiting for a slow or stalled reader beyond which lines are dropped (and counted). */
  maxQueuedBytes?: number;
  /** `fs.write`; tests pass a stand-in. */
  write?: WriteFn;
}

/**
 * The process's log destination, given to pino as its stream (the role sonic-boom plays for pino by
 * default). Lines are encoded into a buffer, and full buffers (or the partial one, 25 ms after its
 * first line) are written to the file descriptor one write at a time, in order. Unlike sonic-boom it
 * is bounded: a stalled reader (a full pipe) must not grow the heap without limit, so beyond
 * `maxQueuedBytes` lines are dropped, and the count is logged once writing catches up.
 */
export class LogWriter {
  private readonly fd: number;
  private readonly chunkBytes: number;
  private readonly maxDelayMs: number;
  private readonly maxQueuedBytes: number;
  private readonly writeFn: WriteFn;
  private fill: Buffer;
  private used = 0;
  /** Chunks sealed and not yet fully written, oldest first; the first is in flight when `writing`. */
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private writing = false;
  private timer: NodeJS.Timeout | null = null;
  private dropped = 0;
  private closed = false;
  private drained: (() => void)[] = [];

  constructor(o: LogWriterOptions = {}) {
    this.fd = o.fd ?? 1;
    this.chunkBytes = o.chunkBytes ?? 64 * 1024;
    this.maxDelayMs = o.maxDelayMs ?? 25;
    this.maxQueuedBytes = o.maxQueuedBytes ?? 16 * 1024 * 1024;
    this.writeFn = o.write ?? (fsWrite as unknown as WriteFn);
    this.fill = Buffer.allocUnsafe(this.chunkBytes);
  }

  /** Takes one or more whole lines (pino's stream contract); false when they were dropped. */
  write(lines: string): boolean {
    if (this.closed) return false;
    // A UTF-16 code unit takes at most 3 bytes of UTF-8: past that bound the chunk is sealed first.
    if (this.used + lines.length * 3 > this.chunkBytes) {
      this.seal();
      if (lines.length * 3 > this.chunkBytes) return this.enqueue(Buffer.from(lines, 'utf8'));
    }
    this.used += this.fill.write(lines, this.used, 'utf8');
    this.timer ??= setTimeout(this.onTimer, this.maxDelayMs).unref();
    return true;
  }

  /** Writes everything buffered and resolves once written (or after `timeoutMs` if the reader is stuck). */
  async close(timeoutMs = 2000): Promise<void> {
    this.seal();
    if (!this.writing && this.queue.length === 0) return;
    await new Promise<void>((done) => {
      const give = setTimeout(done, timeoutMs).unref();
      this.drained.push(() => (clearTimeout(give), done()));
    });
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    this.seal();
  };

  /** Moves the filled part of the buffer to the write queue. */
  private seal(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.used === 0) return;
    const chunk = this.fill.subarray(0, this.used);
    this.fill = Buffer.allocUnsafe(this.chunkBytes);
    this.used = 0;
    this.enqueue(chunk);
  }

  private enqueue(chunk: Buffer): boolean {
    if (this.queued + chunk.length > this.maxQueuedBytes) {
      this.dropped += countLines(chunk);
      return false;
    }
    this.queue.push(chunk);
    this.queued += chunk.length;
    this.pump();
    return true;
  }

  private pump(): void {
    if (this.writing) return;
    const chunk = this.queue[0];
    if (!chunk) {
      for (const done of this.drained.splice(0)) done();
      return;
    }
    this.writing = true;
    this.writeFn(this.fd, chunk, 0, chunk.length, null, (err, written) => {
      this.writing = false;
      if (err) {
        // A non-blocking pipe that is full: try again shortly (without keeping a finished process
        // alive for a reader that never comes back). Anything else (the reader is gone): nothing
        // can be written any more.
        if (err.code === 'EAGAIN') return void setTimeout(() => this.pump(), 10).unref();
        this.dropped += this.queue.reduce((n, c) => n + countLines(c), 0);
        this.queue.length = 0;
        this.queued = 0;
        this.closed = true;
        return this.pump();
      }
      this.queued -= written;
      if (written < chunk.length) this.queue[0] = chunk.subarray(written);
      else this.queue.shift();
      if (this.dropped > 0 && this.queue.length === 0 && !this.closed) this.reportDropped();
      this.pump();
    });
  }

  private reportDropped(): void {
    const line = `{"level":40,"time":${Date.now()},"pid":${process.pid},"dropped":${this.dropped},"msg":"log lines dropped: the log reader did not keep up"}\n`;
    this.dropped = 0;
    this.queue.push(Buffer.from(line));
    this.queued += line.length;
  }
}

function countLines(chunk: Buffer): number {
  let n = 0;
  for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
  return n;
}
