// The load generator, in a process of its own: a fresh, small heap, so the orchestrator's seeded
// data and timers never pause the load. Reads {targets, slices, sliceSeconds, warmSeconds} as JSON
// from argv[2]: `targets` are autocannon options. After a one-second warm-up of each target (JIT,
// caches, connection pools) it drives the targets in turn, `slices` times `sliceSeconds` each (each
// after `warmSeconds` unmeasured), in the order A B B A A B ... (so neither is always first after the
// other), and prints one result per target as
// JSON: requests per second over all its slices, p50/p99 (the mean over slices, weighted by
// requests), errors and status counts. Slices this short make a pair see the same machine: load from
// neighbours drifts over seconds, and a paired ratio from interleaved slices cancels most of it.
import autocannon from 'autocannon';

const { targets, slices, sliceSeconds, warmSeconds } = JSON.parse(process.argv[2]);
for (const t of targets) await autocannon({ ...t, duration: 1 });

const totals = targets.map(() => ({ requests: 0, seconds: 0, p50: 0, p99: 0, errors: 0, statusCodeStats: {} }));
for (let s = 0; s < slices; s++) {
  const order = targets.map((_, i) => i);
  if (s % 2 === 1) order.reverse();
  for (const i of order) {
    // Unmeasured: a server idle for a slice shrinks its young generation (V8's memory reducer) and
    // would spend the start of the next one growing it again, which steady load never sees.
    if (warmSeconds > 0) await autocannon({ ...targets[i], duration: warmSeconds });
    const r = await autocannon({ ...targets[i], duration: sliceSeconds });
    const t = totals[i];
    t.requests += r.requests.total;
    t.seconds += r.duration;
    t.p50 += r.latency.p50 * r.requests.total;
    t.p99 += r.latency.p99 * r.requests.total;
    t.errors += r.errors + r.timeouts;
    for (const [code, { count }] of Object.entries(r.statusCodeStats ?? {})) t.statusCodeStats[code] = { count: (t.statusCodeStats[code]?.count ?? 0) + count };
  }
}
process.stdout.write(
  JSON.stringify(
    totals.map((t) => ({
      rps: t.requests / Math.max(t.seconds, 1e-9),
      p50: t.p50 / Math.max(t.requests, 1),
      p99: t.p99 / Math.max(t.requests, 1),
      errors: t.errors,
      statusCodeStats: t.statusCodeStats,
    })),
  ),
);
