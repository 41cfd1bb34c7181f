import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { bearer, type Tenant } from '../helpers/context.js';

export const form = (o: Record<string, string | string[]>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) for (const x of [v].flat()) p.append(k, x);
  return p.toString();
};

export const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` });

export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Small in-process client for one tenant's OAuth2 APIs. */
export function oauth(app: FastifyInstance, t: Tenant) {
  const base = `/p/${t.projectSlug}`;
  const admin = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, payload?: unknown) =>
    app.inject({ method, url: `${base}${path}`, headers: bearer(t.projectKey), payload: payload as never });
  return {
    base,
    async createClient(body: Record<string, unknown>) {
      const res = await app.inject({ method: 'POST', url: `${base}/admin/clients`, headers: bearer(t.projectKey), payload: body });
      if (res.statusCode !== 201) throw new Error(`create client: ${res.statusCode} ${res.body}`);
      return res.json() as { client_id: string; client_secret: string; [k: string]: unknown };
    },
    token(params: Record<string, string | string[]>, headers: Record<string, string> = {}) {
      return app.inject({ method: 'POST', url: `${base}/oauth2/token`, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: form(params) });
    },
    introspect(token: string, scope?: string) {
      return app.inject({ method: 'POST', url: `${base}/admin/oauth2/introspect`, headers: { ...bearer(t.projectKey), 'content-type': 'application/x-www-form-urlencoded' }, payload: form(scope ? { token, scope } : { token }) });
    },
    admin,
    /** The admin calls a login or consent UI makes with its challenge. */
    loginRequest: (challenge: string) => admin('GET', `/admin/oauth2/auth/requests/login?login_challenge=${encodeURIComponent(challenge)}`),
    acceptLogin: (challenge: string, body: Record<string, unknown>) => admin('PUT', `/admin/oauth2/auth/requests/login/accept?login_challenge=${encodeURIComponent(challenge)}`, body),
    consentRequest: (challenge: string) => admin('GET', `/admin/oauth2/auth/requests/consent?consent_challenge=${encodeURIComponent(challenge)}`),
    acceptConsent: (challenge: string, body: Record<string, unknown>) => admin('PUT', `/admin/oauth2/auth/requests/consent/accept?consent_challenge=${encodeURIComponent(challenge)}`, body),
  };
}

/** Cookie jar for manual redirects: keeps name=value pairs from Set-Cookie headers. */
export class Jar {
  private cookies = new Map<string, string>();
  store(setCookie: string | string[] | undefined) {
    for (const c of [setCookie ?? []].flat()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      this.cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
    }
  }
  set(name: string, value: string) {
    this.cookies.set(name, value);
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}
