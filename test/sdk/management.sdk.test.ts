import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Configuration, ProjectApi, WorkspaceApi } from '@ory/client';
import { startServerProcess, type ServerProcess } from '../helpers/process.js';

// Drives the Management API with the official @ory/client over real HTTP against a server started the
// way `npm start` starts it, with a workspace key printed by `gatehouse bootstrap --json`.

interface Bootstrap {
  workspace: { id: string; name: string };
  api_key: { id: string; value: string; name: string };
}

const sdkStatus = async (p: Promise<unknown>): Promise<number> => {
  try {
    await p;
    return 200;
  } catch (err) {
    return (err as { response?: { status: number } }).response?.status ?? -1;
  }
};

describe('Management API through @ory/client', () => {
  let server: ServerProcess;
  let acme: Bootstrap;
  let globex: Bootstrap;
  let workspaces: WorkspaceApi;
  let projects: ProjectApi;

  beforeAll(async () => {
    server = await startServerProcess(process.env.TEST_DATABASE_URL ? { DATABASE_URL: process.env.TEST_DATABASE_URL } : {});
    acme = JSON.parse(await server.cli('bootstrap', '--email', `owner-${Date.now()}@example.com`, '--workspace', 'Acme', '--json'));
    globex = JSON.parse(await server.cli('bootstrap', '--email', `boss-${Date.now()}@example.com`, '--workspace', 'Globex', '--json'));
    const config = new Configuration({ basePath: server.url, accessToken: acme.api_key.value });
    workspaces = new WorkspaceApi(config);
    projects = new ProjectApi(config);
  }, 60_000);
  afterAll(async () => server?.stop());

  it('bootstrap prints an isolated workspace and a workspace key once', () => {
    expect(acme.workspace.name).toBe('Acme');
    expect(acme.api_key.value).toMatch(/^ory_wak_/);
    expect(globex.workspace.id).not.toBe(acme.workspace.id);
  });

  it('WorkspaceApi: get, list, update, create', async () => {
    expect((await workspaces.getWorkspace({ workspace: acme.workspace.id })).data.name).toBe('Acme');
    const list = (await workspaces.listWorkspaces()).data;
    expect(list.workspaces.map((w) => w.id)).toEqual([acme.workspace.id]);
    const updated = await workspaces.updateWorkspace({ workspace: acme.workspace.id, updateWorkspaceBody: { name: 'Acme Corp' } });
    expect(updated.data.name).toBe('Acme Corp');
    const created = await workspaces.createWorkspace({ createWorkspaceBody: { name: 'Side project' } });
    expect(created.status).toBe(201);
    expect(await sdkStatus(workspaces.getWorkspace({ workspace: globex.workspace.id }))).toBe(404);
  });

  it('WorkspaceApi: workspace API keys CRUD, the value shown once', async () => {
    const created = (await workspaces.createWorkspaceApiKey({ workspace: acme.workspace.id, createWorkspaceApiKeyBody: { name: 'ci' } })).data;
    expect(created.value).toMatch(/^ory_wak_/);
    const listed = (await workspaces.listWorkspaceApiKeys({ workspace: acme.workspace.id })).data;
    expect(listed.find((k) => k.id === created.id)).toMatchObject({ name: 'ci', last_characters: created.value!.slice(-4) });
    expect(listed.every((k) => k.value === undefined)).toBe(true);
    const viaNewKey = new WorkspaceApi(new Configuration({ basePath: server.url, accessToken: created.value }));
    expect((await viaNewKey.getWorkspace({ workspace: acme.workspace.id })).status).toBe(200);
    await workspaces.deleteWorkspaceApiKey({ workspace: acme.workspace.id, tokenId: created.id });
    expect(await sdkStatus(viaNewKey.getWorkspace({ workspace: acme.workspace.id }))).toBe(401);
  });

  it('ProjectApi: create, list, get, set, patch, patch with revision, purge', async () => {
    const p = (await projects.createProject({ createProjectBody: { name: 'Storefront', environment: 'prod', workspace_id: acme.workspace.id } })).data;
    expect(p).toMatchObject({ name: 'Storefront', environment: 'prod', state: 'running' });
    expect((await projects.listProjects()).data.map((x) => x.id)).toContain(p.id);
    expect((await workspaces.listWorkspaceProjects({ workspace: acme.workspace.id })).data.projects.map((x) => x.id)).toContain(p.id);
    expect((await projects.getProject({ projectId: p.id })).data.slug).toBe(p.slug);

    const patched = (await projects.patchProject({ projectId: p.id, jsonPatch: [{ op: 'replace', path: '/services/identity/config/session/lifespan', value: '30m' }] })).data;
    expect(patched.project.services.identity?.config).toMatchObject({ session: { lifespan: '30m' } });
    expect(patched.project.revision_id).not.toBe(p.revision_id);
    const withRevision = await projects.patchProjectWithRevision({ projectId: p.id, revisionId: patched.project.revision_id, jsonPatch: [{ op: 'replace', path: '/name', value: 'Shop' }] });
    expect(withRevision.data.project.name).toBe('Shop');
    expect(await sdkStatus(projects.patchProjectWithRevision({ projectId: p.id, revisionId: patched.project.revision_id, jsonPatch: [{ op: 'replace', path: '/name', value: 'Stale' }] }))).toBe(409);

    const set = await projects.setProject({
      projectId: p.id,
      setProject: { name: 'Shop v2', cors_admin: { enabled: false, origins: [] }, cors_public: { enabled: false, origins: [] }, organizations: [], services: { permission: { config: { namespaces: [{ id: 0, name: 'files' }] } } } },
    });
    expect(set.data.project.name).toBe('Shop v2');
    expect(set.data.project.services.permission?.config).toEqual({ namespaces: [{ id: 0, name: 'files' }] });

    await projects.purgeProject({ projectId: p.id });
    expect(await sdkStatus(projects.getProject({ projectId: p.id }))).toBe(404);
  });

  it('ProjectApi: project API keys with expiry, members', async () => {
    const p = (await projects.createProject({ createProjectBody: { name: 'Keys', environment: 'dev' } })).data;
    const expires = new Date(Date.now() + 86_400_000).toISOString();
    const key = (await projects.createProjectApiKey({ project: p.id, createProjectApiKeyBody: { name: 'backend', expires_at: expires } })).data;
    expect(key.value).toMatch(/^ory_pat_/);
    expect(key.expires_at).toBe(expires);
    const list = (await projects.listProjectApiKeys({ project: p.id })).data;
    expect(list.map((k) => k.id)).toContain(key.id);
    // A project key is useless on the Management API.
    const asProject = new ProjectApi(new Configuration({ basePath: server.url, accessToken: key.value }));
    expect(await sdkStatus(asProject.getProject({ projectId: p.id }))).toBe(401);
    await projects.deleteProjectApiKey({ project: p.id, tokenId: key.id });
    expect((await projects.listProjectApiKeys({ project: p.id })).data.map((k) => k.id)).not.toContain(key.id);

    const members = (await projects.getProjectMembers({ project: p.id })).data;
    expect(members).toHaveLength(1);
    expect(members[0]).toMatchObject({ role: 'owner' });
    expect(await sdkStatus(projects.removeProjectMember({ project: p.id, member: members[0].id }))).toBe(409);
  });

  it('ProjectApi: B2B SSO organizations', async () => {
    const p = (await projects.createProject({ createProjectBody: { name: 'SSO', environment: 'dev' } })).data;
    const org = (await projects.createOrganization({ projectId: p.id, organizationBody: { label: 'Initech', domains: ['initech.com'] } })).data;
    expect(org).toMatchObject({ label: 'Initech', domains: ['initech.com'] });
    expect((await projects.listOrganizations({ projectId: p.id })).data.organizations).toHaveLength(1);
    expect((await projects.getOrganization({ projectId: p.id, organizationId: org.id })).data.organization.id).toBe(org.id);
    expect((await projects.updateOrganization({ projectId: p.id, organizationId: org.id, organizationBody: { label: 'Initrode', domains: ['initrode.com'] } })).data.label).toBe('Initrode');
    expect(await sdkStatus(projects.createOrganization({ projectId: p.id, organizationBody: { label: 'Dup', domains: ['initrode.com'] } }))).toBe(409);
    await projects.deleteOrganization({ projectId: p.id, organizationId: org.id });
    expect(await sdkStatus(projects.getOrganization({ projectId: p.id, organizationId: org.id }))).toBe(404);
  });

  it('another workspace key sees none of it', async () => {
    const globexProjects = new ProjectApi(new Configuration({ basePath: server.url, accessToken: globex.api_key.value }));
    const mine = (await projects.createProject({ createProjectBody: { name: 'Private', environment: 'dev' } })).data;
    expect(await sdkStatus(globexProjects.getProject({ projectId: mine.id }))).toBe(404);
    expect(await sdkStatus(globexProjects.listProjectApiKeys({ project: mine.id }))).toBe(404);
    expect((await globexProjects.listProjects()).data.map((x) => x.id)).not.toContain(mine.id);
  });

  it('logs JSON with request ids and never a key', async () => {
    await fetch(`${server.url}/projects`, { headers: { authorization: `Bearer ${acme.api_key.value}` } });
    // A forged key is refused before routing (the edge gate), and logged all the same.
    const forged = acme.api_key.value.slice(0, -1) + (acme.api_key.value.endsWith('A') ? 'B' : 'A');
    const refused = await fetch(`${server.url}/projects?page_size=5`, { headers: { authorization: `Bearer ${forged}` } });
    expect(refused.status).toBe(401);
    await server.stop(); // flushes the buffered log
    const out = server.output();
    expect(out).not.toContain(acme.api_key.value);
    expect(out).not.toContain(forged);
    expect(out).not.toContain('ory_wak_');
    const lines = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.path === '/projects' && l.method === 'GET' && l.status === 200)).toMatchObject({ request_id: expect.any(String), msg: 'request completed', level: 30, time: expect.any(Number) });
    expect(lines.find((l) => l.request_id === refused.headers.get('x-request-id'))).toMatchObject({ msg: 'request completed', method: 'GET', path: '/projects', status: 401, ip: '127.0.0.1' });
  });
});
