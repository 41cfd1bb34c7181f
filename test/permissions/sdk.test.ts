import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Configuration, PermissionApi, RelationshipApi } from '@ory/client';
import { dialectName, seedTenant, type Tenant } from '../helpers/context.js';
import { startHttpServer, type HttpTestServer } from '../helpers/http.js';
import { DOCS_OPL, rt } from './helpers.js';

// The official @ory/client SDK against a real HTTP server: every Keto endpoint Gatehouse serves.

async function status(p: Promise<unknown>): Promise<{ status: number; data: any }> {
  try {
    const res = (await p) as { status: number; data: unknown };
    return { status: res.status, data: res.data };
  } catch (err) {
    const res = (err as { response?: { status: number; data: unknown } }).response;
    if (!res) throw err;
    return { status: res.status, data: res.data };
  }
}

describe(`@ory/client RelationshipApi and PermissionApi (${dialectName()})`, () => {
  let server: HttpTestServer;
  let t: Tenant;
  let relationships: RelationshipApi;
  let permissions: PermissionApi;

  beforeAll(async () => {
    server = await startHttpServer();
    t = await seedTenant(server.registry);
    const res = await fetch(`${server.url}/projects/${t.projectId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${t.workspaceKey}`, 'content-type': 'application/json' },
      body: JSON.stringify([{ op: 'replace', path: '/services/permission/config', value: { opl: DOCS_OPL, limit: { max_read_depth: 5 } } }]),
    });
    expect(res.status).toBe(200);
    const config = new Configuration({ basePath: server.projectUrl(t.projectSlug), accessToken: t.projectKey });
    relationships = new RelationshipApi(config);
    permissions = new PermissionApi(config);
  });
  afterAll(() => server.close());

  it('checks OPL syntax', async () => {
    const ok = await relationships.checkOplSyntax({ body: DOCS_OPL });
    expect(ok.status).toBe(200);
    expect(ok.data.errors).toEqual([]);
    const bad = await relationships.checkOplSyntax({ body: 'class Doc implements Namespace {\n  permits = { view: (ctx) => this.nope }\n}' });
    expect(bad.data.errors).toEqual([{ message: 'expected "related" or "permits", got "nope"', start: { Line: 2, column: 34 }, end: { Line: 2, column: 38 } }]);
  });

  it('lists namespaces', async () => {
    const res = await relationships.listRelationshipNamespaces();
    expect(res.data.namespaces?.map((n) => n.name)).toEqual(['User', 'Group', 'Folder', 'Document']);
  });

  it('creates, patches, queries and deletes relationships', async () => {
    const created = await relationships.createRelationship({ createRelationshipBody: { namespace: 'Document', object: 'sdk-doc', relation: 'viewers', subject_id: 'alice' } });
    expect(created.status).toBe(201);
    expect(created.data).toEqual({ namespace: 'Document', object: 'sdk-doc', relation: 'viewers', subject_id: 'alice' });

    const patched = await relationships.patchRelationships({
      relationshipPatch: [
        { action: 'insert', relation_tuple: { namespace: 'Document', object: 'sdk-doc', relation: 'parents', subject_set: { namespace: 'Folder', object: 'sdk-folder', relation: '' } } },
        { action: 'insert', relation_tuple: { namespace: 'Folder', object: 'sdk-folder', relation: 'viewers', subject_set: { namespace: 'Group', object: 'sdk-team', relation: 'members' } } },
        { action: 'insert', relation_tuple: { namespace: 'Group', object: 'sdk-team', relation: 'members', subject_id: 'bob' } },
        { action: 'insert', relation_tuple: { namespace: 'Document', object: 'sdk-doc', relation: 'viewers', subject_id: 'temp' } },
        { action: 'delete', relation_tuple: { namespace: 'Document', object: 'sdk-doc', relation: 'viewers', subject_id: 'temp' } },
      ],
    });
    expect(patched.status).toBe(204);

    const page1 = await relationships.getRelationships({ namespace: 'Document', object: 'sdk-doc', pageSize: 1 });
    expect(page1.data.relation_tuples).toEqual([rt('Document', 'sdk-doc', 'parents', 'Folder:sdk-folder')]);
    expect(page1.data.next_page_token).not.toBe('');
    const page2 = await relationships.getRelationships({ namespace: 'Document', object: 'sdk-doc', pageSize: 1, pageToken: page1.data.next_page_token });
    expect(page2.data.relation_tuples).toEqual([rt('Document', 'sdk-doc', 'viewers', 'alice')]);
    expect(page2.data.next_page_token).toBe('');

    const bySet = await relationships.getRelationships({ subjectSetNamespace: 'Group', subjectSetObject: 'sdk-team', subjectSetRelation: 'members' });
    expect(bySet.data.relation_tuples).toEqual([rt('Folder', 'sdk-folder', 'viewers', 'Group:sdk-team#members')]);
    const bySubject = await relationships.getRelationships({ subjectId: 'bob', relation: 'members' });
    expect(bySubject.data.relation_tuples).toEqual([rt('Group', 'sdk-team', 'members', 'bob')]);

    const refused = await status(relationships.createRelationship({ createRelationshipBody: { namespace: 'Nope', object: 'x', relation: 'y', subject_id: 'z' } }));
    expect(refused.status).toBe(404);
    expect(refused.data.error).toMatchObject({ code: 404, reason: 'Unknown namespace with name "Nope".' });

    await relationships.createRelationship({ createRelationshipBody: { namespace: 'Document', object: 'sdk-gone', relation: 'viewers', subject_id: 'alice' } });
    const deleted = await relationships.deleteRelationships({ namespace: 'Document', object: 'sdk-gone' });
    expect(deleted.status).toBe(204);
    expect((await relationships.getRelationships({ namespace: 'Document', object: 'sdk-gone' })).data.relation_tuples).toEqual([]);
  });

  it('checks permissions with every check endpoint', async () => {
    const q = { namespace: 'Document', object: 'sdk-doc', relation: 'view' };
    expect((await permissions.checkPermission({ ...q, subjectId: 'bob' })).data).toEqual({ allowed: true });
    expect((await permissions.checkPermission({ ...q, subjectId: 'eve' })).data).toEqual({ allowed: false });
    expect((await permissions.checkPermission({ ...q, subjectId: 'bob', maxDepth: 2 })).data).toEqual({ allowed: false });

    expect((await permissions.checkPermissionOrError({ ...q, subjectId: 'alice' })).data).toEqual({ allowed: true });
    const denied = await status(permissions.checkPermissionOrError({ ...q, subjectId: 'eve' }));
    expect(denied).toEqual({ status: 403, data: { allowed: false } });

    const setSubject = await permissions.checkPermission({ namespace: 'Folder', object: 'sdk-folder', relation: 'viewers', subjectSetNamespace: 'Group', subjectSetObject: 'sdk-team', subjectSetRelation: 'members' });
    expect(setSubject.data.allowed).toBe(true);

    expect((await permissions.postCheckPermission({ postCheckPermissionBody: { ...q, subject_id: 'bob' } })).data).toEqual({ allowed: true });
    expect((await permissions.postCheckPermission({ maxDepth: 1, postCheckPermissionBody: { ...q, subject_id: 'bob' } })).data).toEqual({ allowed: false });
    expect((await permissions.postCheckPermissionOrError({ postCheckPermissionOrErrorBody: { ...q, subject_id: 'bob' } })).data).toEqual({ allowed: true });
    expect(await status(permissions.postCheckPermissionOrError({ postCheckPermissionOrErrorBody: { ...q, subject_id: 'eve' } }))).toEqual({ status: 403, data: { allowed: false } });

    const malformed = await status(permissions.checkPermission({ namespace: 'Document', object: 'sdk-doc' }));
    expect(malformed.status).toBe(400);

    const batch = await permissions.batchCheckPermission({
      batchCheckPermissionBody: {
        tuples: [
          { ...q, subject_id: 'bob' },
          { ...q, subject_id: 'eve' },
          { namespace: 'Document', object: 'sdk-doc', relation: 'nonsense', subject_id: 'bob' },
        ],
      },
    });
    expect(batch.data.results).toEqual([{ allowed: true }, { allowed: false }, { allowed: false, error: expect.stringContaining('nonsense') }]);
    const shallow = await permissions.batchCheckPermission({ maxDepth: 1, batchCheckPermissionBody: { tuples: [{ ...q, subject_id: 'bob' }] } });
    expect(shallow.data.results).toEqual([{ allowed: false }]);
  });

  it('expands a subject set', async () => {
    const tree = await permissions.expandPermissions({ namespace: 'Folder', object: 'sdk-folder', relation: 'viewers' });
    expect(tree.status).toBe(200);
    expect(tree.data.type).toBe('union');
    expect(tree.data.children).toEqual([
      {
        type: 'union',
        tuple: { namespace: 'Group', object: 'sdk-team', relation: 'members', subject_set: { namespace: 'Group', object: 'sdk-team', relation: 'members' } },
        children: [{ type: 'leaf', tuple: { namespace: 'Group', object: 'sdk-team', relation: 'members', subject_id: 'bob' } }],
      },
    ]);
    const shallow = await permissions.expandPermissions({ namespace: 'Folder', object: 'sdk-folder', relation: 'viewers', maxDepth: 1 });
    expect(shallow.data.children?.[0].type).toBe('leaf');
    expect((await status(permissions.expandPermissions({ namespace: 'Folder', object: 'nothing', relation: 'viewers' }))).status).toBe(404);
  });

  it('refuses another project key', async () => {
    const other = await seedTenant(server.registry, 'sdk-other');
    const foreign = new RelationshipApi(new Configuration({ basePath: server.projectUrl(t.projectSlug), accessToken: other.projectKey }));
    expect((await status(foreign.getRelationships({ namespace: 'Document' }))).status).toBe(401);
    const own = new RelationshipApi(new Configuration({ basePath: server.projectUrl(other.projectSlug), accessToken: other.projectKey }));
    expect((await own.getRelationships({})).data).toEqual({ relation_tuples: [], next_page_token: '' });
  });
});
