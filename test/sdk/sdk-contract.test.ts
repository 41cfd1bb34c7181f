import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Configuration, EventsApi, FrontendApi, IdentityApi, MetadataApi, OidcApi, ProjectApi } from '@ory/client';
import { dialectName, seedTenant, type Tenant } from '../helpers/context.js';
import { startHttpServer, type HttpTestServer } from '../helpers/http.js';

// SDK operations of @ory/client 1.22 that Gatehouse answers although it does not offer the feature
// behind them: each answers as Ory does (its status, its body shape, its reason), never with the
// router's "No route" 404. And the small ones it does serve: getVersion, getWellKnownChangePassword.

const failure = async (p: Promise<unknown>): Promise<{ status: number; body: any; headers: Record<string, string> }> => {
  try {
    await p;
  } catch (err) {
    const res = (err as { response?: { status: number; data: unknown; headers: Record<string, string> } }).response;
    if (!res) throw err;
    return { status: res.status, body: res.data, headers: res.headers };
  }
  throw new Error('expected the call to fail');
};

const DISABLED = 'This endpoint was disabled by system administrator. Please check your url or contact the system administrator to enable it.';

describe(`SDK operations of features Gatehouse does not offer (${dialectName()})`, () => {
  let server: HttpTestServer;
  let a: Tenant;
  let b: Tenant;
  let frontend: FrontendApi;

  beforeAll(async () => {
    server = await startHttpServer();
    a = await seedTenant(server.registry, 'contract-a');
    b = await seedTenant(server.registry, 'contract-b');
    frontend = new FrontendApi(new Configuration({ basePath: server.projectUrl(a.projectSlug) }));
  });
  afterAll(() => server?.close());

  it('MetadataApi.getVersion answers on the Management API and under a project', async () => {
    const mgmt = await new MetadataApi(new Configuration({ basePath: server.url })).getVersion();
    expect(mgmt.status).toBe(200);
    expect(mgmt.data.version).toMatch(/^v\d+\.\d+\.\d+/);
    const project = await new MetadataApi(new Configuration({ basePath: server.projectUrl(a.projectSlug) })).getVersion();
    expect(project.data).toEqual(mgmt.data);
    expect((await failure(new MetadataApi(new Configuration({ basePath: server.projectUrl('no-such-project') })).getVersion())).status).toBe(404);
  });

  it('FrontendApi.exchangeSessionToken: 400 without both codes, 404 for codes that have no session (Kratos)', async () => {
    const missing = await failure(frontend.exchangeSessionToken({ initCode: '', returnToCode: '' }));
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 400, status: 'Bad Request', reason: '"init_code" and "return_to_code" query params must be set' });
    const unknown = await failure(frontend.exchangeSessionToken({ initCode: 'a'.repeat(32), returnToCode: 'b'.repeat(32) }));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: 404, status: 'Not Found', reason: 'no session yet for this "code"' });
  });

  it('FrontendApi.getWellKnownChangePassword redirects to the settings UI, or to the browser settings flow', async () => {
    const noUi = await failure(frontend.getWellKnownChangePassword({ maxRedirects: 0 }));
    expect(noUi.status).toBe(303);
    expect(noUi.headers.location).toBe(`${server.projectUrl(a.projectSlug)}/self-service/settings/browser`);

    const projects = new ProjectApi(new Configuration({ basePath: server.url, accessToken: a.workspaceKey }));
    await projects.patchProject({
      projectId: a.projectId,
      jsonPatch: [{ op: 'add', path: '/services/identity/config/selfservice/flows/settings/ui_url', value: 'https://app.example.com/account' }],
    });
    const withUi = await failure(frontend.getWellKnownChangePassword({ maxRedirects: 0 }));
    expect(withUi.status).toBe(303);
    expect(withUi.headers.location).toBe('https://app.example.com/account');
    // Another project's settings stay its own.
    const other = await failure(new FrontendApi(new Configuration({ basePath: server.projectUrl(b.projectSlug) })).getWellKnownChangePassword({ maxRedirects: 0 }));
    expect(other.headers.location).toBe(`${server.projectUrl(b.projectSlug)}/self-service/settings/browser`);
  });

  it('WebAuthn script, FedCM and test login flows answer Kratos’s disabled-endpoint 404', async () => {
    for (const call of [
      () => frontend.getWebAuthnJavaScript(),
      () => frontend.createFedcmFlow(),
      () => frontend.updateFedcmFlow({ updateFedcmFlowBody: { csrf_token: 'x', token: 'y' } }),
      () => frontend.deleteTestLoginFlow({ id: '0195a6c6-3b3c-7c4e-8b0a-3f8e2f1d2c3b' }),
    ]) {
      const res = await failure(call());
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: 404, status: 'Not Found', reason: DISABLED });
    }
    const admin = new IdentityApi(new Configuration({ basePath: server.projectUrl(a.projectSlug), accessToken: a.projectKey }));
    const created = await failure(admin.createTestLoginFlow({ createTestLoginFlowBody: { provider: 'google' } as never }));
    expect(created.status).toBe(404);
    expect(created.body.error.reason).toBe(DISABLED);
    // The admin route still needs this project's key before it says anything.
    const foreign = new IdentityApi(new Configuration({ basePath: server.projectUrl(a.projectSlug), accessToken: b.projectKey }));
    expect((await failure(foreign.createTestLoginFlow({ createTestLoginFlowBody: {} as never }))).status).toBe(401);
  });

  it('OidcApi dynamic client registration answers Hydra’s 404 for the disabled feature, in RFC 6749’s shape', async () => {
    const oidc = new OidcApi(new Configuration({ basePath: server.projectUrl(a.projectSlug) }));
    for (const call of [
      () => oidc.createOidcDynamicClient({ oAuth2Client: { client_name: 'dyn', redirect_uris: ['https://app.example.com/cb'] } }),
      () => oidc.getOidcDynamicClient({ id: 'some-client' }),
      () => oidc.setOidcDynamicClient({ id: 'some-client', oAuth2Client: { client_name: 'dyn' } }),
      () => oidc.deleteOidcDynamicClient({ id: 'some-client' }),
    ]) {
      const res = await failure(call());
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'The requested resource could not be found', error_description: 'Dynamic registration is not enabled.' });
    }
    const discovery = await oidc.discoverOidcConfiguration();
    expect(discovery.data.registration_endpoint).toBeUndefined();
  });

  it('event streams and onboarding portal links answer the disabled-endpoint 404, after the usual tenancy checks', async () => {
    const events = (key?: string) => new EventsApi(new Configuration({ basePath: server.url, accessToken: key }));
    const projects = (key?: string) => new ProjectApi(new Configuration({ basePath: server.url, accessToken: key }));
    const { data: org } = await projects(a.workspaceKey).createOrganization({ projectId: a.projectId, organizationBody: { label: 'Partner', domains: [] } });
    const calls = (key?: string) => [
      () => events(key).listEventStreams({ projectId: a.projectId }),
      () => events(key).createEventStream({ projectId: a.projectId, createEventStreamBody: { type: 'sns', topic_arn: 'arn:aws:sns:x', role_arn: 'arn:aws:iam::x' } }),
      () => events(key).setEventStream({ projectId: a.projectId, eventStreamId: '0195a6c6-3b3c-7c4e-8b0a-3f8e2f1d2c3b' }),
      () => events(key).deleteEventStream({ projectId: a.projectId, eventStreamId: '0195a6c6-3b3c-7c4e-8b0a-3f8e2f1d2c3b' }),
      () => projects(key).getOrganizationOnboardingPortalLinks({ projectId: a.projectId, organizationId: org.id }),
      () => projects(key).createOrganizationOnboardingPortalLink({ projectId: a.projectId, organizationId: org.id, createOrganizationOnboardingPortalLinkBody: { enable_sso: true, enable_scim: false } as never }),
      () => projects(key).deleteOrganizationOnboardingPortalLink({ projectId: a.projectId, organizationId: org.id, onboardingPortalLinkId: '0195a6c6-3b3c-7c4e-8b0a-3f8e2f1d2c3b' }),
    ];
    for (const call of calls(a.workspaceKey)) {
      const res = await failure(call());
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: 404, status: 'Not Found', reason: DISABLED });
    }
    // Another workspace learns nothing about a's project: the answer of an id that does not exist.
    for (const call of calls(b.workspaceKey)) {
      const res = await failure(call());
      expect(res.status).toBe(404);
      expect(res.body.error.reason).not.toBe(DISABLED);
    }
    for (const call of calls(undefined)) expect((await failure(call())).status).toBe(401);
  });
});
