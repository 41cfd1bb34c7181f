import type { Config } from '../platform/config/config.js';

/**
 * The public base URL of a project's APIs (`{slug}.projects.{BASE_DOMAIN}`), used where Ory puts
 * absolute URLs into models (an identity's `schema_url`). Local base domains get http and the port.
 */
export function projectPublicBase(config: Pick<Config, 'baseDomain' | 'port'>, slug: string): string {
  const local = config.baseDomain === 'localhost' || config.baseDomain.endsWith('.localhost') || config.baseDomain.endsWith('.test');
  if (!local) return `https://${slug}.projects.${config.baseDomain}`;
  const port = config.port && config.port !== 80 ? `:${config.port}` : '';
  return `http://${slug}.projects.${config.baseDomain}${port}`;
}
