import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { bearer, createTestContext, seedTenant, type Tenant, type TestContext } from '../helpers/context.js';

export { bearer, createTestContext, seedTenant, type Tenant, type TestContext };

/** An in-process client of one project's frontend API (`/p/{slug}`), with an optional cookie jar. */
export class Client {
  readonly jar = new Map<string, string>();
  constructor(readonly ctx: TestContext, readonly slug: string, readonly opts: { browser?: boolean; ip?: string } = {}) {}

  get base(): string {
    return `/p/${this.slug}`;
  }

  async req(method: 'GET' | 'POST' | 'DELETE' | 'PATCH', path: string, o: { json?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = { accept: 'application/json', ...(o.headers ?? {}) };
    if (this.jar.size) headers.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    let payload: string | undefined;
    if (o.json !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(o.json);
    } else if (o.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      payload = new URLSearchParams(o.form).toString();
    }
    const res = await this.ctx.app.inject({ method, url: path.startsWith('/p/') ? path : `${this.base}${path}`, headers, payload, remoteAddress: this.opts.ip ?? '127.0.0.1' });
    for (const c of res.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const gone = c.maxAge === 0 || (c.expires && c.expires.getTime() <= Date.now()) || c.value === '';
      if (gone) this.jar.delete(c.name);
      else this.jar.set(c.name, c.value);
    }
    return res;
  }

  get(path: string, headers?: Record<string, string>) {
    return this.req('GET', path, { headers });
  }
  post(path: string, json: unknown, headers?: Record<string, string>) {
    return this.req('POST', path, { json, headers });
  }
}

export const randomEmail = (label = 'user') => `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
export const GOOD_PASSWORD = 'correct horse battery staple 42';

/** Creates a native registration flow and registers; returns the 200 body. */
export async function registerNative(c: Client, email: string, password = GOOD_PASSWORD, traits?: Record<string, unknown>) {
  const flow = await c.get('/self-service/registration/api');
  expect(flow.statusCode, flow.body).toBe(200);
  const res = await c.post(`/self-service/registration?flow=${flow.json().id}`, { method: 'password', password, traits: traits ?? { email } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { session: any; session_token: string; identity: any; continue_with: any[] };
}

export async function loginNative(c: Client, identifier: string, password: string) {
  const flow = await c.get('/self-service/login/api');
  expect(flow.statusCode, flow.body).toBe(200);
  return c.post(`/self-service/login?flow=${flow.json().id}`, { method: 'password', identifier, password });
}

/** Applies JSON Patch operations to the project's config through the management API. */
export async function patchConfig(ctx: TestContext, t: Tenant, ops: { op: string; path: string; value?: unknown }[]) {
  const res = await ctx.app.inject({ method: 'PATCH', url: `/projects/${t.projectId}`, headers: bearer(t.workspaceKey), payload: ops });
  expect(res.statusCode, res.body).toBe(200);
}

/** The newest courier message to `recipient`, read through the admin API. */
export async function lastMessage(ctx: TestContext, t: Tenant, recipient: string): Promise<{ body: string; subject: string; template_type: string } | undefined> {
  const res = await ctx.app.inject({ method: 'GET', url: `/p/${t.projectSlug}/admin/courier/messages?recipient=${encodeURIComponent(recipient)}`, headers: bearer(t.projectKey) });
  expect(res.statusCode, res.body).toBe(200);
  const list = res.json() as { body: string; subject: string; template_type: string; created_at: string }[];
  return list.sort((a, b) => (a.created_at < b.created_at ? 1 : -1))[0];
}

export const codeOf = (body: string | undefined) => /\b(\d{6})\b/.exec(body ?? '')?.[1];

export const node = (flow: any, name: string) => flow.ui.nodes.find((n: any) => n.attributes.name === name && n.attributes.type !== 'submit');
export const messageIds = (flow: any, name?: string) => (name ? node(flow, name)?.messages ?? [] : flow.ui.messages ?? []).map((m: any) => m.id);
