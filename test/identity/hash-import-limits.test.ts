import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestContext, dialectName, seedTenant, type TestContext, type Tenant } from '../helpers/context.js';

// A stored hash carries its own work factor, paid by every login attempt on the shared process:
// imports whose cost would stall (bcrypt 31) or exhaust (argon2 with gigabytes) the server are refused.
describe(`identity import: hash work limits (${dialectName()})`, () => {
  let ctx: TestContext;
  let t: Tenant;
  beforeAll(async () => {
    ctx = await createTestContext();
    t = await seedTenant(ctx.registry, 'hashlimits');
  });
  afterAll(() => ctx.close());

  const create = (email: string, hashed: string) =>
    ctx.app.inject({ method: 'POST', url: `/p/${t.projectSlug}/admin/identities`, headers: bearer(t.projectKey), payload: { traits: { email }, credentials: { password: { config: { hashed_password: hashed } } } } });
  const salt = 'c29tZXNhbHRzb21lc2FsdA';
  const digest = 'dGhpc2lzbm90YXJlYWxkaWdlc3RidXRpdHNmaW5lYWE';

  it('refuses bcrypt and argon2 hashes beyond the work limits', async () => {
    const bcrypt31 = `$2b$31$${'a'.repeat(53)}`;
    for (const hashed of [bcrypt31, `$2a$20$${'a'.repeat(53)}`, `$argon2id$v=19$m=4194304,t=2,p=1$${salt}$${digest}`, `$argon2id$v=19$m=19456,t=100000,p=1$${salt}$${digest}`, `$argon2id$v=19$m=19456,t=2,p=255$${salt}$${digest}`]) {
      const res = await create(`too-costly-${Math.random().toString(36).slice(2)}@example.com`, hashed);
      expect(res.statusCode, hashed).toBe(400);
      expect(res.json().error.reason).toMatch(/hashed password/);
    }
  });

  it('still imports hashes with ordinary costs', async () => {
    expect((await create('ok-bcrypt@example.com', `$2b$12$${'a'.repeat(53)}`)).statusCode).toBe(201);
    expect((await create('ok-argon@example.com', `$argon2id$v=19$m=65536,t=3,p=4$${salt}$${digest}`)).statusCode).toBe(201);
  });
});
