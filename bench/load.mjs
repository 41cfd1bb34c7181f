// The load generator, in a process of its own: a fresh, small heap, so the orchestrator's seeded
// data and timers never pause the load. Reads autocannon options as JSON from argv[2], runs a
// one-second warm-up (JIT, caches, connection pools) and prints the measured result as JSON.
import autocannon from 'autocannon';

const opts = JSON.parse(process.argv[2]);
await autocannon({ ...opts, duration: 1 });
const result = await autocannon(opts);
process.stdout.write(JSON.stringify({
  rps: result.requests.average,
  p50: result.latency.p50,
  p99: result.latency.p99,
  errors: result.errors + result.timeouts,
  statusCodeStats: result.statusCodeStats ?? {},
}));
