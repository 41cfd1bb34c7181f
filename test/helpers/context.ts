import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { createRegistry, type Registry } from '../../src/registry.js';
import type { Config } from '../../src/platform/config/config.js';

/**
 * The store under test: PostgreSQL when TEST_DATABASE_URL is set (`.ci/run` sets it for its second
 * pass), otherwise a fresh SQLite file per test file.
 */
export function testConfig(overrides: Partial<Config> = {}): Config & { cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  const databaseUrl = process.env.TEST_DATABASE_URL || `sqlite:${join(dir, 'test.sqlite')}`;
  return {
    host: '127.0.0.1',
    port: 0,
    databaseUrl,
    baseDomain: 'gatehouse.test',
    logLevel: 'silent',
    secret: 'test-secret-0123456789abcdef0123456789abcdef',
    dataDir: dir,
    keyCacheTtlMs: 10_000,
    lastUsedFlushMs: 60_000,
    bodyLimit: 1024 * 1024,
    auditRetentionMs: 90 * 24 * 3600 * 1000,
    trustProxy: false,
    // Test files share one PostgreSQL database: a courier worker in every file's server would claim
    // other files' messages. The courier tests switch it on.
    courierWorker: false,
    ...overrides,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const dialectName = () => (process.env.TEST_DATABASE_URL ? 'postgres' : 'sqlite');

export interface TestContext {
  app: FastifyInstance;
  registry: Registry;
  close(): Promise<void>;
}

/** A registry and an in-process app (use `app.inject`) on a migrated store. */
export async function createTestContext(overrides: Partial<Config> = {}): Promise<TestContext> {
  const config = testConfig(overrides);
  const registry = await createRegistry(config);
  const app = await buildApp(registry, { logger: false });
  return {
    app,
    registry,
    async close() {
      await app.close();
      await registry.close();
      config.cleanup();
    },
  };
}

export interface Tenant {
  userId: string;
  email: string;
  workspaceId: string;
  workspaceKey: string;
  projectId: string;
  projectSlug: string;
  projectKey: string;
}

let seq = 0;

/** A fresh workspace (owned by a fresh user) with one project and a key for each. */
export async function seedTenant(registry: Registry, label = 'acme'): Promise<Tenant> {
  const email = `${label}-${process.pid}-${Date.now()}-${seq++}@example.com`;
  const { user } = await registry.tenancy.users.findOrCreate(email);
  const ws = await registry.tenancy.workspaces.createOwnedBy(user.id, `${label} workspace`);
  const workspaceKey = await registry.keys.issue({ kind: 'workspace', workspaceId: ws.id }, { name: 'test', ownerId: user.id });
  const project = await registry.tenancy.projects.create({ kind: 'workspace-key', keyId: workspaceKey.id, keyName: workspaceKey.name, workspaceId: ws.id, ownerId: user.id }, { name: `${label} project`, environment: 'dev' });
  const projectKey = await registry.keys.issue({ kind: 'project', workspaceId: ws.id, projectId: project.id }, { name: 'test', ownerId: user.id });
  return { userId: user.id, email, workspaceId: ws.id, workspaceKey: workspaceKey.value, projectId: project.id, projectSlug: project.slug, projectKey: projectKey.value };
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
