/** What a request tells about where it reached a project. */
export interface AddressedRequest {
  /** The URL as the client sent it, before a project host was rewritten onto `/p/{slug}`. */
  originalUrl: string;
  headers: { host?: string };
  protocol: string;
}

/** Where a request reached a project. */
export interface ProjectAddress {
  /** `{protocol}://{host}` as the client sent it (a host that could not be one is replaced). */
  origin: string;
  /** The project's base URL at that origin: the origin itself on a project host, `{origin}/p/{slug}` on the alias. */
  base: string;
  /** True on the `/p/{slug}` alias, false on `{slug}.projects.{BASE_DOMAIN}`. */
  onAlias: boolean;
}

const HOST = /^[a-z0-9.\-:[\]]{1,300}$/;

/**
 * The one reading of a request's address for a project: the base of URLs handed back to the same
 * client (flow actions, recovery links, the issuer when none is configured).
 */
export function projectAddress(req: AddressedRequest, slug: string): ProjectAddress {
  const prefix = `/p/${slug}`;
  const url = req.originalUrl;
  const onAlias = url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`);
  const sent = (req.headers.host ?? '').toLowerCase();
  const origin = `${req.protocol}://${HOST.test(sent) ? sent : 'localhost'}`;
  return { origin, base: onAlias ? `${origin}${prefix}` : origin, onAlias };
}
