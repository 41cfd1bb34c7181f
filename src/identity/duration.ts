import { parseGoDuration } from '../platform/duration.js';

/**
 * A duration from project config in milliseconds: a Go duration string, or a number of seconds.
 * Returns `fallbackMs` for anything missing or malformed: a bad config value must never crash a
 * request.
 */
export function parseDurationMs(value: unknown, fallbackMs: number): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value * 1000;
  return parseGoDuration(value) ?? fallbackMs;
}
