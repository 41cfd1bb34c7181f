declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Every route the app registered. `fromTable` is true for route-table routes and for static
     * assets a plugin marks with `config: { asset: true }`; anything else bypasses the table.
     */
    servedRoutes: { method: string; url: string; fromTable: boolean }[];
  }
  interface FastifyRequest {
    /** The route-table template the request matched (metrics label); set before credentials are checked. */
    routeTemplate: string | null;
  }
}

export {};
