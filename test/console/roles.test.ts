import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { signUp, type ConsoleUser } from './helpers.js';

/**
 * The Management API enforces workspace roles for console sessions exactly as the console shows
 * them: a viewer reads, a developer manages projects and keys, an owner also manages members; a
 * person outside the workspace sees a 404, as for a workspace that does not exist.
 */
describe('management API roles with console sessions', () => {
  let ctx: TestContext;
  let owner: ConsoleUser, developer: ConsoleUser, viewer: ConsoleUser, outsider: ConsoleUser;
  let ws: string, project: string;

  const call = (u: ConsoleUser, method: string, url: string, payload?: unknown) =>
    ctx.app.inject({ method: method as 'GET', url, headers: u.headers, ...(payload === undefined ? {} : { payload: payload as object }) });

  async function join(u: ConsoleUser, role: string) {
    const inv = await call(owner, 'POST', `/workspaces/${ws}/invites`, { email: u.email, role });
    expect(inv.statusCode).toBe(201);
    const token = inv.json().token;
    const lookup = await call(u, 'POST', '/console/api/invites/lookup', { token });
    expect(lookup.json()).toMatchObject({ workspace_id: ws, role });
    const acc = await call(u, 'POST', '/console/api/invites/accept', { token });
    expect(acc.statusCode).toBe(200);
  }

  beforeAll(async () => {
    ctx = await createTestContext();
    [owner, developer, viewer, outsider] = await Promise.all(['owner', 'dev', 'viewer', 'outsider'].map((l) => signUp(ctx.app, l)));
    const w = await call(owner, 'POST', '/workspaces', { name: 'Roles' });
    expect(w.statusCode).toBe(201);
    ws = w.json().id;
    const p = await call(owner, 'POST', '/projects', { name: 'Roles project', environment: 'dev', workspace_id: ws });
    expect(p.statusCode).toBe(201);
    project = p.json().id;
    await join(developer, 'developer');
    await join(viewer, 'viewer');
  });
  afterAll(() => ctx.close());

  it('a viewer reads but cannot create keys or projects, change config, or touch members (403)', async () => {
    for (const [m, u] of [['GET', `/workspaces/${ws}`], ['GET', `/workspaces/${ws}/projects`], ['GET', `/projects/${project}`], ['GET', `/projects/${project}/tokens`], ['GET', `/workspaces/${ws}/tokens`], ['GET', `/workspaces/${ws}/members`]]) {
      expect((await call(viewer, m, u)).statusCode, `${m} ${u}`).toBe(200);
    }
    expect((await call(viewer, 'POST', `/projects/${project}/tokens`, { name: 'nope' })).statusCode).toBe(403);
    expect((await call(viewer, 'POST', `/workspaces/${ws}/tokens`, { name: 'nope' })).statusCode).toBe(403);
    expect((await call(viewer, 'POST', '/projects', { name: 'nope', environment: 'dev', workspace_id: ws })).statusCode).toBe(403);
    expect((await call(viewer, 'PATCH', `/projects/${project}`, [{ op: 'replace', path: '/name', value: 'x' }])).statusCode).toBe(403);
    expect((await call(viewer, 'POST', `/workspaces/${ws}/invites`, { email: 'x@example.com', role: 'viewer' })).statusCode).toBe(403);
    expect((await call(viewer, 'DELETE', `/projects/${project}`)).statusCode).toBe(403);
    const keys = await call(owner, 'GET', `/projects/${project}/tokens`);
    expect(keys.json()).toHaveLength(0);
  });

  it('a developer manages projects and keys but not members (403)', async () => {
    const key = await call(developer, 'POST', `/projects/${project}/tokens`, { name: 'dev key' });
    expect(key.statusCode).toBe(201);
    expect((await call(developer, 'DELETE', `/projects/${project}/tokens/${key.json().id}`)).statusCode).toBe(204);
    // A workspace key acts as an owner of its workspace: minting one is an owner's act, or a
    // developer could make themselves owner with it.
    const wkey = await call(developer, 'POST', `/workspaces/${ws}/tokens`, { name: 'dev ws key' });
    expect(wkey.statusCode).toBe(403);
    const ownerKey = await call(owner, 'POST', `/workspaces/${ws}/tokens`, { name: 'owner ws key' });
    expect(ownerKey.statusCode).toBe(201);
    expect((await call(developer, 'DELETE', `/workspaces/${ws}/tokens/${ownerKey.json().id}`)).statusCode).toBe(403);
    expect((await call(owner, 'DELETE', `/workspaces/${ws}/tokens/${ownerKey.json().id}`)).statusCode).toBe(204);
    const p = await call(developer, 'POST', '/projects', { name: 'Dev project', environment: 'stage', workspace_id: ws });
    expect(p.statusCode).toBe(201);
    expect((await call(developer, 'PATCH', `/projects/${p.json().id}`, [{ op: 'replace', path: '/name', value: 'Renamed' }])).statusCode).toBe(200);
    expect((await call(developer, 'POST', `/workspaces/${ws}/invites`, { email: 'x@example.com', role: 'viewer' })).statusCode).toBe(403);
    expect((await call(developer, 'DELETE', `/workspaces/${ws}/members/${viewer.userId}`)).statusCode).toBe(403);
    expect((await call(developer, 'PUT', `/workspaces/${ws}/members/${viewer.userId}`, { role: 'owner' })).statusCode).toBe(403);
    expect((await call(developer, 'PUT', `/workspaces/${ws}`, { name: 'Taken over' })).statusCode).toBe(403);
    const members = await call(owner, 'GET', `/workspaces/${ws}/members`);
    expect(members.json().find((m: { id: string }) => m.id === viewer.userId).role).toBe('viewer');
  });

  it('an owner does everything, but cannot remove or demote the last owner', async () => {
    expect((await call(owner, 'PUT', `/workspaces/${ws}`, { name: 'Roles renamed' })).statusCode).toBe(200);
    const inv = await call(owner, 'POST', `/workspaces/${ws}/invites`, { email: 'later@example.com', role: 'developer' });
    expect(inv.statusCode).toBe(201);
    expect((await call(owner, 'DELETE', `/workspaces/${ws}/invites/${inv.json().id}`)).statusCode).toBe(204);
    const last = await call(owner, 'DELETE', `/workspaces/${ws}/members/${owner.userId}`);
    expect(last.statusCode).toBe(409);
    expect(last.json().error.id).toBe('last_owner');
    expect((await call(owner, 'PUT', `/workspaces/${ws}/members/${owner.userId}`, { role: 'viewer' })).statusCode).toBe(409);
    const extra = await signUp(ctx.app, 'extra');
    await join(extra, 'viewer');
    expect((await call(owner, 'PUT', `/workspaces/${ws}/members/${extra.userId}`, { role: 'developer' })).statusCode).toBe(200);
    expect((await call(owner, 'DELETE', `/workspaces/${ws}/members/${extra.userId}`)).statusCode).toBe(204);
    // Removed: the workspace now looks like one that does not exist.
    expect((await call(extra, 'GET', `/workspaces/${ws}`)).statusCode).toBe(404);
  });

  it('a non-member gets 404 for the workspace, its projects and keys, and sees no workspaces', async () => {
    for (const [m, u, body] of [
      ['GET', `/workspaces/${ws}`], ['GET', `/workspaces/${ws}/projects`], ['GET', `/workspaces/${ws}/members`], ['GET', `/workspaces/${ws}/tokens`],
      ['POST', `/workspaces/${ws}/tokens`, { name: 'x' }], ['GET', `/projects/${project}`], ['GET', `/projects/${project}/tokens`],
      ['POST', `/projects/${project}/tokens`, { name: 'x' }], ['DELETE', `/projects/${project}`], ['POST', `/workspaces/${ws}/invites`, { email: 'x@example.com', role: 'owner' }],
    ] as [string, string, unknown?][]) {
      expect((await call(outsider, m, u, body)).statusCode, `${m} ${u}`).toBe(404);
    }
    const list = await call(outsider, 'GET', '/workspaces');
    expect(list.json().workspaces).toEqual([]);
  });

  it('state-changing calls need the CSRF token: missing or wrong is 403 and changes nothing', async () => {
    const before = (await call(owner, 'GET', `/projects/${project}/tokens`)).json().length;
    for (const csrf of [undefined, 'wrong-token', owner.csrf.slice(0, -1) + (owner.csrf.endsWith('A') ? 'B' : 'A'), developer.csrf]) {
      const headers: Record<string, string> = { cookie: owner.cookie, 'content-type': 'application/json' };
      if (csrf !== undefined) headers['x-csrf-token'] = csrf;
      const res = await ctx.app.inject({ method: 'POST', url: `/projects/${project}/tokens`, headers, payload: JSON.stringify({ name: 'csrf' }) });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.id).toBe('security_csrf_violation');
      const rename = await ctx.app.inject({ method: 'PUT', url: `/workspaces/${ws}`, headers, payload: JSON.stringify({ name: 'csrf' }) });
      expect(rename.statusCode).toBe(403);
      const del = await ctx.app.inject({ method: 'DELETE', url: `/projects/${project}`, headers: { cookie: owner.cookie, ...(csrf ? { 'x-csrf-token': csrf } : {}) } });
      expect(del.statusCode).toBe(403);
    }
    expect((await call(owner, 'GET', `/projects/${project}/tokens`)).json().length).toBe(before);
    expect((await call(owner, 'GET', `/workspaces/${ws}`)).json().name).not.toBe('csrf');
    expect((await call(owner, 'GET', `/projects/${project}`)).statusCode).toBe(200);
    // Reads need no CSRF token.
    expect((await ctx.app.inject({ method: 'GET', url: `/projects/${project}`, headers: { cookie: owner.cookie } })).statusCode).toBe(200);
  });

  it('an invite is single-use and needs a signed-in person', async () => {
    const a = await signUp(ctx.app, 'once');
    const inv = await call(owner, 'POST', `/workspaces/${ws}/invites`, { email: a.email, role: 'viewer' });
    const token = inv.json().token;
    expect((await ctx.app.inject({ method: 'POST', url: '/console/api/invites/lookup', payload: { token } })).statusCode).toBe(401);
    expect((await ctx.app.inject({ method: 'POST', url: '/console/api/invites/accept', payload: { token } })).statusCode).toBe(401);
    expect((await call(a, 'POST', '/console/api/invites/accept', { token })).statusCode).toBe(200);
    expect((await call(a, 'POST', '/console/api/invites/accept', { token })).statusCode).toBe(404);
    expect((await call(outsider, 'POST', '/console/api/invites/accept', { token })).statusCode).toBe(404);
  });

  it('only the person an invite names may accept it; anyone else gets a 403 and the invite stays open', async () => {
    const invitee = await signUp(ctx.app, 'invitee');
    // Invited under another spelling of the same address: emails compare as console users store them.
    const inv = await call(owner, 'POST', `/workspaces/${ws}/invites`, { email: invitee.email.toUpperCase(), role: 'developer' });
    expect(inv.statusCode).toBe(201);
    const token = inv.json().token;
    for (const someoneElse of [outsider, viewer]) {
      const res = await call(someoneElse, 'POST', '/console/api/invites/accept', { token });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: { code: 403, status: 'Forbidden', id: 'forbidden', reason: expect.stringContaining('another email address'), request: expect.any(String) } });
    }
    expect((await call(outsider, 'GET', `/workspaces/${ws}`)).statusCode).toBe(404);
    expect((await call(viewer, 'POST', `/workspaces/${ws}/invites`, { email: 'x@example.com', role: 'viewer' })).statusCode).toBe(403);
    expect((await call(invitee, 'POST', '/console/api/invites/lookup', { token })).json()).toMatchObject({ workspace_id: ws, role: 'developer' });
    expect((await call(invitee, 'POST', '/console/api/invites/accept', { token })).json()).toEqual({ workspace_id: ws, role: 'developer' });
    const members = (await call(owner, 'GET', `/workspaces/${ws}/members`)).json();
    expect(members.find((m: { id: string }) => m.id === invitee.userId)).toMatchObject({ role: 'developer' });
  });
});
