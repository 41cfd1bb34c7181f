import { LRUCache } from 'lru-cache';
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

/**
 * `projectPublicBase` by project id. Slugs never change, so they are remembered (bounded); an id not
 * seen yet is looked up once through `slugOf` (an unknown project falls back to its id).
 */
export class ProjectPublicBases {
  private readonly slugs = new LRUCache<string, string>({ max: 10_000 });

  constructor(
    private readonly config: Pick<Config, 'baseDomain' | 'port'>,
    private readonly slugOf: (projectId: string) => Promise<string | undefined>,
  ) {}

  /** Primes the memo from a resolved project (free: every project request has one). */
  remember(project: { id: string; slug: string }): void {
    if (!this.slugs.has(project.id)) this.slugs.set(project.id, project.slug);
  }

  /** The public base URL of the project, without a trailing slash. */
  async of(projectId: string): Promise<string> {
    let slug = this.slugs.get(projectId);
    if (!slug) {
      slug = (await this.slugOf(projectId)) ?? projectId;
      this.slugs.set(projectId, slug);
    }
    return projectPublicBase(this.config, slug);
  }
}
