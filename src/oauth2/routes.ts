import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JWK } from 'jose';
import type jsonPatch from 'fast-json-patch';
import type { Registry } from '../registry.js';
import { defineRoute, type RouteSpec } from '../platform/http/route-table.js';
import { badRequest, notFound } from '../platform/errors/errors.js';
import { bearerToken } from '../platform/http/bearer.js';
import { setLinkHeader } from '../platform/http/pagination.js';
import { projectAddress } from '../platform/http/project-address.js';
import type { ProjectRequest } from '../planes/contexts.js';
import { ClientBody, LifespansBody } from './clients.js';
import { ID_TOKEN_SET } from './jwks.js';
import { OAuth2Error, invalidToken } from './errors.js';
import { revocationEndpoint, tokenEndpoint } from './token-endpoint.js';
import { issuerFor, rawQuery, splitSpaces } from './util.js';
import type { TokenSession } from './tokens.js';
import { JWT_BEARER, TrustIssuerBody } from './trust.js';
import { DEVICE_CODE_GRANT, deviceAuthorization } from './device.js';
import { readOAuth2Config } from './config.js';
import type { ClientRequest } from './client-auth.js';
import type { BrowserRedirect, BrowserRequest } from './browser.js';
import type { ChallengeRead } from './challenges.js';

const ClientId = Type.String({ minLength: 1, maxLength: 255 });
const SetName = Type.String({ minLength: 1, maxLength: 256 });
const Kid = Type.String({ minLength: 1, maxLength: 256 });
const LoginChallenge = Type.Object({ login_challenge: Type.String({ minLength: 1, maxLength: 512 }) });
const ConsentChallenge = Type.Object({ consent_challenge: Type.String({ minLength: 1, maxLength: 512 }) });
const LogoutChallenge = Type.Object({ logout_challenge: Type.String({ minLength: 1, maxLength: 512 }) });
const DeviceChallenge = Type.Object({ device_challenge: Type.String({ minLength: 1, maxLength: 512 }) });
const AcceptUserCodeBody = Type.Object({ user_code: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false });
const StrList = Type.Array(Type.String({ maxLength: 2048 }), { maxItems: 100 });

const AcceptLoginBody = Type.Object(
  {
    subject: Type.String({ minLength: 1, maxLength: 1024 }),
    acr: Type.Optional(Type.String({ maxLength: 1024 })),
    amr: Type.Optional(StrList),
    context: Type.Optional(Type.Unknown()),
    extend_session_lifespan: Type.Optional(Type.Boolean()),
    force_subject_identifier: Type.Optional(Type.String({ maxLength: 1024 })),
    identity_provider_session_id: Type.Optional(Type.String({ maxLength: 1024 })),
    remember: Type.Optional(Type.Boolean()),
    remember_for: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

const AcceptConsentBody = Type.Object(
  {
    context: Type.Optional(Type.Unknown()),
    grant_access_token_audience: Type.Optional(StrList),
    grant_scope: Type.Optional(StrList),
    handled_at: Type.Optional(Type.String({ maxLength: 64 })),
    remember: Type.Optional(Type.Boolean()),
    remember_for: Type.Optional(Type.Integer({ minimum: 0 })),
    session: Type.Optional(Type.Object({ access_token: Type.Optional(Type.Unknown()), id_token: Type.Optional(Type.Unknown()) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

const RejectBody = Type.Object(
  {
    error: Type.Optional(Type.String({ maxLength: 256 })),
    error_debug: Type.Optional(Type.String({ maxLength: 2048 })),
    error_description: Type.Optional(Type.String({ maxLength: 2048 })),
    error_hint: Type.Optional(Type.String({ maxLength: 2048 })),
    status_code: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);

const JsonPatchBody = Type.Array(
  Type.Object(
    {
      op: Type.Union(['add', 'remove', 'replace', 'move', 'copy', 'test'].map((o) => Type.Literal(o))),
      path: Type.String({ maxLength: 1024 }),
      from: Type.Optional(Type.String({ maxLength: 1024 })),
      value: Type.Optional(Type.Unknown()),
    },
    { additionalProperties: false },
  ),
  { maxItems: 100 },
);

const JwkBody = Type.Object({ kid: Type.Optional(Type.String({ maxLength: 256 })), alg: Type.String({ maxLength: 32 }), use: Type.String({ maxLength: 8 }), kty: Type.String({ maxLength: 16 }) }, { additionalProperties: true });
const CreateJwkSetBody = Type.Object({ alg: Type.String({ maxLength: 32 }), use: Type.String({ maxLength: 8 }), kid: Type.Optional(Type.String({ maxLength: 256 })) }, { additionalProperties: false });

const DEFAULT_PAGE = 250;
const MAX_PAGE = 500;

/** RFC 6749 responses must not be cached. */
const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store').header('pragma', 'no-cache');

/** The form parameters of a client endpoint's body, and its Authorization header. */
const clientRequest = (req: FastifyRequest): ClientRequest => ({
  authorization: req.headers.authorization,
  params: req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : {},
});

/** A browser endpoint's answer: its cookies (bound to the issuer's scheme), then the 302. */
function sendRedirect(reply: FastifyReply, out: BrowserRedirect, issuer: string): FastifyReply {
  for (const c of out.cookies) {
    if ('clear' in c) reply.clearCookie(c.name, { path: '/' });
    else reply.setCookie(c.name, c.value, { path: '/', httpOnly: true, sameSite: 'lax', secure: issuer.startsWith('https:'), ...(c.maxAge !== undefined ? { maxAge: c.maxAge } : {}) });
  }
  return reply.code(302).header('location', out.location).send();
}

/** A challenge's request, or 410 with where the browser goes once the challenge was handled. */
const challengeAnswer = (reply: FastifyReply, read: ChallengeRead) => (read.gone ? reply.code(410).send({ redirect_to: read.redirect_to }) : read.request);

/** Plain inputs of the OAuth2 services, read from a project-plane request. */
function requestReaders(r: Registry) {
  const config = (req: ProjectRequest) => readOAuth2Config(req.project.services.oauth2.config);
  const issuer = (req: ProjectRequest) =>
    issuerFor(config(req).urls.selfIssuer, projectAddress(req, req.project.slug), req.project.slug, r.config.baseDomain);
  const browser = (req: ProjectRequest): BrowserRequest => ({
    project: req.project, config: config(req), issuer: issuer(req), query: (req.query ?? {}) as Record<string, unknown>, rawQuery: rawQuery(req.url),
    cookies: (req.cookies ?? {}) as Record<string, string | undefined>,
  });
  const browserRoute = (answer: (b: BrowserRequest) => Promise<BrowserRedirect>) => async (req: ProjectRequest, reply: FastifyReply) => {
    const b = browser(req);
    return sendRedirect(reply, await answer(b), b.issuer);
  };
  const clientEndpoint = (req: ProjectRequest) => ({ projectId: req.project.id, config: config(req), issuer: issuer(req), request: clientRequest(req) });
  return { config, issuer, browserRoute, clientEndpoint };
}

/**
 * The endpoints OAuth2 clients call (RFC 6749 token, RFC 7009 revocation, RFC 8628 device
 * authorization). They are mounted in the project plane's OAuth2 scope, which answers every error,
 * the framework's too (415, 413, a malformed body), in RFC 6749's shape.
 */
export function oauth2ProtocolRoutes(r: Registry): RouteSpec[] {
  const o = r.oauth2;
  const { clientEndpoint } = requestReaders(r);
  const open = { plane: 'project', credential: 'none' } as const;
  return [
    defineRoute({
      method: 'POST', url: '/oauth2/token', ...open, operation: 'oauth2TokenExchange',
      handler: async (req, reply) => {
        noStore(reply);
        return tokenEndpoint(o, clientEndpoint(req));
      },
    }),
    defineRoute({
      method: 'POST', url: '/oauth2/revoke', ...open, operation: 'revokeOAuth2Token',
      handler: async (req, reply) => {
        await revocationEndpoint(o, req.project.id, clientRequest(req));
        return reply.code(200).send();
      },
    }),
    // RFC 8628: the device asks for a device and a user code; the person's browser verifies the user code.
    defineRoute({
      method: 'POST', url: '/oauth2/device/auth', ...open, operation: 'oAuth2DeviceFlow',
      handler: async (req, reply) => {
        noStore(reply);
        return deviceAuthorization(o, clientEndpoint(req));
      },
    }),
  ];
}

export function oauth2Routes(r: Registry): RouteSpec[] {
  const o = r.oauth2;
  const { issuer, browserRoute } = requestReaders(r);
  const admin = { plane: 'project', credential: 'project' } as const;
  const open = { plane: 'project', credential: 'none' } as const;

  return [
    // ---- clients ----
    defineRoute({
      method: 'POST', url: '/admin/clients', ...admin, scope: 'oauth2:write', operation: 'createOAuth2Client',
      schema: { body: ClientBody },
      handler: async (req, reply) => reply.code(201).send(await o.clients.create(req.project.id, req.body)),
    }),
    defineRoute({
      method: 'GET', url: '/admin/clients', ...admin, scope: 'oauth2:read', operation: 'listOAuth2Clients',
      schema: {
        querystring: Type.Object({
          page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })),
          page_token: Type.Optional(Type.String({ maxLength: 512 })),
          client_name: Type.Optional(Type.String({ maxLength: 2048 })),
          owner: Type.Optional(Type.String({ maxLength: 2048 })),
        }),
      },
      handler: async (req, reply) => {
        const size = req.query.page_size ?? DEFAULT_PAGE;
        const page = await o.clients.list(req.project.id, { pageSize: size, pageToken: req.query.page_token || undefined, clientName: req.query.client_name, owner: req.query.owner });
        setLinkHeader(req, reply, size, page.nextPageToken);
        return page.clients;
      },
    }),
    // Trust relationships of the JWT bearer grant (RFC 7523), as Hydra's /admin/trust/grants/jwt-bearer/issuers.
    defineRoute({
      method: 'POST', url: '/admin/trust/grants/jwt-bearer/issuers', ...admin, scope: 'oauth2:write', operation: 'trustOAuth2JwtGrantIssuer',
      schema: { body: TrustIssuerBody },
      handler: async (req, reply) => reply.status(201).send(await o.trust.create(req.project.id, req.body)),
    }),
    defineRoute({
      method: 'GET', url: '/admin/trust/grants/jwt-bearer/issuers', ...admin, scope: 'oauth2:read', operation: 'listTrustedOAuth2JwtGrantIssuers',
      schema: {
        querystring: Type.Object({
          page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })),
          page_token: Type.Optional(Type.String({ maxLength: 512 })),
          issuer: Type.Optional(Type.String({ maxLength: 2048 })),
        }),
      },
      handler: async (req, reply) => {
        const size = req.query.page_size ?? DEFAULT_PAGE;
        const page = await o.trust.list(req.project.id, { pageSize: size, pageToken: req.query.page_token || undefined, issuer: req.query.issuer });
        setLinkHeader(req, reply, size, page.next);
        return page.issuers;
      },
    }),
    defineRoute({
      method: 'GET', url: '/admin/trust/grants/jwt-bearer/issuers/:id', ...admin, scope: 'oauth2:read', operation: 'getTrustedOAuth2JwtGrantIssuer',
      schema: { params: Type.Object({ id: Type.String({ maxLength: 128 }) }) },
      handler: async (req) => o.trust.get(req.project.id, req.params.id),
    }),
    defineRoute({
      method: 'DELETE', url: '/admin/trust/grants/jwt-bearer/issuers/:id', ...admin, scope: 'oauth2:write', operation: 'deleteTrustedOAuth2JwtGrantIssuer',
      schema: { params: Type.Object({ id: Type.String({ maxLength: 128 }) }) },
      handler: async (req, reply) => {
        await o.trust.delete(req.project.id, req.params.id);
        return reply.status(204).send();
      },
    }),
    defineRoute({
      method: 'GET', url: '/admin/clients/:id', ...admin, scope: 'oauth2:read', operation: 'getOAuth2Client',
      schema: { params: Type.Object({ id: ClientId }) },
      handler: async (req) => o.clients.mustGet(req.project.id, req.params.id),
    }),
    defineRoute({
      method: 'PUT', url: '/admin/clients/:id', ...admin, scope: 'oauth2:write', operation: 'setOAuth2Client',
      schema: { params: Type.Object({ id: ClientId }), body: ClientBody },
      handler: async (req) => o.clients.replace(req.project.id, req.params.id, req.body),
    }),
    defineRoute({
      method: 'PATCH', url: '/admin/clients/:id', ...admin, scope: 'oauth2:write', operation: 'patchOAuth2Client',
      schema: { params: Type.Object({ id: ClientId }), body: JsonPatchBody },
      handler: async (req) => o.clients.patch(req.project.id, req.params.id, req.body as jsonPatch.Operation[]),
    }),
    defineRoute({
      method: 'DELETE', url: '/admin/clients/:id', ...admin, scope: 'oauth2:write', operation: 'deleteOAuth2Client',
      schema: { params: Type.Object({ id: ClientId }) },
      handler: async (req, reply) => {
        if (!(await o.clients.delete(req.project.id, req.params.id))) throw notFound('The OAuth 2.0 client does not exist.');
        return reply.code(204).send();
      },
    }),
    defineRoute({
      method: 'PUT', url: '/admin/clients/:id/lifespans', ...admin, scope: 'oauth2:write', operation: 'setOAuth2ClientLifespans',
      schema: { params: Type.Object({ id: ClientId }), body: LifespansBody },
      handler: async (req) => o.clients.setLifespans(req.project.id, req.params.id, req.body),
    }),
    defineRoute({
      method: 'POST', url: '/admin/clients/:id/secrets/rotate', ...admin, scope: 'oauth2:write', operation: 'rotateOAuth2ClientSecret',
      schema: { params: Type.Object({ id: ClientId }) },
      handler: async (req) => o.clients.rotateSecret(req.project.id, req.params.id),
    }),
    defineRoute({
      method: 'DELETE', url: '/admin/clients/:id/secrets/rotate', ...admin, scope: 'oauth2:write', operation: 'deleteRotatedOAuth2ClientSecrets',
      schema: { params: Type.Object({ id: ClientId }) },
      handler: async (req) => o.clients.deleteRotatedSecrets(req.project.id, req.params.id),
    }),

    // ---- tokens (admin) ----
    defineRoute({
      method: 'POST', url: '/admin/oauth2/introspect', ...admin, scope: 'oauth2:read', operation: 'introspectOAuth2Token',
      schema: { body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 8192 }), scope: Type.Optional(Type.String({ maxLength: 4096 })) }) },
      handler: async (req, reply) => {
        noStore(reply);
        return o.tokens.introspect(req.project.id, req.body.token, splitSpaces(req.body.scope));
      },
    }),
    defineRoute({
      method: 'DELETE', url: '/admin/oauth2/tokens', ...admin, scope: 'oauth2:write', operation: 'deleteOAuth2Token',
      schema: { querystring: Type.Object({ client_id: ClientId }) },
      handler: async (req, reply) => {
        await o.tokens.deleteForClient(req.project.id, req.query.client_id);
        return reply.code(204).send();
      },
    }),

    // ---- login and consent (admin) ----
    defineRoute({
      method: 'GET', url: '/admin/oauth2/auth/requests/login', ...admin, scope: 'oauth2:read', operation: 'getOAuth2LoginRequest',
      schema: { querystring: LoginChallenge },
      handler: async (req, reply) => challengeAnswer(reply, await o.challenges.getLoginRequest(req.project.id, req.query.login_challenge)),
    }),
    defineRoute({
      method: 'PUT', url: '/admin/oauth2/auth/requests/login/accept', ...admin, scope: 'oauth2:write', operation: 'acceptOAuth2LoginRequest',
      schema: { querystring: LoginChallenge, body: AcceptLoginBody },
      handler: async (req) => o.challenges.acceptLogin(req.project.id, req.query.login_challenge, req.body),
    }),
    defineRoute({
      method: 'PUT', url: '/admin/oauth2/auth/requests/login/reject', ...admin, scope: 'oauth2:write', operation: 'rejectOAuth2LoginRequest',
      schema: { querystring: LoginChallenge, body: RejectBody },
      handler: async (req) => o.challenges.rejectLogin(req.project.id, req.query.login_challenge, req.body),
    }),
    defineRoute({
      method: 'GET', url: '/admin/oauth2/auth/requests/consent', ...admin, scope: 'oauth2:read', operation: 'getOAuth2ConsentRequest',
      schema: { querystring: ConsentChallenge },
      handler: async (req, reply) => challengeAnswer(reply, await o.challenges.getConsentRequest(req.project.id, req.query.consent_challenge)),
    }),
    defineRoute({
      method: 'PUT', url: '/admin/oauth2/auth/requests/consent/accept', ...admin, scope: 'oauth2:write', operation: 'acceptOAuth2ConsentRequest',
      schema: { querystring: ConsentChallenge, body: AcceptConsentBody },
      handler: async (req) => o.challenges.acceptConsent(req.project.id, req.query.consent_challenge, req.body),
    }),
    defineRoute({
      method: 'PUT', url: '/admin/oauth2/auth/requests/consent/reject', ...admin, scope: 'oauth2:write', operation: 'rejectOAuth2ConsentRequest',
      schema: { querystring: ConsentChallenge, body: RejectBody },
      handler: async (req) => o.challenges.rejectConsent(req.project.id, req.query.consent_challenge, req.body),
    }),

    // The device verification UI submits the user code a person typed (RFC 8628, Hydra's device challenge).
    defineRoute({
      method: 'PUT', url: '/admin/oauth2/auth/requests/device/accept', ...admin, scope: 'oauth2:write', operation: 'acceptUserCodeRequest',
      schema: { querystring: DeviceChallenge, body: AcceptUserCodeBody },
      handler: async (req) => o.challenges.acceptUserCode(req.project.id, req.query.device_challenge, req.body?.user_code),
    }),

    defineRoute({
      method: 'GET', url: '/admin/oauth2/auth/requests/logout', ...admin, scope: 'oauth2:read', operation: 'getOAuth2LogoutRequest',
      schema: { querystring: LogoutChallenge },
      handler: async (req, reply) => challengeAnswer(reply, await o.challenges.getLogoutRequest(req.project.id, req.query.logout_challenge)),
    }),
    defineRoute({
      method: 'PUT', url: '/admin/oauth2/auth/requests/logout/accept', ...admin, scope: 'oauth2:write', operation: 'acceptOAuth2LogoutRequest',
      schema: { querystring: LogoutChallenge },
      handler: async (req) => o.challenges.acceptLogout(req.project.id, req.query.logout_challenge, issuer(req)),
    }),
    defineRoute({
      method: 'PUT', url: '/admin/oauth2/auth/requests/logout/reject', ...admin, scope: 'oauth2:write', operation: 'rejectOAuth2LogoutRequest',
      schema: { querystring: LogoutChallenge },
      handler: async (req, reply) => {
        await o.challenges.rejectLogout(req.project.id, req.query.logout_challenge);
        return reply.code(204).send();
      },
    }),

    // ---- remembered login and consent sessions (admin) ----
    defineRoute({
      method: 'GET', url: '/admin/oauth2/auth/sessions/consent', ...admin, scope: 'oauth2:read', operation: 'listOAuth2ConsentSessions',
      schema: {
        querystring: Type.Object({
          subject: Type.String({ minLength: 1, maxLength: 1024 }),
          login_session_id: Type.Optional(Type.String({ maxLength: 128 })),
          page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })),
          page_token: Type.Optional(Type.String({ maxLength: 512 })),
        }),
      },
      handler: async (req, reply) => {
        const size = req.query.page_size ?? DEFAULT_PAGE;
        const page = await o.sessions.listConsents(req.project.id, { subject: req.query.subject, loginSessionId: req.query.login_session_id || undefined, pageSize: size, pageToken: req.query.page_token || undefined });
        setLinkHeader(req, reply, size, page.next);
        return page.items;
      },
    }),
    defineRoute({
      method: 'DELETE', url: '/admin/oauth2/auth/sessions/consent', ...admin, scope: 'oauth2:write', operation: 'revokeOAuth2ConsentSessions',
      schema: {
        querystring: Type.Object({
          subject: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
          client: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
          consent_request_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
          all: Type.Optional(Type.Boolean()),
        }),
      },
      handler: async (req, reply) => {
        const { subject, client, consent_request_id: consentRequestId, all } = req.query;
        if (!consentRequestId) {
          if (!subject) throw badRequest('subject (or consent_request_id) is required.');
          if (!client && all !== true) throw badRequest('Either client or all=true is required.');
        }
        const ids = await o.sessions.revokeConsents(req.project.id, { subject, client: all === true ? undefined : client, consentRequestId });
        // Revoking a consent revokes every token issued from it.
        for (const id of ids) await o.tokens.revokeChain(req.project.id, id);
        return reply.code(204).send();
      },
    }),
    defineRoute({
      method: 'DELETE', url: '/admin/oauth2/auth/sessions/login', ...admin, scope: 'oauth2:write', operation: 'revokeOAuth2LoginSessions',
      schema: { querystring: Type.Object({ subject: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })), sid: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) }) },
      handler: async (req, reply) => {
        if (!req.query.subject && !req.query.sid) throw badRequest('subject or sid is required.');
        await o.sessions.revokeLogins(req.project.id, { subject: req.query.subject, sid: req.query.sid });
        return reply.code(204).send();
      },
    }),

    // ---- JSON Web Keys (admin) ----
    defineRoute({
      method: 'POST', url: '/admin/keys/:set', ...admin, scope: 'oauth2:write', operation: 'createJsonWebKeySet',
      schema: { params: Type.Object({ set: SetName }), body: CreateJwkSetBody },
      handler: async (req, reply) => reply.code(201).send(await o.jwks.generate(req.project.id, req.params.set, req.body)),
    }),
    defineRoute({
      method: 'GET', url: '/admin/keys/:set', ...admin, scope: 'oauth2:read', operation: 'getJsonWebKeySet',
      schema: { params: Type.Object({ set: SetName }) },
      handler: async (req) => o.jwks.getSet(req.project.id, req.params.set),
    }),
    defineRoute({
      method: 'PUT', url: '/admin/keys/:set', ...admin, scope: 'oauth2:write', operation: 'setJsonWebKeySet',
      schema: { params: Type.Object({ set: SetName }), body: Type.Object({ keys: Type.Array(JwkBody, { maxItems: 50 }) }, { additionalProperties: false }) },
      handler: async (req) => o.jwks.replaceSet(req.project.id, req.params.set, req.body.keys as JWK[]),
    }),
    defineRoute({
      method: 'DELETE', url: '/admin/keys/:set', ...admin, scope: 'oauth2:write', operation: 'deleteJsonWebKeySet',
      schema: { params: Type.Object({ set: SetName }) },
      handler: async (req, reply) => {
        await o.jwks.deleteSet(req.project.id, req.params.set);
        return reply.code(204).send();
      },
    }),
    defineRoute({
      method: 'GET', url: '/admin/keys/:set/:kid', ...admin, scope: 'oauth2:read', operation: 'getJsonWebKey',
      schema: { params: Type.Object({ set: SetName, kid: Kid }) },
      handler: async (req) => o.jwks.getKey(req.project.id, req.params.set, req.params.kid),
    }),
    defineRoute({
      method: 'PUT', url: '/admin/keys/:set/:kid', ...admin, scope: 'oauth2:write', operation: 'setJsonWebKey',
      schema: { params: Type.Object({ set: SetName, kid: Kid }), body: JwkBody },
      handler: async (req) => o.jwks.putKey(req.project.id, req.params.set, req.params.kid, req.body as JWK),
    }),
    defineRoute({
      method: 'DELETE', url: '/admin/keys/:set/:kid', ...admin, scope: 'oauth2:write', operation: 'deleteJsonWebKey',
      schema: { params: Type.Object({ set: SetName, kid: Kid }) },
      handler: async (req, reply) => {
        await o.jwks.deleteKey(req.project.id, req.params.set, req.params.kid);
        return reply.code(204).send();
      },
    }),

    // ---- public OAuth2 / OIDC endpoints: the client or the browser authenticates itself ----
    defineRoute({
      method: 'GET', url: '/oauth2/device/verify', ...open, operation: 'performOAuth2DeviceVerificationFlow',
      handler: browserRoute((b) => o.authorize.deviceVerify(b)),
    }),
    defineRoute({
      method: 'GET', url: '/oauth2/auth', ...open, operation: 'oAuth2Authorize',
      handler: browserRoute((b) => o.authorize.authorize(b)),
    }),
    defineRoute({
      method: 'GET', url: '/oauth2/sessions/logout', ...open, operation: 'revokeOidcSession',
      handler: browserRoute((b) => o.logout.handle(b)),
    }),
    ...(['GET', 'POST'] as const).map((method) =>
      defineRoute({
        method, url: '/userinfo', ...open, operation: 'getOidcUserInfo',
        handler: async (req, reply) => {
          const token = bearerToken(req);
          if (!token) throw invalidToken('No bearer token was sent.');
          const row = await o.tokens.active(req.project.id, token);
          if (!row || row.kind !== 'access_token') throw invalidToken('');
          if (!row.scope.split(' ').includes('openid')) {
            throw new OAuth2Error('insufficient_scope', 'The access token was not granted the "openid" scope.', 403, { 'www-authenticate': 'Bearer error="insufficient_scope", scope="openid"' });
          }
          const session = JSON.parse(row.session) as TokenSession;
          noStore(reply);
          return { ...session.id_token, sub: row.subject };
        },
      }),
    ),
    defineRoute({
      method: 'GET', url: '/.well-known/openid-configuration', ...open, operation: 'discoverOidcConfiguration',
      handler: async (req) => {
        const iss = issuer(req);
        const idKey = await o.jwks.signingKey(req.project.id, ID_TOKEN_SET);
        return {
          issuer: iss,
          authorization_endpoint: `${iss}/oauth2/auth`,
          token_endpoint: `${iss}/oauth2/token`,
          device_authorization_endpoint: `${iss}/oauth2/device/auth`,
          jwks_uri: `${iss}/.well-known/jwks.json`,
          userinfo_endpoint: `${iss}/userinfo`,
          revocation_endpoint: `${iss}/oauth2/revoke`,
          end_session_endpoint: `${iss}/oauth2/sessions/logout`,
          subject_types_supported: ['public'],
          response_types_supported: ['code'],
          response_modes_supported: ['query'],
          grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', JWT_BEARER, DEVICE_CODE_GRANT],
          scopes_supported: ['offline_access', 'offline', 'openid'],
          claims_supported: ['sub'],
          token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic', 'none'],
          code_challenge_methods_supported: ['S256'],
          id_token_signing_alg_values_supported: [idKey.alg],
          id_token_signed_response_alg: [idKey.alg],
          userinfo_signing_alg_values_supported: ['none'],
          userinfo_signed_response_alg: ['none'],
          request_parameter_supported: false,
          request_uri_parameter_supported: false,
          require_request_uri_registration: false,
          claims_parameter_supported: false,
          backchannel_logout_supported: false,
          backchannel_logout_session_supported: false,
          frontchannel_logout_supported: false,
          frontchannel_logout_session_supported: false,
        };
      },
    }),
    defineRoute({
      method: 'GET', url: '/.well-known/jwks.json', ...open, operation: 'discoverJsonWebKeys',
      handler: async (req, reply) => {
        reply.header('cache-control', 'public, max-age=60');
        return { keys: await o.jwks.publicKeys(req.project.id) };
      },
    }),
  ];
}
