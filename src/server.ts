import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { createRegistry, type Registry } from './registry.js';
import type { Config } from './platform/config/config.js';

/** Starts serving every plane on `config.host:config.port`; resolves once listening. */
export async function startServer(config: Config): Promise<{ app: FastifyInstance; registry: Registry; url: string }> {
  const registry = await createRegistry(config);
  const app = await buildApp(registry);
  app.addHook('onClose', async () => registry.close());
  const url = await app.listen({ host: config.host, port: config.port });
  return { app, registry, url };
}
