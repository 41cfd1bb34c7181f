import { compactVerify, createLocalJWKSet } from 'jose';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../platform/db/schema.js';
import type { OAuth2LogoutRequestsTable } from './tables.js';
import type { ClientService } from './clients.js';
import type { JwkService } from './jwks.js';
import { loginSessionCookie, type OAuth2SessionStore } from './sessions.js';
import { newId } from '../platform/ids.js';
import { OryError, ErrorId, notFound } from '../platform/errors/errors.js';
import { OAuth2Error, invalidRequest } from './errors.js';
import { DuplicateParam, configDuration, param, uiUrl, withParams } from './util.js';
import { randomToken, secretHash } from '../platform/crypto.js';

interface LogoutRequest {
  request_url: string;
  rp_initiated: boolean;
  post_logout_redirect_uri?: string;
  state?: string;
}

type Deps = { db: Kysely<Database>; secret: string; clients: ClientService; jwks: JwkService; store: OAuth2SessionStore };


/**
 * OpenID Connect RP-initiated logout with Hydra's logout challenge: /oauth2/sessions/logout sends the
 * browser to the project's logout UI with a challenge; the UI accepts (→ back to the client's
 * registered post_logout_redirect_uri) or rejects it through the admin API.
 */
export class LogoutService {
  constructor(private readonly d: Deps) {}

  private h(purpose: string, v: string): string {
    return secretHash(this.d.secret, `oauth2-logout-${purpose}`, v);
  }

  /** GET /oauth2/sessions/logout. */
  async handle(req: FastifyRequest, reply: FastifyReply, issuer: string): Promise<FastifyReply> {
    const project = req.project!;
    const config = project.services.oauth2.config ?? {};
    const q = (req.query ?? {}) as Record<string, unknown>;
    try {
      const verifier = param(q, 'logout_verifier');
      if (verifier !== undefined) return await this.finish(req, reply, issuer, verifier);
      const hint = param(q, 'id_token_hint');
      const redirect = param(q, 'post_logout_redirect_uri');
      const state = param(q, 'state');
      let subject = '';
      let sid = '';
      let clientId: string | null = null;
      if (hint) {
        const claims = await this.verifyHint(project.id, hint);
        subject = typeof claims.sub === 'string' ? claims.sub : '';
        sid = typeof claims.sid === 'string' ? claims.sid : '';
        const aud = [claims.aud].flat().filter((a): a is string => typeof a === 'string');
        for (const a of aud) if (await this.d.clients.get(project.id, a)) clientId = a;
        if (!clientId) throw invalidRequest('The id_token_hint was not issued to a client of this project.');
      }
      // Without a hint, the browser's remembered login (if any) says who is logging out.
      const remembered = await this.d.store.loginByCookie(project.id, req.cookies?.[loginSessionCookie(project.id)]);
      if (!subject && remembered) {
        subject = remembered.subject;
        sid = remembered.sid;
      }
      if (redirect !== undefined) {
        if (!clientId) throw invalidRequest('A post_logout_redirect_uri requires an id_token_hint.');
        const client = await this.d.clients.get(project.id, clientId);
        if (!((client?.post_logout_redirect_uris as string[] | undefined) ?? []).includes(redirect)) {
          throw invalidRequest('The post_logout_redirect_uri is not registered for the client of the id_token_hint.');
        }
      }
      const challenge = randomToken();
      const rawQuery = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
      const request: LogoutRequest = { request_url: `${issuer}/oauth2/sessions/logout${rawQuery ? `?${rawQuery}` : ''}`, rp_initiated: !!hint, post_logout_redirect_uri: redirect, state };
      const now = new Date();
      await this.d.db.insertInto('oauth2_logout_requests').values({
        id: newId(), project_id: project.id, client_id: clientId, state: 'logout_requested', challenge_hash: this.h('challenge', challenge), verifier_hash: null,
        subject, sid, request: JSON.stringify(request), created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + configDuration(config?.ttl?.login_consent_request, 30 * 60_000)).toISOString(),
      }).execute();
      return reply.code(302).header('location', uiUrl(config?.urls?.logout, issuer, 'logout', { logout_challenge: challenge })).send();
    } catch (err) {
      if (err instanceof DuplicateParam) throw invalidRequest(err.message);
      throw err;
    }
  }

  /** Verifies an ID token hint's signature against this project's ID token keys (expiry is not checked, per OIDC). */
  private async verifyHint(projectId: string, hint: string): Promise<Record<string, unknown>> {
    if (hint.length > 16_384) throw invalidRequest('The id_token_hint is not valid.');
    try {
      const jwks = createLocalJWKSet({ keys: await this.d.jwks.publicKeys(projectId) });
      const { payload } = await compactVerify(hint, jwks);
      const claims = JSON.parse(new TextDecoder().decode(payload)) as unknown;
      if (!claims || typeof claims !== 'object') throw new Error('not an object');
      return claims as Record<string, unknown>;
    } catch {
      throw invalidRequest('The id_token_hint is not valid: it was not issued by this project.');
    }
  }

  private async finish(req: FastifyRequest, reply: FastifyReply, issuer: string, verifier: string): Promise<FastifyReply> {
    const project = req.project!;
    const row = verifier.length <= 512 ? await this.d.db.selectFrom('oauth2_logout_requests').selectAll().where('project_id', '=', project.id).where('verifier_hash', '=', this.h('verifier', verifier)).executeTakeFirst() : undefined;
    if (!row || row.state !== 'logout_accepted' || Date.parse(row.expires_at) <= Date.now()) {
      throw new OAuth2Error('invalid_request', 'The logout verifier is unknown, expired or was already used.', 400);
    }
    await this.transition(row, 'logout_accepted', { state: 'done' });
    reply.clearCookie(loginSessionCookie(project.id), { path: '/' });
    const request = JSON.parse(row.request) as LogoutRequest;
    const config = project.services.oauth2.config ?? {};
    const fallback = typeof config?.urls?.post_logout_redirect === 'string' && config.urls.post_logout_redirect ? config.urls.post_logout_redirect : `${issuer}/ui/welcome`;
    const target = request.post_logout_redirect_uri ? withParams(request.post_logout_redirect_uri, { state: request.state }) : fallback;
    return reply.code(302).header('location', target).send();
  }

  private async transition(row: OAuth2LogoutRequestsTable, from: OAuth2LogoutRequestsTable['state'], set: Partial<OAuth2LogoutRequestsTable>): Promise<void> {
    const r = await this.d.db.updateTable('oauth2_logout_requests').set(set).where('project_id', '=', row.project_id).where('id', '=', row.id).where('state', '=', from).executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new OryError(409, 'The request was already handled', 'This logout challenge has already been used.', ErrorId.conflict);
  }

  private async live(projectId: string, challenge: string): Promise<OAuth2LogoutRequestsTable> {
    const row = challenge.length <= 512 ? await this.d.db.selectFrom('oauth2_logout_requests').selectAll().where('project_id', '=', projectId).where('challenge_hash', '=', this.h('challenge', challenge)).executeTakeFirst() : undefined;
    if (!row || Date.parse(row.expires_at) <= Date.now()) throw notFound('The logout challenge is unknown or has expired.');
    return row;
  }

  /** OAuth2LogoutRequest; 410 with redirect_to once handled (as for login and consent). */
  async get(projectId: string, challenge: string, reply: FastifyReply): Promise<unknown> {
    const row = await this.live(projectId, challenge);
    const request = JSON.parse(row.request) as LogoutRequest;
    if (row.state !== 'logout_requested') return reply.code(410).send({ redirect_to: request.request_url });
    const client = row.client_id ? await this.d.clients.get(projectId, row.client_id) : null;
    const out: Record<string, unknown> = { challenge, subject: row.subject, sid: row.sid, request_url: request.request_url, rp_initiated: request.rp_initiated, requested_at: row.created_at, expires_at: row.expires_at };
    if (client) out.client = client;
    return out;
  }

  async accept(projectId: string, challenge: string, issuer: string): Promise<{ redirect_to: string }> {
    const row = await this.live(projectId, challenge);
    const verifier = randomToken();
    await this.transition(row, 'logout_requested', { state: 'logout_accepted', verifier_hash: this.h('verifier', verifier) });
    // The login session ends: later flows of this browser go through the login UI again.
    if (row.sid) await this.d.store.revokeLogins(projectId, { sid: row.sid });
    return { redirect_to: withParams(`${issuer}/oauth2/sessions/logout`, { logout_verifier: verifier }) };
  }

  async reject(projectId: string, challenge: string): Promise<void> {
    const row = await this.live(projectId, challenge);
    await this.transition(row, 'logout_requested', { state: 'logout_rejected' });
  }
}
