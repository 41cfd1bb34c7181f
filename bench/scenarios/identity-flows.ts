import type { BenchEnv, BenchRequest, Scenario } from '../scenario.js';

// Self-service flow scenarios. A completed native registration needs a fresh flow and a unique email
// per request, which autocannon's static BenchRequest cannot express, so the registration throughput
// (with the configured argon2id hash) is measured by a small timed loop in `prepare` over real HTTP
// and printed; autocannon then drives the static part of the flow: creating registration flows.

const LOOP_REGISTRATIONS = Number(process.env.BENCH_REGISTRATIONS ?? 200);
const LOOP_CONCURRENCY = Number(process.env.BENCH_REGISTRATION_CONCURRENCY ?? 8);

async function registerOnce(base: string, n: number): Promise<boolean> {
  const flow = await fetch(`${base}/self-service/registration/api`, { headers: { accept: 'application/json' } });
  if (flow.status !== 200) return false;
  const { id } = (await flow.json()) as { id: string };
  const res = await fetch(`${base}/self-service/registration?flow=${id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ method: 'password', password: 'bench registration passphrase 1', traits: { email: `bench-reg-${process.pid}-${Date.now()}-${n}@example.com` } }),
  });
  await res.arrayBuffer();
  return res.status === 200;
}

/** Registrations per second: `LOOP_REGISTRATIONS` native registrations, `LOOP_CONCURRENCY` at a time. */
async function registrationThroughput(env: BenchEnv): Promise<{ perSecond: number; ok: number; failed: number }> {
  const base = `${env.url}/p/${env.tenant.projectSlug}`;
  let next = 0;
  let ok = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: LOOP_CONCURRENCY }, async () => {
      while (next < LOOP_REGISTRATIONS) {
        const n = next++;
        if (await registerOnce(base, n)) ok++;
        else failed++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: ok / seconds, ok, failed };
}

export const scenarios: Scenario[] = [
  {
    name: 'native registration: create flow (+ reg/s loop)',
    group: 'identity',
    async prepare(env: BenchEnv): Promise<BenchRequest> {
      const r = await registrationThroughput(env);
      console.log(`  native registration throughput (argon2id, ${LOOP_CONCURRENCY} concurrent, ${r.ok} ok / ${r.failed} failed): ${r.perSecond.toFixed(1)} registrations/s`);
      return { method: 'GET', path: `/p/${env.tenant.projectSlug}/self-service/registration/api`, headers: { accept: 'application/json' }, expectStatus: 200 };
    },
  },
];
