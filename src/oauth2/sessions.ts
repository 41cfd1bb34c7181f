import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { nowIso } from '../platform/ids.js';
import { decodePageToken, encodePageToken } from '../platform/http/pagination.js';
import { randomToken, secretHash } from '../platform/crypto.js';
import { scoped, type ScopedInsert } from '../platform/db/scoped.js';

type Deps = { db: Kysely<Database>; secret: string };

export interface RememberedLogin {
  subject: string;
  sid: string;
  authenticated_at: number;
}

/** The browser cookie of a remembered login; one per project, since the local alias shares one host. */
export const loginSessionCookie = (projectId: string) => `ory_oauth2_session_${projectId.replace(/-/g, '').slice(-12)}`;

/**
 * Hydra's login and consent sessions: what a browser and a subject have already done, so later flows
 * can report `skip: true` to the login and consent UIs. Scoped by project like everything else.
 */
export class OAuth2SessionStore {
  constructor(private readonly d: Deps) {}

  private h(v: string): string {
    return secretHash(this.d.secret, 'oauth2-login-session', v);
  }

  /** The remembered login behind a cookie value, if live. */
  async loginByCookie(projectId: string, cookie: string | undefined): Promise<RememberedLogin | null> {
    if (!cookie || cookie.length > 256) return null;
    const row = await scoped(this.d.db, projectId).selectFrom('oauth2_login_sessions').selectAll().where('token_hash', '=', this.h(cookie)).executeTakeFirst();
    if (!row || (row.expires_at && Date.parse(row.expires_at) <= Date.now())) return null;
    return { subject: row.subject, sid: row.id, authenticated_at: Math.floor(Date.parse(row.authenticated_at) / 1000) };
  }

  /** Creates a remembered login; returns the cookie value (shown to the browser only). */
  async createLogin(projectId: string, sid: string, subject: string, authenticatedAt: number, rememberFor: number): Promise<string> {
    const token = randomToken();
    const row: ScopedInsert<Database, 'oauth2_login_sessions'> = {
      id: sid, subject, token_hash: this.h(token), authenticated_at: new Date(authenticatedAt * 1000).toISOString(),
      expires_at: rememberFor > 0 ? new Date(Date.now() + rememberFor * 1000).toISOString() : null, created_at: nowIso(),
    };
    await scoped(this.d.db, projectId).insertInto('oauth2_login_sessions', row).execute();
    return token;
  }

  /** Deletes remembered logins by subject or by session id. */
  async revokeLogins(projectId: string, by: { subject?: string; sid?: string }): Promise<void> {
    let q = scoped(this.d.db, projectId).deleteFrom('oauth2_login_sessions');
    if (by.sid) q = q.where('id', '=', by.sid);
    if (by.subject) q = q.where('subject', '=', by.subject);
    await q.execute();
  }

  async recordConsent(projectId: string, row: ScopedInsert<Database, 'oauth2_consent_sessions'>): Promise<void> {
    await scoped(this.d.db, projectId).insertInto('oauth2_consent_sessions', row).execute();
  }

  /**
   * Whether the consent UI may be told skip=true: as in Hydra, only the newest remembered consent of this
   * subject to this client that was itself given with skip=false counts, and it must be live and have
   * granted every requested scope. Unlike Hydra it must also cover the requested audience, so a new
   * audience is shown to the user once more instead of being skipped.
   */
  async consentCovers(projectId: string, subject: string, clientId: string, scopes: string[], audience: string[]): Promise<boolean> {
    const rows = await scoped(this.d.db, projectId)
      .selectFrom('oauth2_consent_sessions').select(['grant_scope', 'grant_audience', 'expires_at'])
      .where('subject', '=', subject).where('client_id', '=', clientId)
      .where('remember', '=', 1).where('skip', '=', 0).where('revoked_at', 'is', null)
      .orderBy('id', 'desc').limit(1).execute();
    const latest = rows[0];
    if (!latest || (latest.expires_at && Date.parse(latest.expires_at) <= Date.now())) return false;
    const granted = new Set(JSON.parse(latest.grant_scope) as string[]);
    const aud = new Set(JSON.parse(latest.grant_audience) as string[]);
    return scopes.every((s) => granted.has(s)) && audience.every((a) => aud.has(a));
  }

  /**
   * Live consent sessions of a subject, newest first, keyset-paginated (OAuth2ConsentSession wire
   * shape). As in Hydra, a consent given on a skipped consent screen is not listed (it repeats the
   * remembered one it was skipped for), nor is one whose remembered grant has expired.
   */
  async listConsents(projectId: string, o: { subject: string; loginSessionId?: string; pageSize: number; pageToken?: string }): Promise<{ items: Record<string, unknown>[]; next?: string }> {
    const before = decodePageToken(o.pageToken);
    let q = scoped(this.d.db, projectId)
      .selectFrom('oauth2_consent_sessions').selectAll()
      .where('subject', '=', o.subject).where('revoked_at', 'is', null).where('skip', '=', 0)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', nowIso())]));
    if (o.loginSessionId) q = q.where('login_session_id', '=', o.loginSessionId);
    if (before) q = q.where('id', '<', before);
    const rows = await q.orderBy('id', 'desc').limit(o.pageSize + 1).execute();
    const page = rows.slice(0, o.pageSize);
    return {
      items: page.map((r) => ({
        consent_request_id: r.id,
        consent_request: JSON.parse(r.consent_request),
        context: JSON.parse(r.context),
        grant_scope: JSON.parse(r.grant_scope),
        grant_access_token_audience: JSON.parse(r.grant_audience),
        session: JSON.parse(r.session),
        remember: r.remember === 1,
        remember_for: r.remember_for,
        handled_at: r.handled_at,
        ...(r.expires_at ? { expires_at: { access_token: r.expires_at } } : {}),
      })),
      next: rows.length > o.pageSize ? encodePageToken(page[page.length - 1].id) : undefined,
    };
  }

  /** Revokes consent sessions; returns their ids (the grant chains whose tokens must be revoked too). */
  async revokeConsents(projectId: string, by: { subject?: string; client?: string; consentRequestId?: string }): Promise<string[]> {
    const p = scoped(this.d.db, projectId);
    let q = p.selectFrom('oauth2_consent_sessions').select('id').where('revoked_at', 'is', null);
    if (by.subject) q = q.where('subject', '=', by.subject);
    if (by.client) q = q.where('client_id', '=', by.client);
    if (by.consentRequestId) q = q.where('id', '=', by.consentRequestId);
    const ids = (await q.execute()).map((r) => r.id);
    if (ids.length) await p.updateTable('oauth2_consent_sessions').set({ revoked_at: nowIso() }).where('id', 'in', ids).execute();
    return ids;
  }
}
