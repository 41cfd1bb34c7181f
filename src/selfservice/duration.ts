const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;

/** Parses a Go duration (`1h`, `15m`, `1h30m`) to milliseconds; `fallbackMs` for anything malformed. */
export function durationMs(value: unknown, fallbackMs: number): number {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) return fallbackMs;
  let total = 0;
  let at = 0;
  PART.lastIndex = 0;
  while (at < value.length) {
    PART.lastIndex = at;
    const m = PART.exec(value);
    if (!m) return fallbackMs;
    total += Number(m[1]) * UNIT_MS[m[2]];
    at = PART.lastIndex;
  }
  return Number.isFinite(total) ? Math.round(total) : fallbackMs;
}
