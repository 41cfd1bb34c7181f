const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;

/**
 * Parses a Go duration as Ory configs and APIs write them (`72h`, `15m`, `1h30m`, `24h0m0s`, `0`)
 * into milliseconds, or null when it is not one.
 */
export function parseGoDuration(value: unknown): number | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) return null;
  if (value === '0') return 0;
  if (!DURATION.test(value)) return null;
  let total = 0;
  for (const m of value.matchAll(PART)) total += Number(m[1]) * UNIT_MS[m[2]];
  return Number.isFinite(total) ? Math.round(total) : null;
}
