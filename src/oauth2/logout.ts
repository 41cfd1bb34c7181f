import { compactVerify, createLocalJWKSet } from 'jose';
import type { ClientService } from './clients.js';
import type { JwkService } from './jwks.js';
import { loginSessionCookie, type OAuth2SessionStore } from './sessions.js';
import { newId } from '../platform/ids.js';
import { invalidRequest, OAuth2Error } from './errors.js';
import { DuplicateParam, param, uiUrl, withParams } from './util.js';
import { randomToken } from '../platform/crypto.js';
import type { LogoutRequest, LogoutStore } from './logout-store.js';
import { redirect, type BrowserRedirect, type BrowserRequest } from './browser.js';

type Deps = { logouts: LogoutStore; clients: ClientService; jwks: JwkService; store: OAuth2SessionStore };

/**
 * OpenID Connect RP-initiated logout with Hydra's logout challenge: /oauth2/sessions/logout sends the
 * browser to the project's logout UI with a challenge; the UI accepts (→ back to the client's
 * registered post_logout_redirect_uri) or rejects it through the admin API (ChallengeService).
 */
export class LogoutService {
  constructor(private readonly d: Deps) {}

  /** GET /oauth2/sessions/logout. */
  async handle(r: BrowserRequest): Promise<BrowserRedirect> {
    const { project, config, issuer, query: q } = r;
    try {
      const verifier = param(q, 'logout_verifier');
      if (verifier !== undefined) return await this.finish(r, verifier);
      const hint = param(q, 'id_token_hint');
      const redirectTo = param(q, 'post_logout_redirect_uri');
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
      const remembered = await this.d.store.loginByCookie(project.id, r.cookies[loginSessionCookie(project.id)]);
      if (!subject && remembered) {
        subject = remembered.subject;
        sid = remembered.sid;
      }
      if (redirectTo !== undefined) {
        if (!clientId) throw invalidRequest('A post_logout_redirect_uri requires an id_token_hint.');
        const client = await this.d.clients.get(project.id, clientId);
        if (!((client?.post_logout_redirect_uris as string[] | undefined) ?? []).includes(redirectTo)) {
          throw invalidRequest('The post_logout_redirect_uri is not registered for the client of the id_token_hint.');
        }
      }
      const challenge = randomToken();
      const request: LogoutRequest = { request_url: `${issuer}/oauth2/sessions/logout${r.rawQuery ? `?${r.rawQuery}` : ''}`, rp_initiated: !!hint, post_logout_redirect_uri: redirectTo, state };
      const now = new Date();
      await this.d.logouts.insert({
        id: newId(), project_id: project.id, client_id: clientId, state: 'logout_requested', challenge_hash: this.d.logouts.hash('challenge_hash', challenge), verifier_hash: null,
        subject, sid, request: JSON.stringify(request), created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + config.ttl.loginConsentRequestMs).toISOString(),
      });
      return redirect(uiUrl(config.urls.logout, issuer, 'logout', { logout_challenge: challenge }));
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

  private async finish(r: BrowserRequest, verifier: string): Promise<BrowserRedirect> {
    const row = await this.d.logouts.bySecret(r.project.id, 'verifier_hash', verifier);
    if (!row || row.state !== 'logout_accepted' || Date.parse(row.expires_at) <= Date.now()) {
      throw new OAuth2Error('invalid_request', 'The logout verifier is unknown, expired or was already used.', 400);
    }
    await this.d.logouts.advance(row, 'logout_accepted', { state: 'done' });
    const request = JSON.parse(row.request) as LogoutRequest;
    const fallback = r.config.urls.postLogoutRedirect ?? `${r.issuer}/ui/welcome`;
    const target = request.post_logout_redirect_uri ? withParams(request.post_logout_redirect_uri, { state: request.state }) : fallback;
    return redirect(target, [{ name: loginSessionCookie(r.project.id), clear: true }]);
  }
}
