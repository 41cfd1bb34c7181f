import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestContext, dialectName, seedTenant, type Tenant, type TestContext } from '../helpers/context.js';

describe(`workspaces, members and invites (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  let other: Tenant;
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry);
    other = await seedTenant(ctx.registry, 'other');
  });
  afterAll(() => ctx.close());

  const call = (method: string, url: string, key: string, payload?: unknown) =>
    ctx.app.inject({ method: method as 'GET', url, headers: bearer(key), payload: payload as object });

  it('gets, lists and renames its own workspace; other workspaces do not exist for it', async () => {
    const ws = (await call('GET', `/workspaces/${t.workspaceId}`, t.workspaceKey)).json();
    expect(ws).toMatchObject({ id: t.workspaceId, name: 'acme workspace' });
    const list = (await call('GET', '/workspaces', t.workspaceKey)).json();
    expect(list).toMatchObject({ has_next_page: false, next_page_token: '' });
    expect(list.workspaces.map((w: { id: string }) => w.id)).toEqual([t.workspaceId]);
    const renamed = await call('PUT', `/workspaces/${t.workspaceId}`, t.workspaceKey, { name: 'Acme Inc' });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json().name).toBe('Acme Inc');
    expect((await call('GET', `/workspaces/${other.workspaceId}`, t.workspaceKey)).statusCode).toBe(404);
    expect((await call('PUT', `/workspaces/${other.workspaceId}`, t.workspaceKey, { name: 'Pwned' })).statusCode).toBe(404);
    expect((await call('GET', `/workspaces/${other.workspaceId}`, other.workspaceKey)).json().name).toBe('other workspace');
  });

  it('creates a workspace owned by the person behind the key', async () => {
    const res = await call('POST', '/workspaces', t.workspaceKey, { name: 'Second' });
    expect(res.statusCode).toBe(201);
    const members = await ctx.registry.db.selectFrom('workspace_members').selectAll().where('workspace_id', '=', res.json().id).execute();
    expect(members).toMatchObject([{ user_id: t.userId, role: 'owner' }]);
  });

  it('invites a member who accepts, lists and removes them; never the last owner', async () => {
    const invite = await call('POST', `/workspaces/${t.workspaceId}/invites`, t.workspaceKey, { email: 'New.Dev@Example.com', role: 'developer' });
    expect(invite.statusCode).toBe(201);
    const inv = invite.json();
    expect(inv).toMatchObject({ email: 'new.dev@example.com', role: 'developer', workspace_id: t.workspaceId });
    expect(inv.token.length).toBeGreaterThan(20);
    const open = (await call('GET', `/workspaces/${t.workspaceId}/invites`, t.workspaceKey)).json();
    expect(open.map((i: { id: string }) => i.id)).toContain(inv.id);
    expect(JSON.stringify(open)).not.toContain(inv.token);

    // Only the invited person may accept: another console user, even a member of another workspace, is refused.
    await expect(ctx.registry.tenancy.members.accept(inv.token, other.userId)).rejects.toMatchObject({ code: 403, id: 'forbidden' });
    const { user } = await ctx.registry.tenancy.users.findOrCreate('new.dev@example.com');
    await ctx.registry.tenancy.members.accept(inv.token, user.id);
    await expect(ctx.registry.tenancy.members.accept(inv.token, user.id)).rejects.toMatchObject({ code: 404 });

    const members = (await call('GET', `/workspaces/${t.workspaceId}/members`, t.workspaceKey)).json();
    expect(members.map((m: { email: string; role: string }) => [m.email, m.role])).toEqual(expect.arrayContaining([['new.dev@example.com', 'developer']]));
    const projectMembers = (await call('GET', `/projects/${t.projectId}/members`, t.workspaceKey)).json();
    expect(projectMembers.map((m: { id: string }) => m.id)).toContain(user.id);

    // The only owner cannot be removed or demoted.
    const lastOwner = await call('DELETE', `/workspaces/${t.workspaceId}/members/${t.userId}`, t.workspaceKey);
    expect(lastOwner.statusCode).toBe(409);
    expect(lastOwner.json().error.id).toBe('last_owner');
    expect((await call('PUT', `/workspaces/${t.workspaceId}/members/${t.userId}`, t.workspaceKey, { role: 'viewer' })).statusCode).toBe(409);
    // Promote the newcomer; now the original owner may step down.
    expect((await call('PUT', `/workspaces/${t.workspaceId}/members/${user.id}`, t.workspaceKey, { role: 'owner' })).json().role).toBe('owner');
    expect((await call('PUT', `/workspaces/${t.workspaceId}/members/${t.userId}`, t.workspaceKey, { role: 'developer' })).statusCode).toBe(200);
    expect((await call('PUT', `/workspaces/${t.workspaceId}/members/${t.userId}`, t.workspaceKey, { role: 'owner' })).statusCode).toBe(200);
    expect((await call('DELETE', `/projects/${t.projectId}/members/${user.id}`, t.workspaceKey)).statusCode).toBe(204);
    expect((await call('DELETE', `/workspaces/${t.workspaceId}/members/${user.id}`, t.workspaceKey)).statusCode).toBe(404);
  });

  it('an invite is bound to its email: anyone else is refused (403) and it stays open for the invited person', async () => {
    const members = ctx.registry.tenancy.members;
    const inv = (await call('POST', `/workspaces/${t.workspaceId}/invites`, t.workspaceKey, { email: 'Bound.Person@Example.COM', role: 'viewer' })).json();
    expect(inv.email).toBe('bound.person@example.com');
    const { user: stranger } = await ctx.registry.tenancy.users.findOrCreate(`stranger-${inv.id}@example.com`);
    const refusal = await members.accept(inv.token, stranger.id).catch((err) => err);
    expect(refusal).toMatchObject({ code: 403, id: 'forbidden', reason: expect.stringContaining('another email address') });
    expect(refusal.toBody('req')).toMatchObject({ error: { code: 403, status: 'Forbidden', id: 'forbidden', request: 'req' } });
    // The inviting workspace's own owner is someone else too.
    await expect(members.accept(inv.token, t.userId)).rejects.toMatchObject({ code: 403 });
    // By email (the CLI): a wrong email is refused before any user is created.
    await expect(members.acceptAs(inv.token, `nobody-${inv.id}@example.com`)).rejects.toMatchObject({ code: 403 });
    expect(await ctx.registry.tenancy.users.byEmail(`nobody-${inv.id}@example.com`)).toBeUndefined();
    const memberIds = async () => (await call('GET', `/workspaces/${t.workspaceId}/members`, t.workspaceKey)).json().map((m: { id: string }) => m.id);
    expect(await memberIds()).not.toContain(stranger.id);
    expect((await call('GET', `/workspaces/${t.workspaceId}/invites`, t.workspaceKey)).json().map((i: { id: string }) => i.id)).toContain(inv.id);

    // The invited person, in any case and with surrounding spaces, accepts (the user is created on the way).
    const accepted = await members.acceptAs(inv.token, ' BOUND.person@example.com ');
    expect(accepted).toMatchObject({ workspace_id: t.workspaceId, role: 'viewer', email: 'bound.person@example.com' });
    const bound = (await ctx.registry.tenancy.users.byEmail('bound.person@example.com'))!;
    expect(await memberIds()).toContain(bound.id);
    await expect(members.acceptAs(inv.token, 'bound.person@example.com')).rejects.toMatchObject({ code: 404 });
    // An unknown token is a 404 whoever asks, never a 403 that would confirm anything.
    await expect(members.accept('x'.repeat(32), stranger.id)).rejects.toMatchObject({ code: 404 });
  });

  it('refuses bad invites and other tenants', async () => {
    expect((await call('POST', `/workspaces/${t.workspaceId}/invites`, t.workspaceKey, { email: 'not-an-email', role: 'developer' })).statusCode).toBe(400);
    expect((await call('POST', `/workspaces/${t.workspaceId}/invites`, t.workspaceKey, { email: 'a@example.com', role: 'god' })).statusCode).toBe(400);
    expect((await call('POST', `/workspaces/${t.workspaceId}/invites`, other.workspaceKey, { email: 'a@example.com', role: 'viewer' })).statusCode).toBe(404);
    expect((await call('GET', `/workspaces/${t.workspaceId}/members`, other.workspaceKey)).statusCode).toBe(404);
    expect((await call('DELETE', `/workspaces/${t.workspaceId}/members/${t.userId}`, other.workspaceKey)).statusCode).toBe(404);
    const inv = (await call('POST', `/workspaces/${t.workspaceId}/invites`, t.workspaceKey, { email: 'revoked@example.com', role: 'viewer' })).json();
    expect((await call('DELETE', `/workspaces/${t.workspaceId}/invites/${inv.id}`, other.workspaceKey)).statusCode).toBe(404);
    expect((await call('DELETE', `/workspaces/${t.workspaceId}/invites/${inv.id}`, t.workspaceKey)).statusCode).toBe(204);
    await expect(ctx.registry.tenancy.members.accept(inv.token, t.userId)).rejects.toMatchObject({ code: 404 });
    expect((await call('POST', `/workspaces/${t.workspaceId}/invites`, t.workspaceKey, { email: t.email, role: 'viewer' })).statusCode).toBe(409);
  });
});

describe(`B2B SSO organizations (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  let other: Tenant;
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry);
    other = await seedTenant(ctx.registry, 'other');
  });
  afterAll(() => ctx.close());

  const call = (method: string, url: string, key: string, payload?: unknown) =>
    ctx.app.inject({ method: method as 'GET', url, headers: bearer(key), payload: payload as object });

  it('creates, lists, filters, updates and deletes organizations; one domain per project', async () => {
    const base = `/projects/${t.projectId}/organizations`;
    const created = await call('POST', base, t.workspaceKey, { label: 'Contoso', domains: ['Contoso.com', 'contoso.org'] });
    expect(created.statusCode).toBe(201);
    const org = created.json();
    expect(org).toMatchObject({ label: 'Contoso', domains: ['contoso.com', 'contoso.org'] });
    expect(org.created_at).toBeTruthy();

    const dup = await call('POST', base, t.workspaceKey, { label: 'Imposter', domains: ['contoso.com'] });
    expect(dup.statusCode).toBe(409);
    // Another project may claim the same domain.
    expect((await call('POST', `/projects/${other.projectId}/organizations`, other.workspaceKey, { label: 'Other', domains: ['contoso.com'] })).statusCode).toBe(201);

    const list = (await call('GET', base, t.workspaceKey)).json();
    expect(list.organizations.map((o: { id: string }) => o.id)).toEqual([org.id]);
    expect(list).toMatchObject({ has_next_page: false, next_page_token: '' });
    expect((await call('GET', `${base}?domain=contoso.org`, t.workspaceKey)).json().organizations).toHaveLength(1);
    expect((await call('GET', `${base}?domain=nope.com`, t.workspaceKey)).json().organizations).toHaveLength(0);
    expect((await call('GET', `${base}/${org.id}`, t.workspaceKey)).json()).toEqual({ organization: org });
    expect((await call('GET', `/projects/${t.projectId}`, t.workspaceKey)).json().organizations).toEqual([{ id: org.id, label: 'Contoso', domains: ['contoso.com', 'contoso.org'] }]);

    const updated = await call('PUT', `${base}/${org.id}`, t.workspaceKey, { label: 'Contoso Ltd', domains: ['contoso.net'] });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ label: 'Contoso Ltd', domains: ['contoso.net'] });
    // The released domain can now be used by another organization.
    expect((await call('POST', base, t.workspaceKey, { label: 'Fresh', domains: ['contoso.com'] })).statusCode).toBe(201);

    expect((await call('GET', `${base}/${org.id}`, other.workspaceKey)).statusCode).toBe(404);
    expect((await call('GET', `/projects/${other.projectId}/organizations/${org.id}`, other.workspaceKey)).statusCode).toBe(404);
    expect((await call('DELETE', `/projects/${other.projectId}/organizations/${org.id}`, other.workspaceKey)).statusCode).toBe(404);
    expect((await call('DELETE', `${base}/${org.id}`, t.workspaceKey)).statusCode).toBe(204);
    expect((await call('GET', `${base}/${org.id}`, t.workspaceKey)).statusCode).toBe(404);
  });

  it('still opens an invite stored before token hashes named their purpose', async () => {
    const { createHmac } = await import('node:crypto');
    const inv = (await call('POST', `/workspaces/${t.workspaceId}/invites`, t.workspaceKey, { email: 'old.link@example.com', role: 'viewer' })).json();
    const legacy = createHmac('sha256', ctx.registry.config.secret).update(`invite:${inv.token}`).digest('hex');
    await ctx.registry.db.updateTable('workspace_invites').set({ token_hash: legacy }).where('id', '=', inv.id).execute();
    expect(await ctx.registry.tenancy.members.inviteByToken(inv.token)).toMatchObject({ id: inv.id, workspace_id: t.workspaceId });
    expect(await ctx.registry.tenancy.members.acceptAs(inv.token, 'old.link@example.com')).toMatchObject({ workspace_id: t.workspaceId, role: 'viewer' });
  });

  it('refuses invalid organizations', async () => {
    const base = `/projects/${t.projectId}/organizations`;
    expect((await call('POST', base, t.workspaceKey, { domains: ['a.com'] })).statusCode).toBe(400);
    expect((await call('POST', base, t.workspaceKey, { label: 'x', domains: ['not a domain'] })).statusCode).toBe(400);
    expect((await call('POST', base, t.workspaceKey, { label: 'x', domains: 'a.com' })).statusCode).toBe(400);
    expect((await call('POST', base, t.workspaceKey, { label: 'x', extra: 1 })).statusCode).toBe(400);
    expect((await call('GET', `${base}?page_size=0`, t.workspaceKey)).statusCode).toBe(400);
  });
});
