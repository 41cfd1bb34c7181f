import type { Principal } from '../auth/principal.js';
import type { ResolvedProject } from '../../tenancy/project-resolver.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the route's credential check before the handler runs; absent on `none` routes. */
    principal?: Principal;
    /** Set for every `project` plane route: the project the host or `/p/{slug}` resolved to. */
    project?: ResolvedProject;
  }
}
