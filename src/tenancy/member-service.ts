import { createHmac } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../database.js';
import type { Principal } from '../platform/auth/principal.js';
import { conflict, ErrorId, forbidden, notFound } from '../platform/errors/errors.js';
import { isUuid, newId, nowIso } from '../platform/ids.js';
import { randomToken, secretHash } from '../platform/crypto.js';
import { requireWorkspace, type Role } from './access.js';
import { toMember } from './models.js';
import { UserService } from './user-service.js';

const INVITE_TTL_MS = 7 * 24 * 3600 * 1000;

export interface InviteView {
  id: string;
  workspace_id: string;
  email: string;
  role: Role;
  invited_by: string | null;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
}

/**
 * Workspace membership. A workspace never loses its last owner: removing or demoting the last owner
 * is refused (409), checked inside the same transaction as the change.
 */
export class MemberService {
  constructor(private readonly o: { db: Kysely<Database>; secret: string; users: UserService }) {}

  /** The stored form of an invite token. */
  private hashInviteToken(token: string): string {
    return secretHash(this.o.secret, 'invite', token);
  }

  async list(principal: Principal, workspaceId: string) {
    if (!isUuid(workspaceId)) throw notFound();
    await requireWorkspace(this.o.db, principal, workspaceId, 'read');
    const rows = await this.o.db
      .selectFrom('workspace_members')
      .innerJoin('users', 'users.id', 'workspace_members.user_id')
      .selectAll('users')
      .select('workspace_members.role')
      .where('workspace_members.workspace_id', '=', workspaceId)
      .orderBy('workspace_members.created_at')
      .orderBy('users.id')
      .execute();
    return rows.map((r) => toMember(r, r.role));
  }

  async remove(principal: Principal, workspaceId: string, userId: string): Promise<void> {
    if (!isUuid(workspaceId)) throw notFound();
    await requireWorkspace(this.o.db, principal, workspaceId, 'admin');
    if (!isUuid(userId)) throw notFound();
    await this.o.db.transaction().execute(async (trx) => {
      const member = await this.memberRow(trx, workspaceId, userId);
      if (member.role === 'owner') await this.assertAnotherOwner(trx, workspaceId, userId);
      await trx.deleteFrom('workspace_members').where('workspace_id', '=', workspaceId).where('user_id', '=', userId).execute();
    });
  }

  async changeRole(principal: Principal, workspaceId: string, userId: string, role: Role) {
    if (!isUuid(workspaceId)) throw notFound();
    await requireWorkspace(this.o.db, principal, workspaceId, 'admin');
    if (!isUuid(userId)) throw notFound();
    await this.o.db.transaction().execute(async (trx) => {
      const member = await this.memberRow(trx, workspaceId, userId);
      if (member.role === 'owner' && role !== 'owner') await this.assertAnotherOwner(trx, workspaceId, userId);
      await trx.updateTable('workspace_members').set({ role }).where('workspace_id', '=', workspaceId).where('user_id', '=', userId).execute();
    });
    return (await this.list(principal, workspaceId)).find((m) => m.id === userId)!;
  }

  private async memberRow(trx: Transaction<Database>, workspaceId: string, userId: string) {
    const member = await trx.selectFrom('workspace_members').select('role').where('workspace_id', '=', workspaceId).where('user_id', '=', userId).executeTakeFirst();
    if (!member) throw notFound('No such member in this workspace.');
    return member;
  }

  private async assertAnotherOwner(trx: Transaction<Database>, workspaceId: string, userId: string) {
    const others = await trx
      .selectFrom('workspace_members')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', workspaceId)
      .where('role', '=', 'owner')
      .where('user_id', '!=', userId)
      .executeTakeFirstOrThrow();
    if (Number(others.n) === 0) throw conflict('A workspace must keep at least one owner; make someone else owner first.', ErrorId.lastOwner);
  }

  /** Creates an invite. The returned `token` is shown once (the invite link); only its HMAC is stored. */
  async invite(principal: Principal, workspaceId: string, input: { email: string; role: Role }) {
    if (!isUuid(workspaceId)) throw notFound();
    await requireWorkspace(this.o.db, principal, workspaceId, 'admin');
    const email = UserService.normalizeEmail(input.email);
    const already = await this.o.db
      .selectFrom('workspace_members')
      .innerJoin('users', 'users.id', 'workspace_members.user_id')
      .select('users.id')
      .where('workspace_members.workspace_id', '=', workspaceId)
      .where('users.email', '=', email)
      .executeTakeFirst();
    if (already) throw conflict('That person is already a member of this workspace.');
    const token = randomToken();
    const now = new Date();
    const row = {
      id: newId(),
      workspace_id: workspaceId,
      email,
      role: input.role,
      token_hash: this.hashInviteToken(token),
      invited_by: principal.kind === 'console-user' ? principal.userId : principal.kind === 'workspace-key' ? principal.ownerId : null,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + INVITE_TTL_MS).toISOString(),
      accepted_at: null,
      accepted_by: null,
      revoked_at: null,
    };
    await this.o.db.insertInto('workspace_invites').values(row).execute();
    return { ...toInviteView(row), token };
  }

  /** Open (not accepted, not revoked, not expired) invites of a workspace. */
  async listInvites(principal: Principal, workspaceId: string): Promise<InviteView[]> {
    if (!isUuid(workspaceId)) throw notFound();
    await requireWorkspace(this.o.db, principal, workspaceId, 'read');
    const rows = await this.o.db
      .selectFrom('workspace_invites')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', nowIso())
      .orderBy('id')
      .execute();
    return rows.map(toInviteView);
  }

  async revokeInvite(principal: Principal, workspaceId: string, inviteId: string): Promise<void> {
    if (!isUuid(workspaceId) || !isUuid(inviteId)) throw notFound();
    await requireWorkspace(this.o.db, principal, workspaceId, 'admin');
    const res = await this.o.db.updateTable('workspace_invites').set({ revoked_at: nowIso() }).where('id', '=', inviteId).where('workspace_id', '=', workspaceId).where('accepted_at', 'is', null).where('revoked_at', 'is', null).executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw notFound();
  }

  /** Looks an invite up by its token without accepting it (for the console's invite page). */
  async inviteByToken(token: string) {
    if (typeof token !== 'string' || token.length < 16 || token.length > 128) throw notFound('This invite does not exist or has expired.');
    const row = await this.o.db
      .selectFrom('workspace_invites')
      .selectAll()
      .where('token_hash', 'in', [this.hashInviteToken(token), legacyInviteTokenHash(this.o.secret, token)])
      .executeTakeFirst();
    if (!row) throw notFound('This invite does not exist or has expired.');
    // Whoever holds the token is the invitee: they may know why it no longer works.
    if (row.accepted_at) throw notFound('This invite has already been accepted; sign in to reach the workspace.');
    if (row.revoked_at) throw notFound('This invite was revoked; ask for a new one.');
    if (row.expires_at <= nowIso()) throw notFound('This invite has expired; ask for a new one.');
    const ws = await this.o.db.selectFrom('workspaces').select('name').where('id', '=', row.workspace_id).executeTakeFirst();
    return { ...toInviteView(row), workspace_name: ws?.name ?? '' };
  }

  /**
   * Accepts an invite as the console user `userId` (the console's signed-in user), who must be the
   * person it names (`assertInvitee`): anyone else gets a 403 and the invite stays open. The
   * invitee becomes a member with the invited role. An invite is single-use; an expired, revoked or
   * used one is a 404. Already a member: their role is kept.
   */
  async accept(token: string, userId: string) {
    const invite = await this.inviteByToken(token);
    const user = await this.o.users.byId(userId);
    assertInvitee(invite, user?.email);
    await this.o.db.transaction().execute(async (trx) => {
      const res = await trx
        .updateTable('workspace_invites')
        .set({ accepted_at: nowIso(), accepted_by: userId })
        .where('id', '=', invite.id)
        .where('accepted_at', 'is', null)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) throw notFound('This invite has already been accepted; sign in to reach the workspace.');
      const existing = await trx.selectFrom('workspace_members').select('role').where('workspace_id', '=', invite.workspace_id).where('user_id', '=', userId).executeTakeFirst();
      if (!existing) await trx.insertInto('workspace_members').values({ workspace_id: invite.workspace_id, user_id: userId, role: invite.role, created_at: nowIso() }).execute();
    });
    return { workspace_id: invite.workspace_id, role: invite.role };
  }

  /**
   * Accepts an invite as the console user with `email` (`gatehouse invites accept`), creating that
   * user (without a password) only once the invite is known to name them, so a refused attempt
   * leaves no stray account. Errors as `accept`.
   */
  async acceptAs(token: string, email: string) {
    const invite = await this.inviteByToken(token);
    assertInvitee(invite, email);
    const { user } = await this.o.users.findOrCreate(email);
    return { ...(await this.accept(token, user.id)), email: user.email };
  }
}

/**
 * How invite tokens were stored before every server-secret HMAC went through `secretHash`: hex HMAC
 * of `invite:{token}`. Invites sent before then stay open for a week and their links must keep
 * working, so lookups match this form too.
 */
function legacyInviteTokenHash(secret: string, token: string): string {
  return createHmac('sha256', secret).update(`invite:${token}`).digest('hex');
}

/**
 * The one rule for who may accept an invite: the console user whose email is the invited one,
 * compared as user emails are stored (trimmed, lower-case). Anyone else: 403.
 */
function assertInvitee(invite: { email: string }, email: string | undefined): void {
  if (email === undefined || UserService.normalizeEmail(email) !== UserService.normalizeEmail(invite.email)) {
    throw forbidden('This invite was sent to another email address; only the person it was sent to can accept it. Ask an owner of the workspace to invite your own address.');
  }
}

function toInviteView(row: Database['workspace_invites']): InviteView {
  return {
    id: row.id,
    workspace_id: row.workspace_id,
    email: row.email,
    role: row.role,
    invited_by: row.invited_by,
    created_at: row.created_at,
    expires_at: row.expires_at,
    accepted_at: row.accepted_at,
  };
}

