import { randomBytes } from 'node:crypto';

// CSPRNG output drawn in 4 KiB blocks: one syscall per ~400 ids instead of one per id. Each byte is
// handed out once.
let pool = Buffer.alloc(0);
let poolOffset = 0;
function randomInto(target: Buffer, at: number, length: number): void {
  if (poolOffset + length > pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  pool.copy(target, at, poolOffset, poolOffset + length);
  pool.fill(0, poolOffset, poolOffset + length);
  poolOffset += length;
}

/**
 * A UUIDv7 (RFC 9562): millisecond timestamp first, then randomness. Ids sort by creation time, so
 * keyset pagination on `id` walks rows in creation order on both dialects.
 */
export function newId(): string {
  const bytes = Buffer.allocUnsafe(16);
  randomInto(bytes, 6, 10);
  const ms = Date.now();
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | (bytes[6] & 0x0f);
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a syntactically valid UUID; ids from requests that fail this are treated as not found. */
export const isUuid = (s: string): boolean => UUID.test(s);

/** The one timestamp representation: ISO-8601 UTC with milliseconds. */
export const nowIso = (): string => new Date().toISOString();
