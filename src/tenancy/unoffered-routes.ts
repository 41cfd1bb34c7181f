import { Type } from '@sinclair/typebox';
import type { Registry } from '../registry.js';
import { defineRoute, type RouteSpec } from '../platform/http/route-table.js';
import { endpointDisabled } from '../platform/errors/errors.js';
import { Id } from '../platform/http/schemas.js';
import type { Principal } from '../platform/auth/principal.js';

type Req = { principal: Principal; params: Record<string, string> };

/**
 * Management API operations of Ory Network features Gatehouse does not offer: event streams
 * (EventsApi) and organization onboarding portal links (ProjectApi). The caller is authorized
 * exactly as for the project's (or organization's) other routes first, so another tenant's ids
 * still answer 404 like ids that do not exist; then the answer is Ory's disabled-endpoint 404.
 */
export function unofferedManagementRoutes(r: Registry): RouteSpec[] {
  const { projects, organizations } = r.tenancy;
  const project = (need: 'read' | 'manage') => async (req: Req) => {
    await projects.authorize(req.principal, req.params.project_id, need);
    throw endpointDisabled();
  };
  const organization = (need: 'read' | 'manage') => async (req: Req) => {
    await organizations.get(req.principal, req.params.project_id, req.params.organization_id);
    await projects.authorize(req.principal, req.params.project_id, need);
    throw endpointDisabled();
  };
  const streams = '/projects/:project_id/eventstreams';
  const links = '/projects/:project_id/organizations/:organization_id/onboarding-portal-links';
  const m = { plane: 'management', credential: 'management' } as const;
  const streamParams = { params: Type.Object({ project_id: Id, event_stream_id: Id }) };
  const linkParams = { params: Type.Object({ project_id: Id, organization_id: Id, onboarding_portal_link_id: Id }) };
  const orgParams = { params: Type.Object({ project_id: Id, organization_id: Id }) };
  return [
    defineRoute({ method: 'GET', url: streams, ...m, scope: 'projects:read', operation: 'listEventStreams', schema: { params: Type.Object({ project_id: Id }) }, handler: project('read') }),
    defineRoute({ method: 'POST', url: streams, ...m, scope: 'projects:write', operation: 'createEventStream', schema: { params: Type.Object({ project_id: Id }) }, handler: project('manage') }),
    defineRoute({ method: 'PUT', url: `${streams}/:event_stream_id`, ...m, scope: 'organizations:write', operation: 'setEventStream', schema: streamParams, handler: project('manage') }),
    defineRoute({ method: 'DELETE', url: `${streams}/:event_stream_id`, ...m, scope: 'organizations:write', operation: 'deleteEventStream', schema: streamParams, handler: project('manage') }),
    defineRoute({ method: 'GET', url: links, ...m, scope: 'organizations:read', operation: 'getOrganizationOnboardingPortalLinks', schema: orgParams, handler: organization('read') }),
    defineRoute({ method: 'POST', url: links, ...m, scope: 'organizations:write', operation: 'createOrganizationOnboardingPortalLink', schema: orgParams, handler: organization('manage') }),
    defineRoute({ method: 'POST', url: `${links}/:onboarding_portal_link_id`, ...m, scope: 'organizations:write', operation: 'updateOrganizationOnboardingPortalLink', schema: linkParams, handler: organization('manage') }),
    defineRoute({ method: 'DELETE', url: `${links}/:onboarding_portal_link_id`, ...m, scope: 'organizations:write', operation: 'deleteOrganizationOnboardingPortalLink', schema: linkParams, handler: organization('manage') }),
  ];
}
