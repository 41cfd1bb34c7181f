import type { Registry } from '../src/registry.js';
import type { Tenant } from '../test/helpers/context.js';

/**
 * One benchmark scenario. `bench/run.ts` starts the server as its own process on a fresh SQLite store,
 * opens a Registry on the same store for seeding, seeds a tenant, calls `prepare`, then drives the
 * returned request with autocannon from the bench process and reports req/s and p99 as ratios of the
 * bare-framework baseline measured in the same run.
 */
export interface Scenario {
  /** Short label printed in the report, e.g. "whoami (valid session token)". */
  name: string;
  /** Which issue/plane it belongs to, for grouping in the report. */
  group: 'foundation' | 'console' | 'identity' | 'oauth2' | 'permissions' | 'user-keys';
  prepare(env: BenchEnv): Promise<BenchRequest | BenchRequest[]>;
  /** Drive the reference server (`bench/reference-401.mjs`) instead of Gatehouse. */
  reference?: true;
  /**
   * Send this many requests per second in all (over 10 connections) to both sides of the pair,
   * instead of as many as they answer: a latency row, where p99 is the service's own latency rather
   * than the queueing of a saturated server. Its req/s ratio is 1.00 by design; read its p99.
   */
  rate?: number;
}

export interface BenchEnv {
  /** Base URL of the server under test, e.g. http://127.0.0.1:4123 */
  url: string;
  /** Registry on the same store as the server, for direct seeding (bulk inserts). */
  registry: Registry;
  tenant: Tenant;
}

/** What autocannon sends; `path` is absolute from the server root (use `/p/{slug}/...` for projects). */
export interface BenchRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Expected status; the report flags a scenario whose responses do not match. */
  expectStatus: number;
}
