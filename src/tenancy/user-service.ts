import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { UsersTable } from './tables.js';
import { isUniqueViolation } from '../platform/db/database.js';
import { newId, nowIso } from '../platform/ids.js';

/** Console users: people who sign in to the console. Not to be confused with a project's identities. */
export class UserService {
  constructor(private readonly db: Kysely<Database>) {}

  static normalizeEmail(email: string): string {
    return email.trim().toLowerCase();
  }

  async byEmail(email: string): Promise<UsersTable | undefined> {
    return this.db.selectFrom('users').selectAll().where('email', '=', UserService.normalizeEmail(email)).executeTakeFirst();
  }

  async byId(id: string): Promise<UsersTable | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Returns the user with this email, creating it (without a password) when there is none. */
  async findOrCreate(email: string, name?: string): Promise<{ user: UsersTable; created: boolean }> {
    const existing = await this.byEmail(email);
    if (existing) return { user: existing, created: false };
    const now = nowIso();
    const normalized = UserService.normalizeEmail(email);
    const user: UsersTable = { id: newId(), email: normalized, name: name?.trim() || normalized.split('@')[0], password_hash: null, created_at: now, updated_at: now };
    try {
      await this.db.insertInto('users').values(user).execute();
      return { user, created: true };
    } catch (err) {
      // Another request created it first: use theirs.
      if (isUniqueViolation(err)) return { user: (await this.byEmail(email))!, created: false };
      throw err;
    }
  }

  async setPasswordHash(userId: string, passwordHash: string): Promise<void> {
    await this.db.updateTable('users').set({ password_hash: passwordHash, updated_at: nowIso() }).where('id', '=', userId).execute();
  }
}
