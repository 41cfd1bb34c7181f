import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { SlidingWindowLimiter, type CounterTable } from '../platform/rate-limit.js';
import type { ClientService, OAuth2Client } from './clients.js';
import { OAuth2Error, invalidClient, invalidRequest } from './errors.js';
import { DuplicateParam, param } from './util.js';

export interface ClientCredentials {
  method: 'client_secret_basic' | 'client_secret_post' | 'none';
  clientId: string;
  secret?: string;
}

/** What a client endpoint's request carries for client authentication. */
export interface ClientRequest {
  /** The Authorization header, as sent. */
  authorization: string | undefined;
  /** The form parameters of the body. */
  params: Record<string, unknown>;
}

/**
 * Reads client authentication per RFC 6749 §2.3: HTTP Basic (form-urlencoded id and secret) or the
 * body's client_id/client_secret; a public client sends only client_id. Using both is refused.
 */
export function readClientCredentials(authorization: string | undefined, params: unknown): ClientCredentials {
  const bodyId = param(params, 'client_id');
  const bodySecret = param(params, 'client_secret');
  if (typeof authorization === 'string' && /^basic /i.test(authorization)) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) throw invalidClient('The Authorization header is not valid HTTP Basic authentication.', true);
    let clientId: string;
    let secret: string;
    try {
      clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, '%20'));
      secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, '%20'));
    } catch {
      throw invalidClient('The client credentials in the Authorization header are not form-urlencoded.', true);
    }
    if (bodySecret !== undefined) throw invalidRequest('The client used more than one authentication method.');
    if (bodyId !== undefined && bodyId !== clientId) throw invalidRequest('client_id in the body does not match the Authorization header.');
    return { method: 'client_secret_basic', clientId, secret };
  }
  if (bodyId && bodySecret !== undefined) return { method: 'client_secret_post', clientId: bodyId, secret: bodySecret };
  if (bodyId) return { method: 'none', clientId: bodyId };
  throw invalidClient('No client authentication was included in the request.', false);
}

export interface FailureLimitOptions {
  /** Failures allowed per client within the sliding window. */
  limit: number;
  windowMs: number;
}

/** The OAuth2 plane's counters: failures per (project, bucket), a bucket being a client id or a fixed name. */
const OAUTH2_COUNTERS: CounterTable = { table: 'oauth2_rate_limits', scope: 'project_id', key: 'bucket', window: 'window_no', count: 'hits' };

const bucketKey = (bucket: string) => bucket.slice(0, 255);

/**
 * Failure counts of the OAuth2 plane on the shared limiter, in the database so every node sees the same
 * count: per client at the client endpoints, and in a fixed bucket per project for wrong user codes.
 * Every failure sweeps the project's old windows. Each node also keeps a hint of the clients it saw
 * failures for recently (`mayBeLimited`), so the token endpoint can check the count before anything
 * else for those and leave the check of every other client to the guarded token insert
 * (`underLimitSql`, see TokenService.issue), which reads the same shared count atomically with the write.
 */
export class ClientFailureLimit {
  private readonly limiter: SlidingWindowLimiter;

  constructor(db: Kysely<Database>, private readonly o: FailureLimitOptions) {
    this.limiter = new SlidingWindowLimiter(db, { counters: OAUTH2_COUNTERS, sweepShare: 1, retryAfter: 'window-end', hints: true });
  }

  /** Seconds the bucket must wait, or 0 when it may try. */
  retryAfter(projectId: string, bucket: string): Promise<number> {
    return this.limiter.retryAfter(projectId, [{ key: bucketKey(bucket), max: this.o.limit }], this.o.windowMs, Date.now());
  }

  fail(projectId: string, bucket: string): Promise<void> {
    return this.limiter.fail(projectId, [bucketKey(bucket)], this.o.windowMs, Date.now());
  }

  /** Whether this node saw failures of this bucket recently (a hint only: the database count decides). */
  mayBeLimited(projectId: string, bucket: string): boolean {
    return this.limiter.mayBeLimited(projectId, bucketKey(bucket));
  }

  /** SQL true while the bucket is under its limit; bind `underLimitParams` in its place. */
  underLimitSql() {
    return this.limiter.underLimitSql();
  }

  underLimitParams(projectId: string, bucket: string, now = Date.now()): unknown[] {
    return this.limiter.underLimitParams(projectId, bucketKey(bucket), this.o.limit, this.o.windowMs, now);
  }
}

/** A write guarded by the client's failure limit wrote nothing: the client is gone or over its limit. */
export class GuardRefused extends Error {
  constructor() {
    super('write refused by its client guard');
  }
}

/** What `ClientAuthenticator.run` hands its step: the credentials, and the check of them. */
export interface ClientCall {
  creds: ClientCredentials;
  /** Authenticates the client of the request or throws invalid_client (401). */
  authenticate(): Promise<OAuth2Client>;
}

export interface ClientPolicy {
  /** Which failures of the step count against the client's limit. */
  counts(e: OAuth2Error): boolean;
  /**
   * When true for the credentials (and this node saw no recent failures of the client), the limit is
   * not checked up front: the step's write is guarded (`GuardRefused`), and a failing step checks it
   * before answering, so a client over its limit still gets 429 whatever it sends, from every node.
   */
  deferLimitCheck?(creds: ClientCredentials): boolean;
}

type Deps = { clients: ClientService; failures: ClientFailureLimit };

/**
 * Client authentication at the client endpoints (token, device authorization, revocation): the
 * credentials, the check of them and the per-client failure limit (429 with Retry-After above it).
 */
export class ClientAuthenticator {
  constructor(private readonly d: Deps) {}

  /** 429 (with Retry-After) while a client is over its failure limit, whatever it sends now. */
  async refuseIfLimited(projectId: string, clientId: string): Promise<void> {
    const wait = await this.d.failures.retryAfter(projectId, clientId);
    if (wait > 0) throw new OAuth2Error('too_many_requests', 'Too many failed requests for this client; retry later.', 429, { 'retry-after': String(wait) });
  }

  /** Authenticates the client of a request or throws invalid_client (401). */
  async authenticate(projectId: string, creds: ClientCredentials): Promise<OAuth2Client> {
    const basic = creds.method === 'client_secret_basic';
    if (creds.method === 'none') {
      const client = await this.d.clients.get(projectId, creds.clientId);
      if (!client || client.token_endpoint_auth_method !== 'none') throw invalidClient('The client is not a public client; it must authenticate with its secret.', false);
      return client;
    }
    const client = await this.d.clients.authenticate(projectId, creds.clientId, creds.secret ?? '');
    if (!client) throw invalidClient('The client does not exist or the secret is wrong.', basic);
    if (client.token_endpoint_auth_method !== creds.method) {
      throw invalidClient(`The OAuth 2.0 Client supports client authentication method '${client.token_endpoint_auth_method}', but method '${creds.method}' was requested.`, basic);
    }
    return client;
  }

  /**
   * Runs `step` for the client that sends `request`: refuses a client over its limit (unless the
   * policy defers the check), and counts the step's RFC 6749 failures that the policy counts against
   * the client. A repeated parameter is an invalid_request. Every error is an OAuth2Error.
   */
  async run<T>(projectId: string, request: ClientRequest, policy: ClientPolicy, step: (call: ClientCall) => Promise<T>): Promise<T> {
    let creds: ClientCredentials;
    let deferred: boolean;
    try {
      creds = readClientCredentials(request.authorization, request.params);
      deferred = policy.deferLimitCheck?.(creds) === true && !this.d.failures.mayBeLimited(projectId, creds.clientId);
      if (!deferred) await this.refuseIfLimited(projectId, creds.clientId);
    } catch (err) {
      throw err instanceof DuplicateParam ? invalidRequest(err.message) : err;
    }
    const bucket = creds.clientId;
    try {
      return await step({ creds, authenticate: () => this.authenticate(projectId, creds) });
    } catch (err) {
      let e = err instanceof DuplicateParam ? invalidRequest(err.message) : err;
      if (err instanceof GuardRefused) {
        // Nothing was written: the client is over its limit (429), or it was deleted meanwhile.
        this.d.clients.forget(projectId, bucket);
        await this.refuseIfLimited(projectId, bucket);
        e = invalidClient('The client does not exist or the secret is wrong.', creds.method === 'client_secret_basic');
      } else if (deferred && e instanceof OAuth2Error) {
        await this.refuseIfLimited(projectId, bucket);
      }
      if (e instanceof OAuth2Error && policy.counts(e)) await this.d.failures.fail(projectId, bucket);
      throw e;
    }
  }
}
