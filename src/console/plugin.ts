import type { FastifyInstance } from 'fastify';
import type { Registry } from '../registry.js';

/** The web console's server side: static assets and the SPA fallback. Filled in by the console issue. */
export async function consolePlugin(_app: FastifyInstance, _opts: { registry: Registry }): Promise<void> {}
