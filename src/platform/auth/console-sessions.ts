import type { FastifyRequest } from 'fastify';
import type { Principal } from './principal.js';

/**
 * Resolves a console session (cookie) to a console user. Implemented by the console domain; the
 * default knows no sessions. May throw an OryError (for example a CSRF failure on a state-changing
 * request). Returns null when the request carries no valid session.
 */
export interface ConsoleSessionResolver {
  authenticate(req: FastifyRequest): Promise<Extract<Principal, { kind: 'console-user' }> | null>;
}

export const noConsoleSessions: ConsoleSessionResolver = { authenticate: async () => null };
