import type { FastifyInstance } from 'fastify';
import type { Registry } from '../../src/registry.js';
import type { Config } from '../../src/platform/config/config.js';
import { createTestContext } from './context.js';

export interface HttpTestServer {
  /** e.g. http://127.0.0.1:43121 */
  url: string;
  /** Base URL of a project's APIs through the `/p/{slug}` alias (what SDK tests pass as basePath). */
  projectUrl(slug: string): string;
  app: FastifyInstance;
  registry: Registry;
  close(): Promise<void>;
}

/** Serves the whole app over real HTTP on a random loopback port (for SDK and browser tests). */
export async function startHttpServer(overrides: Partial<Config> = {}): Promise<HttpTestServer> {
  const ctx = await createTestContext(overrides);
  const url = await ctx.app.listen({ host: '127.0.0.1', port: 0 });
  return { url, projectUrl: (slug) => `${url}/p/${slug}`, app: ctx.app, registry: ctx.registry, close: ctx.close };
}
