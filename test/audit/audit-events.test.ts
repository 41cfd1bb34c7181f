import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestContext, dialectName, seedTenant, type Tenant, type TestContext } from '../helpers/context.js';
import { signUp, type ConsoleUser } from '../console/helpers.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { loadConfig } from '../../src/platform/config/config.js';

type Event = { id: string; event: string; occurred_at: string; actor: { kind: string; id: string | null; name: string | null }; target: { type: string; id: string; name: string | null }; client_address: string | null; outcome: string; details: Record<string, unknown>; workspace_id: string; project_id: string | null };

describe(`audit log (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  let other: Tenant;
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry);
    other = await seedTenant(ctx.registry, 'other');
  });
  afterAll(() => ctx.close());

  const call = (method: string, url: string, headers: Record<string, string>, payload?: unknown, remoteAddress = '198.51.100.7') =>
    ctx.app.inject({ method: method as 'GET', url, headers, payload: payload as object, remoteAddress });
  const events = async (workspaceId: string, key: string, query = ''): Promise<Event[]> => {
    const res = await call('GET', `/workspaces/${workspaceId}/audit-events${query}`, bearer(key));
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const keyIdOf = async (workspaceId: string) => (await ctx.registry.db.selectFrom('api_keys').select('id').where('workspace_id', '=', workspaceId).where('kind', '=', 'workspace').executeTakeFirstOrThrow()).id;

  it('records every management change with actor, client address, target and outcome, newest first', async () => {
    const k = bearer(t.workspaceKey);
    const created = (await call('POST', '/projects', k, { name: 'Audited', environment: 'dev', workspace_id: t.workspaceId })).json();
    const put = await call('GET', `/projects/${created.id}`, k);
    expect((await call('PUT', `/projects/${created.id}`, k, { ...(put.json() as object), name: 'Audited 2' })).statusCode).toBe(200);
    expect((await call('PATCH', `/projects/${created.id}`, k, [{ op: 'replace', path: '/services/identity/config/session/lifespan', value: '1h' }])).statusCode).toBe(200);
    const invite = (await call('POST', `/workspaces/${t.workspaceId}/invites`, k, { email: 'audited@example.com', role: 'viewer' })).json();
    const { user } = await ctx.registry.tenancy.users.findOrCreate('audited@example.com');
    await ctx.registry.tenancy.members.accept(invite.token, user.id);
    expect((await call('PUT', `/workspaces/${t.workspaceId}/members/${user.id}`, k, { role: 'developer' })).statusCode).toBe(200);
    expect((await call('DELETE', `/workspaces/${t.workspaceId}/members/${user.id}`, k)).statusCode).toBe(204);
    const key = (await call('POST', `/projects/${created.id}/tokens`, k, { name: 'ci key' })).json();
    expect((await call('DELETE', `/projects/${created.id}/tokens/${key.id}`, k)).statusCode).toBe(204);
    expect((await call('DELETE', `/projects/${created.id}`, k)).statusCode).toBe(204);

    const list = await events(t.workspaceId, t.workspaceKey);
    expect(list.map((e) => e.event)).toEqual(['project.deleted', 'api_key.deleted', 'api_key.created', 'member.removed', 'member.role_changed', 'member.invited', 'project.config_changed', 'project.config_changed', 'project.created']);
    const actor = { kind: 'api_key', id: await keyIdOf(t.workspaceId), name: 'test' };
    for (const e of list) expect(e).toMatchObject({ workspace_id: t.workspaceId, actor, client_address: '198.51.100.7', outcome: 'success' });
    const byEvent = (name: string) => list.filter((e) => e.event === name);
    expect(byEvent('project.created')[0]).toMatchObject({ project_id: created.id, target: { type: 'project', id: created.id, name: 'Audited' }, details: { environment: 'dev' } });
    expect(byEvent('project.config_changed')[0].details).toMatchObject({ method: 'PATCH', paths: ['/services/identity/config/session/lifespan'] });
    expect(byEvent('project.config_changed')[1].details).toMatchObject({ method: 'PUT' });
    expect(byEvent('member.invited')[0]).toMatchObject({ target: { type: 'invite', id: invite.id, name: 'audited@example.com' }, details: { role: 'viewer' } });
    expect(byEvent('member.role_changed')[0]).toMatchObject({ target: { type: 'member', id: user.id, name: 'audited@example.com' }, details: { role: 'developer' } });
    expect(byEvent('api_key.created')[0]).toMatchObject({ project_id: created.id, target: { type: 'api_key', id: key.id, name: 'ci key' } });
    expect(byEvent('api_key.deleted')[0].target).toMatchObject({ type: 'api_key', id: key.id });
    expect(byEvent('project.deleted')[0].target).toMatchObject({ id: created.id, name: 'Audited 2' });
    // A refused change leaves no success record.
    expect((await call('DELETE', `/projects/${created.id}`, k)).statusCode).toBe(404);
    expect((await events(t.workspaceId, t.workspaceKey))[0].id).toBe(list[0].id);
  });

  it('names a console user by email, records an accepted invite, and is readable by owners only', async () => {
    const owner = await signUp(ctx.app, 'owner');
    const ws = (await call('POST', '/workspaces', owner.headers, { name: 'Console ws' })).json();
    const project = await call('POST', '/projects', owner.headers, { name: 'By hand', environment: 'dev', workspace_id: ws.id });
    expect(project.statusCode).toBe(201);
    const dev: ConsoleUser = await signUp(ctx.app, 'dev');
    const invite = (await call('POST', `/workspaces/${ws.id}/invites`, owner.headers, { email: dev.email, role: 'developer' })).json();
    expect((await call('POST', '/console/api/invites/accept', dev.headers, { token: invite.token })).statusCode).toBe(200);

    const res = await call('GET', `/workspaces/${ws.id}/audit-events`, { cookie: owner.cookie });
    expect(res.statusCode).toBe(200);
    const list: Event[] = res.json();
    expect(list.map((e) => e.event)).toEqual(['invite.accepted', 'member.invited', 'project.created']);
    expect(list[0]).toMatchObject({ actor: { kind: 'user', id: dev.userId, name: dev.email }, target: { type: 'member', id: dev.userId }, details: { role: 'developer' } });
    expect(list[2].actor).toEqual({ kind: 'user', id: owner.userId, name: owner.email });

    // A developer is refused (403); a stranger, another workspace's key and a project key learn nothing.
    expect((await call('GET', `/workspaces/${ws.id}/audit-events`, { cookie: dev.cookie })).statusCode).toBe(403);
    const stranger = await signUp(ctx.app, 'stranger');
    expect((await call('GET', `/workspaces/${ws.id}/audit-events`, { cookie: stranger.cookie })).statusCode).toBe(404);
    const foreign = await call('GET', `/workspaces/${ws.id}/audit-events`, bearer(other.workspaceKey));
    const missing = await call('GET', `/workspaces/0190f1c5-0000-7000-8000-000000000000/audit-events`, bearer(other.workspaceKey));
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().error).toMatchObject({ code: 404, message: missing.json().error.message, reason: missing.json().error.reason });
    expect((await call('GET', `/workspaces/${ws.id}/audit-events`, bearer(t.projectKey))).statusCode).toBe(401);
    expect((await call('GET', `/workspaces/${ws.id}/audit-events`, {})).statusCode).toBe(401);
    // Each workspace sees its own events only.
    expect((await events(other.workspaceId, other.workspaceKey)).length).toBe(0);
  });

  it('pages newest first with Link headers and filters by actor, target, event type and time', async () => {
    const s = await seedTenant(ctx.registry, 'pager');
    const k = bearer(s.workspaceKey);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await call('POST', '/projects', k, { name: `P${i}`, environment: 'dev', workspace_id: s.workspaceId })).json().id);
    await call('DELETE', `/projects/${ids[0]}`, k);

    const first = await call('GET', `/workspaces/${s.workspaceId}/audit-events?page_size=4&event=project.created`, k);
    expect(first.json().map((e: Event) => e.target.id)).toEqual([ids[4], ids[3], ids[2], ids[1]]);
    const next = /<([^>]+)>; rel="next"/.exec(String(first.headers.link))![1];
    expect(next).toContain('event=project.created');
    const second = await call('GET', next, k);
    expect(second.json().map((e: Event) => e.target.id)).toEqual([ids[0]]);
    expect(String(second.headers.link)).not.toContain('rel="next"');

    expect((await events(s.workspaceId, s.workspaceKey, `?target=${ids[0]}`)).map((e) => e.event)).toEqual(['project.deleted', 'project.created']);
    expect((await events(s.workspaceId, s.workspaceKey, '?event=project.deleted,%20member.invited')).length).toBe(1);
    expect((await events(s.workspaceId, s.workspaceKey, `?actor=${await keyIdOf(s.workspaceId)}`)).length).toBe(6);
    expect((await events(s.workspaceId, s.workspaceKey, '?actor=someone-else')).length).toBe(0);
    const all = await events(s.workspaceId, s.workspaceKey);
    const middle = all[3].occurred_at;
    const since = await events(s.workspaceId, s.workspaceKey, `?since=${encodeURIComponent(middle)}`);
    expect(since.every((e) => e.occurred_at >= middle)).toBe(true);
    expect(since.length).toBeGreaterThanOrEqual(4);
    expect((await events(s.workspaceId, s.workspaceKey, '?until=2000-01-01T00:00:00Z')).length).toBe(0);
    expect((await events(s.workspaceId, s.workspaceKey, '?since=2000-01-01T00:00:00%2B02:00')).length).toBe(6);
  });

  it('refuses bad filters with 400 in Ory\'s shape', async () => {
    for (const q of ['since=yesterday', 'until=2024-13-01T00:00:00Z', 'event=DROP%20TABLE', 'event=,', 'page_token=bogus', 'page_size=0', 'page_size=5000', 'colour=red', 'since=2024-02-01T00:00:00Z&until=2024-01-01T00:00:00Z', `page_token=${Buffer.from('k:not-a-uuid').toString('base64url')}`]) {
      const res = await call('GET', `/workspaces/${t.workspaceId}/audit-events?${q}`, bearer(t.workspaceKey));
      expect(res.statusCode, q).toBe(400);
      expect(res.json().error, q).toMatchObject({ code: 400, status: 'Bad Request' });
    }
  });

  it('never contains a secret: no key value or invite token in the log or its table', async () => {
    const s = await seedTenant(ctx.registry, 'secrets');
    const k = bearer(s.workspaceKey);
    const values = [s.workspaceKey, s.projectKey];
    const wk = (await call('POST', `/workspaces/${s.workspaceId}/tokens`, k, { name: 'second' })).json();
    const pk = (await call('POST', `/projects/${s.projectId}/tokens`, k, { name: 'project' })).json();
    values.push(wk.value, pk.value);
    expect((await call('GET', `/projects/${s.projectId}`, bearer(wk.value))).statusCode).toBe(200);
    expect((await call('GET', `/p/${s.projectSlug}/admin/identities`, bearer(pk.value))).statusCode).toBe(200);
    await call('DELETE', `/workspaces/${s.workspaceId}/tokens/${wk.id}`, k);
    await call('DELETE', `/projects/${s.projectId}/tokens/${pk.id}`, k);
    const invite = (await call('POST', `/workspaces/${s.workspaceId}/invites`, k, { email: 'x@example.com', role: 'viewer' })).json();
    values.push(invite.token);
    const res = await call('GET', `/workspaces/${s.workspaceId}/audit-events`, k);
    expect(res.json().length).toBe(5);
    const rows = JSON.stringify(await ctx.registry.db.selectFrom('audit_events').selectAll().execute());
    const hashes = (await ctx.registry.db.selectFrom('api_keys').select('secret_hash').where('workspace_id', '=', s.workspaceId).execute()).map((r) => r.secret_hash);
    for (const secret of [...values, ...hashes]) {
      expect(res.body).not.toContain(secret);
      expect(JSON.stringify(res.headers)).not.toContain(secret);
      expect(rows).not.toContain(secret);
    }
  });

  it('deletes events past the retention period in bounded batches; AUDIT_RETENTION is a Go duration', async () => {
    const log = new AuditLog({ db: ctx.registry.db, retentionMs: 3_600_000, sweepEveryMs: 0 });
    const s = await seedTenant(ctx.registry, 'retention');
    for (let i = 0; i < 3; i++) await log.record({ workspaceId: s.workspaceId, event: 'project.created', actor: { kind: 'anonymous' }, target: { type: 'project', id: `p${i}` } });
    await ctx.registry.db.updateTable('audit_events').set({ occurred_at: new Date(Date.now() - 2 * 3_600_000).toISOString() }).where('workspace_id', '=', s.workspaceId).where('target_id', '=', 'p0').execute();
    expect(await log.sweep()).toBeGreaterThanOrEqual(1);
    expect((await log.list(s.workspaceId, {}, 10)).events.map((e) => e.target.id)).toEqual(['p2', 'p1']);
    log.close();
    expect(loadConfig({ SECRETS_DEFAULT: 'x'.repeat(32), DATA_DIR: '/tmp/gatehouse-audit-config' }).auditRetentionMs).toBe(90 * 24 * 3_600_000);
    expect(loadConfig({ SECRETS_DEFAULT: 'x'.repeat(32), AUDIT_RETENTION: '720h', DATA_DIR: '/tmp/gatehouse-audit-config' }).auditRetentionMs).toBe(30 * 24 * 3_600_000);
    expect(() => loadConfig({ SECRETS_DEFAULT: 'x'.repeat(32), AUDIT_RETENTION: '90 days', DATA_DIR: '/tmp/gatehouse-audit-config' })).toThrow(/AUDIT_RETENTION/);
  });

  it('records a repeated refusal once a minute, and a failed write goes to onError instead of the request', async () => {
    const errors: unknown[] = [];
    const log = new AuditLog({ db: ctx.registry.db, retentionMs: 3_600_000, sweepEveryMs: 0, onError: (e) => errors.push(e) });
    const s = await seedTenant(ctx.registry, 'refusals');
    const refusal = { workspaceId: s.workspaceId, event: 'api_key.refused', actor: { kind: 'api_key' as const, id: 'k1', name: 'ci' }, clientAddress: '203.0.113.9', target: { type: 'api_key', id: 'k1' }, outcome: 'refused' as const, details: { reason: 'ip' } };
    for (let i = 0; i < 5; i++) await log.record(refusal);
    await log.record({ ...refusal, details: { reason: 'scope' } });
    expect((await log.list(s.workspaceId, {}, 10)).events.map((e) => [e.outcome, e.details.reason])).toEqual([['refused', 'scope'], ['refused', 'ip']]);
    await expect(log.record({ ...refusal, workspaceId: null as unknown as string, outcome: 'success' })).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
    log.close();
  });
});
