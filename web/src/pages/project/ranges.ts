// The windows the overview and "Keys in use" offer, as the metrics API takes them.

export const RANGES = [
  { id: '24h', label: 'Last 24 hours', days: 1, resolution: '1h' as const, words: 'in the last 24 hours' },
  { id: '7d', label: 'Last 7 days', days: 7, resolution: '1d' as const, words: 'in the last 7 days' },
  { id: '30d', label: 'Last 30 days', days: 30, resolution: '1d' as const, words: 'in the last 30 days' },
];
export type Range = (typeof RANGES)[number];

/** The window of a range, ending now (to the minute, so repeated renders ask the same question). */
export function windowOf(r: Range): { from: string; to: string } {
  const to = new Date(Math.ceil(Date.now() / 60_000) * 60_000);
  return { from: new Date(to.getTime() - r.days * 86_400_000).toISOString(), to: to.toISOString() };
}
