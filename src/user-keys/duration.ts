import { parseGoDuration } from '../platform/duration.js';

// Ory's ApiKeysApi writes durations as google.protobuf.Duration JSON (`"3600s"`, `"1.5s"`) and, for
// convenience, accepts Go durations (`24h`, `1h30m`) and the extended units `d`, `w`, `mo` (30 days)
// and `y` (365 days), also compounded (`1y6mo`).

const DAY = 86_400_000;
const EXTENDED: Record<string, number> = { y: 365 * DAY, mo: 30 * DAY, w: 7 * DAY, d: DAY, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const EXTENDED_FORM = /^(?:\d+(?:y|mo|w|d|h|m|s|ms))+$/;
const EXTENDED_PART = /(\d+)(y|mo|w|d|h|ms|m|s)/g;
const PROTO_FORM = /^\d{1,12}(?:\.\d{1,9})?s$/;

export const MIN_TTL_MS = 1000;
export const MAX_TTL_MS = 315_360_000_000; // 10 years, as Ory's bound of 315360000s

/** Milliseconds of a duration in any of the accepted forms, or null when it is none of them. */
export function parseApiDuration(value: unknown): number | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) return null;
  if (PROTO_FORM.test(value)) return Math.round(Number(value.slice(0, -1)) * 1000);
  const go = parseGoDuration(value);
  if (go !== null) return go;
  if (!EXTENDED_FORM.test(value)) return null;
  let total = 0;
  for (const m of value.matchAll(EXTENDED_PART)) total += Number(m[1]) * EXTENDED[m[2]];
  return Number.isSafeInteger(total) ? total : null;
}

/** A duration within [min, max], or the reason it is not one (for a 400). */
export function parseBoundedDuration(field: string, value: unknown, min = MIN_TTL_MS, max = MAX_TTL_MS): number | string {
  const ms = parseApiDuration(value);
  if (ms === null) return `${field} must be a duration such as "3600s", "24h", "1d", "1w", "1mo" or "1y"`;
  if (ms < min || ms > max) return `${field} must be between ${min / 1000}s and ${max / 1000}s`;
  return ms;
}

/** A duration as protobuf JSON writes it (`"60s"`). */
export const formatProtoDuration = (ms: number): string => `${ms % 1000 === 0 ? ms / 1000 : (ms / 1000).toFixed(3)}s`;
