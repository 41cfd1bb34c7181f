import { LRUCache } from 'lru-cache';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { ProjectsTable } from './tables.js';
import type { Notifier } from '../platform/db/notifier.js';
import { parseServices } from './models.js';

/** A project as the project planes see it: parsed config, ready for the handlers. */
export interface ResolvedProject {
  id: string;
  slug: string;
  workspaceId: string;
  name: string;
  environment: ProjectsTable['environment'];
  revisionId: string;
  /**
   * Each plane's config document, as stored and checked at write time. Each plane reads its part
   * through its own typed reader (`readIdentityConfig`, `flowConfig`, `readOAuth2Config`,
   * `readPermissionConfig`), never by indexing this.
   */
  services: {
    identity: { config: Record<string, unknown> };
    oauth2: { config: Record<string, unknown> };
    permission: { config: unknown };
  };
}

export function rowToResolvedProject(row: ProjectsTable): ResolvedProject {
  return {
    id: row.id,
    slug: row.slug,
    workspaceId: row.workspace_id,
    name: row.name,
    environment: row.environment,
    revisionId: row.revision_id,
    services: parseServices(row),
  };
}

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * Finds the running project behind a slug for every project-plane request. Cached briefly: a config
 * write invalidates the entry on this node at once and on other nodes through the notifier; the
 * one-second TTL bounds staleness if a message is lost. Purged and halted projects resolve to null.
 */
export class ProjectResolver {
  private readonly cache = new LRUCache<string, { project: ResolvedProject | null }>({ max: 10_000, ttl: 1000 });

  constructor(private readonly db: Kysely<Database>, notifier: Notifier) {
    notifier.subscribe((m) => {
      if (m.type === 'project') {
        if (m.slug) this.cache.delete(m.slug);
        else this.cache.clear();
      }
    });
  }

  /** The cached answer for `slug` without I/O: the project, null (none runs there), or undefined (ask `bySlug`). */
  peek(slug: string): ResolvedProject | null | undefined {
    if (!SLUG.test(slug)) return null;
    return this.cache.get(slug)?.project;
  }

  /** The running project with this id, read from the store (background jobs such as the courier worker). */
  async byId(id: string): Promise<ResolvedProject | null> {
    const row = await this.db.selectFrom('projects').selectAll().where('id', '=', id).where('state', '=', 'running').executeTakeFirst();
    return row ? rowToResolvedProject(row) : null;
  }

  async bySlug(slug: string): Promise<ResolvedProject | null> {
    const hit = this.peek(slug);
    if (hit !== undefined) return hit;
    const row = await this.db.selectFrom('projects').selectAll().where('slug', '=', slug).where('state', '=', 'running').executeTakeFirst();
    const project = row ? rowToResolvedProject(row) : null;
    this.cache.set(slug, { project });
    return project;
  }
}
