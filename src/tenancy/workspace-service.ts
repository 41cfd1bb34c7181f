import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { Principal } from '../platform/auth/principal.js';
import { badRequest, notFound } from '../platform/errors/errors.js';
import { newId, nowIso } from '../platform/ids.js';
import { decodePageToken, encodePageToken } from '../platform/http/pagination.js';
import { requireWorkspace, visibleWorkspaceIds } from './access.js';
import { toWorkspace } from './models.js';

export class WorkspaceService {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Creates a workspace owned by a person: the console user, or for a workspace key the person who
   * created that key (keys are not people and cannot own a workspace).
   */
  async create(principal: Principal, name: string) {
    const ownerId = principal.kind === 'console-user' ? principal.userId : principal.kind === 'workspace-key' ? principal.ownerId : null;
    if (!ownerId) throw badRequest('Only a console user or a workspace API key can create workspaces.');
    const owner = await this.db.selectFrom('users').select('id').where('id', '=', ownerId).executeTakeFirst();
    if (!owner) throw badRequest('The person who created this key no longer exists; sign in to the console to create a workspace.');
    return this.createOwnedBy(ownerId, name);
  }

  /** Creates a workspace with `userId` as its owner, in one transaction. */
  async createOwnedBy(userId: string, name: string) {
    const now = nowIso();
    const row = { id: newId(), name: name.trim(), created_at: now, updated_at: now };
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('workspaces').values(row).execute();
      await trx.insertInto('workspace_members').values({ workspace_id: row.id, user_id: userId, role: 'owner', created_at: now }).execute();
    });
    return toWorkspace(row);
  }

  async list(principal: Principal, pageSize = 250, pageToken?: string) {
    const ids = await visibleWorkspaceIds(this.db, principal);
    const after = decodePageToken(pageToken);
    if (ids.length === 0) return { workspaces: [], has_next_page: false, next_page_token: '' };
    let q = this.db.selectFrom('workspaces').selectAll().where('id', 'in', ids);
    if (after) q = q.where('id', '>', after);
    const rows = await q.orderBy('id').limit(pageSize + 1).execute();
    const page = rows.slice(0, pageSize);
    const more = rows.length > pageSize;
    return { workspaces: page.map(toWorkspace), has_next_page: more, next_page_token: more ? encodePageToken(page[page.length - 1].id) : '' };
  }

  async get(principal: Principal, id: string) {
    await requireWorkspace(this.db, principal, id, 'read');
    const row = await this.db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound();
    return toWorkspace(row);
  }

  async rename(principal: Principal, id: string, name: string) {
    await requireWorkspace(this.db, principal, id, 'admin');
    const updated_at = nowIso();
    const row = await this.db.updateTable('workspaces').set({ name: name.trim(), updated_at }).where('id', '=', id).returningAll().executeTakeFirst();
    if (!row) throw notFound();
    return toWorkspace(row);
  }
}
