import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { Principal } from '../platform/auth/principal.js';
import { forbidden, notFound } from '../platform/errors/errors.js';

export type Role = 'owner' | 'developer' | 'viewer';

/**
 * What a management action needs: `read` any member; `manage` projects, their config, keys and
 * organizations (developer or owner); `admin` members, invites and the workspace itself (owner).
 * A workspace API key acts with the full management rights of its own workspace.
 */
export type Need = 'read' | 'manage' | 'admin';

const RANK: Record<Role, number> = { viewer: 0, developer: 1, owner: 2 };
const NEED_RANK: Record<Need, number> = { read: 0, manage: 1, admin: 2 };

/**
 * The role `principal` has in `workspaceId` when no lookup is needed (an API key), or undefined when
 * only the store can tell (a console user).
 */
export function roleWithoutLookup(principal: Principal, workspaceId: string): Role | null | undefined {
  switch (principal.kind) {
    case 'workspace-key':
      return principal.workspaceId === workspaceId ? 'owner' : null;
    case 'console-user':
      return undefined;
    default:
      return null;
  }
}

/** The role `principal` has in `workspaceId`, or null when it has none (or is not a management principal). */
export async function workspaceRole(db: Kysely<Database>, principal: Principal, workspaceId: string): Promise<Role | null> {
  const known = roleWithoutLookup(principal, workspaceId);
  if (known !== undefined || principal.kind !== 'console-user') return known ?? null;
  const row = await db
    .selectFrom('workspace_members')
    .select('role')
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', principal.userId)
    .executeTakeFirst();
  return row?.role ?? null;
}

/** Throws unless `role` (the principal's role in a workspace, null for none) may do `need` there. */
export function requireRole(role: Role | null, need: Need): Role {
  if (!role) throw notFound();
  if (RANK[role] < NEED_RANK[need]) throw forbidden(`This action needs the ${need === 'admin' ? 'owner' : 'developer'} role in the workspace.`);
  return role;
}

/**
 * Throws unless `principal` may do `need` in `workspaceId`. No role at all is a 404, exactly as for a
 * workspace that does not exist, so a caller cannot probe other tenants' ids. Too small a role is a 403.
 */
export async function requireWorkspace(db: Kysely<Database>, principal: Principal, workspaceId: string, need: Need): Promise<Role> {
  return requireRole(await workspaceRole(db, principal, workspaceId), need);
}

/** The workspaces `principal` can see. */
export async function visibleWorkspaceIds(db: Kysely<Database>, principal: Principal): Promise<string[]> {
  if (principal.kind === 'workspace-key') return [principal.workspaceId];
  if (principal.kind !== 'console-user') return [];
  const rows = await db.selectFrom('workspace_members').select('workspace_id').where('user_id', '=', principal.userId).execute();
  return rows.map((r) => r.workspace_id);
}
