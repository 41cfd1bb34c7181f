import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import bcrypt from 'bcryptjs';
import { hash as argon2Hash } from '@node-rs/argon2';
import { createTestContext, seedTenant, type TestContext, type Tenant } from '../helpers/context.js';
import type { ResolvedProject } from '../../src/tenancy/project-resolver.js';
import { checkPasswordPolicy } from '../../src/identity/password-policy.js';
import { OryError } from '../../src/platform/errors/errors.js';

describe('identity services', () => {
  let ctx: TestContext;
  let t: Tenant;
  let other: Tenant;
  let project: ResolvedProject;
  let otherProject: ResolvedProject;
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry, 'svc');
    other = await seedTenant(ctx.registry, 'svc-other');
    project = (await ctx.registry.projects.bySlug(t.projectSlug))!;
    otherProject = (await ctx.registry.projects.bySlug(other.projectSlug))!;
  });
  afterAll(() => ctx.close());

  it('creates an identity from the preset schema, extracting identifier and addresses', async () => {
    const { identities } = ctx.registry;
    const i = await identities.create(project, { traits: { email: 'Alice@Example.com' }, credentials: { password: { config: { password: 'correct horse battery' } } } });
    expect(i.schema_id).toBe('preset://email');
    expect(i.state).toBe('active');
    expect(i.verifiable_addresses).toMatchObject([{ value: 'alice@example.com', via: 'email', verified: false, status: 'pending' }]);
    expect(i.recovery_addresses).toMatchObject([{ value: 'alice@example.com', via: 'email' }]);
    expect(i.credentials?.password).toMatchObject({ type: 'password', identifiers: ['alice@example.com'] });
    expect(i.credentials?.password.config).toBeUndefined();
    expect((await identities.findByPasswordIdentifier(t.projectId, 'ALICE@example.com'))?.id).toBe(i.id);
    expect(await identities.findByPasswordIdentifier(other.projectId, 'alice@example.com')).toBeNull();
    expect(await identities.verifyPassword(t.projectId, i.id, 'correct horse battery')).toBe(true);
    expect(await identities.verifyPassword(t.projectId, i.id, 'wrong')).toBe(false);
    expect(await identities.verifyPassword(other.projectId, i.id, 'correct horse battery')).toBe(false);
    expect((await identities.findByAddress(t.projectId, 'recovery', 'alice@example.com'))?.id).toBe(i.id);
    await identities.markAddressVerified(t.projectId, i.id, 'alice@example.com');
    const again = await identities.get(t.projectId, i.id);
    expect(again?.verifiable_addresses[0]).toMatchObject({ verified: true, status: 'completed' });
    expect(await identities.get(other.projectId, i.id)).toBeNull();
  });

  it('refuses a duplicate identifier with 409 but allows it in another project', async () => {
    const { identities } = ctx.registry;
    await identities.create(project, { traits: { email: 'dup@example.com' } });
    await expect(identities.create(project, { traits: { email: 'DUP@example.com' } })).rejects.toMatchObject({ code: 409 });
    await expect(identities.create(otherProject, { traits: { email: 'dup@example.com' } })).resolves.toMatchObject({ traits: { email: 'dup@example.com' } });
  });

  it('refuses traits that do not match the schema', async () => {
    await expect(ctx.registry.identities.create(project, { traits: { email: 'not-an-email' } })).rejects.toBeInstanceOf(OryError);
    await expect(ctx.registry.identities.create(project, { traits: { mail: 'x@example.com' } })).rejects.toMatchObject({ code: 400 });
  });

  it('imports bcrypt and argon2 hashes', async () => {
    const { identities } = ctx.registry;
    const b = await identities.create(project, { traits: { email: 'bcrypt@example.com' }, credentials: { password: { config: { hashed_password: bcrypt.hashSync('imported pw 1', 4) } } } });
    expect(await identities.verifyPassword(t.projectId, b.id, 'imported pw 1')).toBe(true);
    expect(await identities.verifyPassword(t.projectId, b.id, 'imported pw 2')).toBe(false);
    const a = await identities.create(project, { traits: { email: 'argon@example.com' }, credentials: { password: { config: { hashed_password: await argon2Hash('imported pw 3') } } } });
    expect(await identities.verifyPassword(t.projectId, a.id, 'imported pw 3')).toBe(true);
    await expect(identities.create(project, { traits: { email: 'bad@example.com' }, credentials: { password: { config: { hashed_password: 'md5:abc' } } } })).rejects.toMatchObject({ code: 400 });
    await expect(identities.create(project, { traits: { email: 'long@example.com' }, credentials: { password: { config: { password: 'x'.repeat(73) } } } })).rejects.toMatchObject({ code: 400 });
  });

  it('sets passwords and updates traits', async () => {
    const { identities } = ctx.registry;
    const i = await identities.create(project, { traits: { email: 'change@example.com' } });
    await identities.setPassword(project, i.id, 'a new password 1');
    expect(await identities.verifyPassword(t.projectId, i.id, 'a new password 1')).toBe(true);
    const u = await identities.updateTraits(project, i.id, { email: 'changed@example.com' });
    expect(u.credentials?.password.identifiers).toEqual(['changed@example.com']);
    expect(await identities.findByPasswordIdentifier(t.projectId, 'change@example.com')).toBeNull();
    expect(await identities.verifyPassword(t.projectId, i.id, 'a new password 1')).toBe(true);
  });

  it('issues, resolves and revokes sessions', async () => {
    const { identities, sessions } = ctx.registry;
    const i = await identities.create(project, { traits: { email: 'sess@example.com' }, metadata_admin: { internal: true } });
    const now = new Date().toISOString();
    const { session, token } = await sessions.issue(project, i.id, { methods: [{ method: 'password', aal: 'aal1', completed_at: now }], devices: [{ ip_address: '127.0.0.1', user_agent: 'vitest' }] });
    expect(token).toMatch(/^ory_st_[A-Za-z0-9]{32}$/);
    expect(session).toMatchObject({ active: true, authenticator_assurance_level: 'aal1', identity: { id: i.id } });
    expect(session.identity).not.toHaveProperty('metadata_admin');
    expect((await sessions.byToken(project, token))?.id).toBe(session.id);
    expect(await sessions.byToken(otherProject, token)).toBeNull();
    const second = await sessions.issue(project, i.id, { methods: [{ method: 'password', aal: 'aal1', completed_at: now }] });
    expect(await sessions.revokeAllOfIdentity(t.projectId, i.id, session.id)).toBe(1);
    expect(await sessions.byToken(project, second.token)).toBeNull();
    expect(await sessions.revokeByToken(project, token)).toBe(true);
    expect(await sessions.byToken(project, token)).toBeNull();
    expect(await sessions.revoke(other.projectId, session.id)).toBe(false);
    // A session can only be issued for an identity of the same project.
    await expect(sessions.issue(otherProject, i.id, { methods: [{ method: 'password', aal: 'aal1', completed_at: now }] })).rejects.toMatchObject({ code: 404 });
  });

  it('queues courier messages per project', async () => {
    await ctx.registry.courier.queue(t.projectId, { recipient: 'a@example.com', template_type: 'recovery_code_valid', subject: 's', body: 'b' });
    expect((await ctx.registry.courier.list(t.projectId, { pageSize: 10 })).messages).toHaveLength(1);
    expect((await ctx.registry.courier.list(other.projectId, { pageSize: 10 })).messages).toHaveLength(0);
  });

  it('applies the password policy with Kratos wording', () => {
    const cfg = { selfservice: { methods: { password: { config: { min_password_length: 8, identifier_similarity_check_enabled: true } } } } };
    expect(checkPasswordPolicy(cfg, [], 'short')).toBe('The password must be at least 8 characters long, but got 5.');
    expect(checkPasswordPolicy(cfg, ['alice@example.com'], 'alice@example.com1')).toBe('The password can not be used because it is too similar to the identifier.');
    expect(checkPasswordPolicy(cfg, [], 'x'.repeat(73))).toBe('The password must be at most 72 characters long, but got 73.');
    expect(checkPasswordPolicy(cfg, ['alice@example.com'], 'tr0ub4dor&3-horse')).toBeNull();
  });

  it('serves the same documents from the read caches as from the database, per project', async () => {
    const { identities, sessions } = ctx.registry;
    const i = await identities.create(project, {
      traits: { email: 'splice@example.com' },
      external_id: 'splice-1',
      metadata_public: { a: [1, 'two', { three: null }] },
      metadata_admin: { secret: 'x"y\\z' },
      credentials: { password: { config: { password: 'splice password 1' } } },
    });
    for (const include of [[], ['password']]) {
      const fresh = await identities.get(t.projectId, i.id, { includeCredentials: include });
      expect(await identities.get(t.projectId, i.id, { includeCredentials: include, cached: true })).toEqual(fresh);
      expect(await identities.get(t.projectId, i.id, { includeCredentials: include, cached: true })).toEqual(fresh);
    }
    expect(await identities.get(other.projectId, i.id, { cached: true })).toBeNull();
    const { token } = await sessions.issue(project, i.id, { methods: [{ method: 'password', aal: 'aal1', completed_at: new Date().toISOString() }], devices: [{ user_agent: 'ua "quoted"' }] });
    const fresh = await sessions.byToken(project, token);
    expect(fresh?.identity?.id).toBe(i.id);
    expect(fresh?.identity).not.toHaveProperty('metadata_admin');
    for (let k = 0; k < 2; k++) expect(await sessions.byToken(project, token, { cached: true })).toEqual(fresh);
    expect(await sessions.byToken(otherProject, token, { cached: true })).toBeNull();
    // A write drops the cached answers at once.
    await identities.updateTraits(project, i.id, { email: 'spliced@example.com' });
    expect((await identities.get(t.projectId, i.id, { cached: true }))?.traits).toEqual({ email: 'spliced@example.com' });
    expect((await sessions.byToken(project, token, { cached: true }))?.identity?.traits).toEqual({ email: 'spliced@example.com' });
    await sessions.revokeByToken(project, token);
    expect(await sessions.byToken(project, token, { cached: true })).toBeNull();
  });

  it('validates tel-format traits and replaces passwords through replace()', async () => {
    const { schemas, identities } = ctx.registry;
    const schema = {
      type: 'object',
      properties: { traits: { type: 'object', properties: { phone: { type: 'string', format: 'tel', 'ory.sh/kratos': { credentials: { password: { identifier: true } }, verification: { via: 'sms' } } } }, required: ['phone'] } },
    };
    const cfg = { identity: { default_schema_id: 'phone', schemas: [{ id: 'phone', url: `base64://${Buffer.from(JSON.stringify(schema)).toString('base64')}` }] } };
    const s = schemas.require(cfg, 'phone');
    expect(schemas.validateTraits(s, { phone: '+49 30 1234567' })).toMatchObject({ ok: true, extensions: { passwordIdentifiers: ['+49 30 1234567'], verifiable: [{ via: 'sms', value: '+49 30 1234567' }] } });
    expect(schemas.validateTraits(s, { phone: 'call me' }).ok).toBe(false);
    const i = await identities.create(project, { traits: { email: 'replace-pw@example.com' }, credentials: { password: { config: { password: 'first password 1' } } } });
    await identities.replace(project, i.id, { schema_id: 'preset://email', state: 'active', traits: { email: 'replace-pw@example.com' }, credentials: { password: { config: { password: 'second password 2' } } } });
    expect(await identities.verifyPassword(t.projectId, i.id, 'first password 1')).toBe(false);
    expect(await identities.verifyPassword(t.projectId, i.id, 'second password 2')).toBe(true);
  });
});
