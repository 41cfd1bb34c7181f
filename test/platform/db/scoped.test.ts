import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, type Registry } from '../../../src/registry.js';
import { scoped } from '../../../src/platform/db/scoped.js';
import { newId, nowIso } from '../../../src/platform/ids.js';
import { dialectName, seedTenant, testConfig, type Tenant } from '../../helpers/context.js';

describe(`scoped(db, projectId) (${dialectName()})`, () => {
  const config = testConfig();
  let registry: Registry;
  let a: Tenant;
  let b: Tenant;
  const orgA = newId();

  beforeAll(async () => {
    registry = await createRegistry(config);
    a = await seedTenant(registry, 'scope-a');
    b = await seedTenant(registry, 'scope-b');
    const now = nowIso();
    await scoped(registry.db, a.projectId).insertInto('organizations', { id: orgA, label: 'A', session_lifespan: null, created_at: now, updated_at: now }).execute();
  });
  afterAll(async () => {
    await registry?.close();
    config.cleanup();
  });

  it('inserts with the project id of the scope, whatever the caller passes', async () => {
    const row = await registry.db.selectFrom('organizations').select('project_id').where('id', '=', orgA).executeTakeFirstOrThrow();
    expect(row.project_id).toBe(a.projectId);
  });

  it('sees, changes and deletes only its own project\'s rows', async () => {
    const other = scoped(registry.db, b.projectId);
    expect(await other.selectFrom('organizations').selectAll().where('id', '=', orgA).executeTakeFirst()).toBeUndefined();
    expect(await other.selectFrom('organizations as o').select('o.id').where('o.id', '=', orgA).executeTakeFirst()).toBeUndefined();
    const updated = await other.updateTable('organizations').set({ label: 'stolen' }).where('id', '=', orgA).executeTakeFirst();
    expect(Number(updated.numUpdatedRows)).toBe(0);
    const deleted = await other.deleteFrom('organizations').where('id', '=', orgA).executeTakeFirst();
    expect(Number(deleted.numDeletedRows)).toBe(0);

    const own = scoped(registry.db, a.projectId);
    const row = await own.selectFrom('organizations as o').select(['o.id', 'o.label']).where('o.id', '=', orgA).executeTakeFirstOrThrow();
    expect(row).toEqual({ id: orgA, label: 'A' });
  });

  it('keeps the scope inside a transaction, and rolls back with it', async () => {
    const id = newId();
    await expect(
      scoped(registry.db, a.projectId).transaction(async (tx) => {
        const now = nowIso();
        await tx.insertInto('organizations', { id, label: 'T', session_lifespan: null, created_at: now, updated_at: now }).execute();
        expect(await tx.selectFrom('organizations').select('id').where('id', '=', id).executeTakeFirst()).toEqual({ id });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await registry.db.selectFrom('organizations').select('id').where('id', '=', id).executeTakeFirst()).toBeUndefined();
  });
});
