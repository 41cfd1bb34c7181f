import type { Principal } from '../auth/principal.js';
import type { ResolvedProject } from '../../tenancy/project-resolver.js';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Every route the app registered. `fromTable` is true for route-table routes and for static
     * assets a plugin marks with `config: { asset: true }`; anything else bypasses the table.
     */
    servedRoutes: { method: string; url: string; fromTable: boolean }[];
  }
  interface FastifyRequest {
    /** Set by the route's credential check before the handler runs; absent on `none` routes. */
    principal?: Principal;
    /** The route-table template the request matched (metrics label); set before credentials are checked. */
    routeTemplate: string | null;
    /** Set for every `project` plane route: the project the host or `/p/{slug}` resolved to. */
    project?: ResolvedProject;
  }
}
