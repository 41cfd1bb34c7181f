import { generateSync } from 'otplib';
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

const LOOP_TOTP_LOGINS = Number(process.env.BENCH_TOTP_LOGINS ?? 100);

const json = async (res: Response): Promise<Record<string, any>> => {
  if (!res.ok) throw new Error(`${res.url}: ${res.status} ${(await res.text()).slice(0, 200)}`);
  return (await res.json()) as Record<string, any>;
};

/**
 * Second-factor (TOTP) logins per second: `LOOP_TOTP_LOGINS` users, each registered and with an
 * authenticator app linked through the settings flow beforehand (not timed), then, timed, each
 * holding an aal1 session creates an aal2 login flow and submits a fresh TOTP code
 * (`LOOP_CONCURRENCY` at a time). A code is usable once per user, so every user logs in once.
 */
async function totpLoginThroughput(env: BenchEnv): Promise<{ perSecond: number; ok: number; failed: number; spareToken: string }> {
  const base = `${env.url}/p/${env.tenant.projectSlug}`;
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  await json(await fetch(`${env.url}/projects/${env.tenant.projectId}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${env.tenant.workspaceKey}`, 'content-type': 'application/json' },
    body: JSON.stringify([{ op: 'add', path: '/services/identity/config/selfservice/methods/totp', value: { enabled: true } }]),
  }));
  // Linking used the current time step's code and a code is accepted once, so the login uses the
  // next step's code, which the server's one-step tolerance accepts.
  const code = (secret: string, aheadSeconds = 0) => generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + aheadSeconds });
  const users: { token: string; secret: string }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: LOOP_CONCURRENCY }, async () => {
      while (next <= LOOP_TOTP_LOGINS) {
        const n = next++;
        const reg = await json(await fetch(`${base}/self-service/registration/api`, { headers }));
        const done = await json(await fetch(`${base}/self-service/registration?flow=${reg.id}`, {
          method: 'POST', headers,
          body: JSON.stringify({ method: 'password', password: 'bench totp passphrase 1', traits: { email: `bench-totp-${process.pid}-${n}@example.com` } }),
        }));
        const token = done.session_token as string;
        const flow = await json(await fetch(`${base}/self-service/settings/api`, { headers: { ...headers, 'x-session-token': token } }));
        const secret = flow.ui.nodes.find((x: any) => x.attributes?.id === 'totp_secret_key').attributes.text.context.secret as string;
        await json(await fetch(`${base}/self-service/settings?flow=${flow.id}`, { method: 'POST', headers: { ...headers, 'x-session-token': token }, body: JSON.stringify({ method: 'totp', totp_code: code(secret) }) }));
        users.push({ token, secret });
      }
    }),
  );
  // One more user than the loop logs in, kept at aal1 for the autocannon row.
  const spareToken = users.pop()!.token;
  let ok = 0;
  let failed = 0;
  next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: LOOP_CONCURRENCY }, async () => {
      while (next < users.length) {
        const u = users[next++];
        const flow = await fetch(`${base}/self-service/login/api?aal=aal2`, { headers: { ...headers, 'x-session-token': u.token } });
        if (flow.status !== 200) { failed++; await flow.arrayBuffer(); continue; }
        const { id } = (await flow.json()) as { id: string };
        const res = await fetch(`${base}/self-service/login?flow=${id}`, { method: 'POST', headers: { ...headers, 'x-session-token': u.token }, body: JSON.stringify({ method: 'totp', totp_code: code(u.secret, 30) }) });
        await res.arrayBuffer();
        if (res.status === 200) ok++;
        else failed++;
      }
    }),
  );
  return { perSecond: ok / ((performance.now() - started) / 1000), ok, failed, spareToken };
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
  {
    // Issue #17: the timed loop prints TOTP second-factor logins per second; autocannon then drives
    // the static part, creating aal2 login flows for an aal1 session of a user with TOTP.
    name: 'aal2 login: create flow (+ TOTP logins/s loop)',
    group: 'identity',
    async prepare(env: BenchEnv): Promise<BenchRequest> {
      const r = await totpLoginThroughput(env);
      console.log(`  TOTP second-factor login throughput (${LOOP_CONCURRENCY} concurrent, ${r.ok} ok / ${r.failed} failed): ${r.perSecond.toFixed(1)} logins/s`);
      return { method: 'GET', path: `/p/${env.tenant.projectSlug}/self-service/login/api?aal=aal2`, headers: { accept: 'application/json', 'x-session-token': r.spareToken }, expectStatus: 200 };
    },
  },
];
