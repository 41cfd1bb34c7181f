const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;

/**
 * Parses a Go duration string as Ory configs use them (`72h`, `15m`, `1h30m`, `24h0m0s`) into
 * milliseconds. Returns `fallbackMs` for anything missing or malformed: a bad config value must
 * never crash a request.
 */
export function parseDurationMs(value: unknown, fallbackMs: number): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value * 1000;
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) return fallbackMs;
  if (value === '0') return 0;
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let m = PART.exec(value); m; m = PART.exec(value)) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    consumed = PART.lastIndex;
  }
  return consumed === value.length && Number.isFinite(total) ? Math.round(total) : fallbackMs;
}
