import type { Kysely } from 'kysely';
import type { Database } from '../platform/db/schema.js';
import type { Principal } from '../platform/auth/principal.js';
import { forbidden, notFound, unauthorized } from '../platform/errors/errors.js';

export type Role = 'owner' | 'developer' | 'viewer';

/**
 * What a management action needs: `read` any member; `manage` projects, their config, keys and
 * organizations (developer or owner); `admin` members, invites and the workspace itself (owner).
 * A workspace API key acts with the full management rights of its own workspace (DESIGN.md §3).
 */
export type Need = 'read' | 'manage' | 'admin';

const RANK: Record<Role, number> = { viewer: 0, developer: 1, owner: 2 };
const NEED_RANK: Record<Need, number> = { read: 0, manage: 1, admin: 2 };

/** The role `principal` has in `workspaceId`, or null when it has none (or is not a management principal). */
export async function workspaceRole(db: Kysely<Database>, principal: Principal, workspaceId: string): Promise<Role | null> {
  switch (principal.kind) {
    case 'workspace-key':
      return principal.workspaceId === workspaceId ? 'owner' : null;
    case 'console-user': {
      const row = await db
        .selectFrom('workspace_members')
        .select('role')
        .where('workspace_id', '=', workspaceId)
        .where('user_id', '=', principal.userId)
        .executeTakeFirst();
      return row?.role ?? null;
    }
    default:
      return null;
  }
}

/**
 * Throws unless `principal` may do `need` in `workspaceId`. No role at all is a 404, exactly as for a
 * workspace that does not exist, so a caller cannot probe other tenants' ids. Too small a role is a 403.
 */
export async function requireWorkspace(db: Kysely<Database>, principal: Principal | undefined, workspaceId: string, need: Need): Promise<Role> {
  if (!principal) throw unauthorized();
  const role = await workspaceRole(db, principal, workspaceId);
  if (!role) throw notFound();
  if (RANK[role] < NEED_RANK[need]) throw forbidden(`This action needs the ${need === 'admin' ? 'owner' : 'developer'} role in the workspace.`);
  return role;
}

/** The workspaces `principal` can see. */
export async function visibleWorkspaceIds(db: Kysely<Database>, principal: Principal): Promise<string[]> {
  if (principal.kind === 'workspace-key') return [principal.workspaceId];
  if (principal.kind !== 'console-user') return [];
  const rows = await db.selectFrom('workspace_members').select('workspace_id').where('user_id', '=', principal.userId).execute();
  return rows.map((r) => r.workspace_id);
}
