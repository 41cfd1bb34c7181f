import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseGoDuration } from '../duration.js';
import { parseCidr } from '../net/cidr.js';

/** Runtime configuration, read once from the environment. */
export interface Config {
  host: string;
  port: number;
  /** `sqlite:/path/file.sqlite` or `postgres://...`. */
  databaseUrl: string;
  baseDomain: string;
  logLevel: string;
  /** Server secret for HMACs of API keys and other tokens. Never logged. */
  secret: string;
  dataDir: string;
  /** How long a verified key may be served from the in-process cache (the cross-node backstop). */
  keyCacheTtlMs: number;
  /** How often buffered writes (keys' `last_used_at`, usage counters) are flushed. */
  lastUsedFlushMs: number;
  /** Largest accepted request body, in bytes. */
  bodyLimit: number;
  /**
   * How long a request's headers and body may take to arrive (`REQUEST_TIMEOUT_MS`, default 30 s):
   * a slow or unfinished request is answered 408 and its connection closed, so it holds no socket.
   */
  requestTimeoutMs?: number;
  /** How long audit events are kept (`AUDIT_RETENTION`, a Go duration; default 90 days). */
  auditRetentionMs: number;
  /**
   * Which proxies' `X-Forwarded-For` is believed for the client address (key allowlists, rate
   * limits, audit records): false (none, the default), true (any), a hop count, or addresses/CIDRs.
   */
  trustProxy: boolean | number | string[];
  /**
   * Address ranges that outbound connections made for a project (courier SMTP and HTTP delivery)
   * may reach besides public addresses (`OUTBOUND_ALLOW_NETWORKS`, CIDRs; default none): e.g. a
   * mail relay on the same host, `127.0.0.1/32`.
   */
  outboundAllowNetworks?: string[];
  /** Whether this node runs the courier's delivery worker (`COURIER_WORKER`, default true). */
  courierWorker?: boolean;
  /** How often the courier worker looks for due messages (`COURIER_POLL_MS`, default 1000). */
  courierPollMs?: number;
  /** The courier's wait before the first retry of a failed message, doubling after (`COURIER_RETRY_BACKOFF_MS`, default 5000). */
  courierRetryBackoffMs?: number;
}

/** `OUTBOUND_ALLOW_NETWORKS`: a comma list of addresses and CIDRs. */
function parseNetworks(name: string, text: string | undefined): string[] {
  const list = (text ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of list) {
    const parsed = parseCidr(item);
    if (typeof parsed === 'string') throw new Error(`${name} must be a comma list of addresses and CIDRs: ${parsed}`);
  }
  return list;
}

function positiveMs(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text.trim() === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive number of milliseconds, got "${text}"`);
  return n;
}

/** `TRUST_PROXY`: unset or `false`, `true`, a hop count such as `1`, or a comma list of addresses and CIDRs. */
function parseTrustProxy(text: string | undefined): Config['trustProxy'] {
  const value = text?.trim() ?? '';
  if (value === '' || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d{1,2}$/.test(value)) return Number(value);
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of list) {
    const parsed = parseCidr(item);
    if (typeof parsed === 'string') throw new Error(`TRUST_PROXY must be true, false, a hop count or a comma list of addresses and CIDRs: ${parsed}`);
  }
  return list;
}

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

const MIN_SECRET_LENGTH = 16;

/** Reads the configuration; creates the data folder and the generated secret on first use. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = resolve(env.DATA_DIR ?? 'data');
  const databaseUrl = env.DATABASE_URL?.trim() || `sqlite:${join(dataDir, 'gatehouse.sqlite')}`;
  const port = Number(env.PORT ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got "${env.PORT}"`);
  const logLevel = (env.LOG_LEVEL ?? 'info').toLowerCase();
  if (!LOG_LEVELS.has(logLevel)) throw new Error(`LOG_LEVEL must be one of ${[...LOG_LEVELS].join(', ')}`);
  const givenSecret = env.SECRETS_DEFAULT?.trim();
  const auditRetentionMs = parseGoDuration(env.AUDIT_RETENTION?.trim() || '2160h');
  if (auditRetentionMs === null || auditRetentionMs <= 0) throw new Error(`AUDIT_RETENTION must be a positive Go duration such as 2160h, got "${env.AUDIT_RETENTION}"`);
  // Ory's own floor for `secrets.default`: it keys every key and token HMAC.
  if (givenSecret && givenSecret.length < MIN_SECRET_LENGTH) throw new Error(`SECRETS_DEFAULT must be at least ${MIN_SECRET_LENGTH} characters (32 random ones recommended), got ${givenSecret.length}`);
  return {
    host: env.HOST ?? '127.0.0.1',
    port,
    databaseUrl,
    baseDomain: (env.BASE_DOMAIN ?? 'localhost').toLowerCase(),
    logLevel,
    secret: givenSecret || loadOrCreateSecret(dataDir),
    dataDir,
    keyCacheTtlMs: Number(env.KEY_CACHE_TTL_MS ?? 10_000),
    lastUsedFlushMs: Number(env.LAST_USED_FLUSH_MS ?? 5_000),
    bodyLimit: Number(env.BODY_LIMIT ?? 1024 * 1024),
    requestTimeoutMs: Number(env.REQUEST_TIMEOUT_MS ?? 30_000),
    auditRetentionMs,
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    outboundAllowNetworks: parseNetworks('OUTBOUND_ALLOW_NETWORKS', env.OUTBOUND_ALLOW_NETWORKS),
    courierWorker: env.COURIER_WORKER?.trim() !== 'false',
    courierPollMs: positiveMs('COURIER_POLL_MS', env.COURIER_POLL_MS, 1000),
    courierRetryBackoffMs: positiveMs('COURIER_RETRY_BACKOFF_MS', env.COURIER_RETRY_BACKOFF_MS, 5000),
  };
}

/** The embedded default: a random secret kept (mode 0600) in the data folder and reused. */
function loadOrCreateSecret(dataDir: string): string {
  const file = join(dataDir, 'secret');
  if (existsSync(file)) {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length >= 32) return secret;
  }
  mkdirSync(dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'w' });
  chmodSync(file, 0o600);
  return secret;
}
