import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ClientService, OAuth2Client } from './clients.js';
import { IssueRefused, type TokenService, type TokenResponse, type TokenSession } from './tokens.js';
import type { FlowService } from './flows.js';
import type { OAuth2FlowsTable } from './tables.js';
import type { FailureLimiter } from './rate-limit.js';
import { JWT_BEARER, type TrustService } from './trust.js';
import { jwtBearerSubject } from './jwt-bearer.js';
import { DEVICE_CODE_GRANT, POLL_ERRORS, accessDenied, authorizationPending, expiredToken, slowDown, type DeviceCodeStore } from './device.js';
import { newId } from '../platform/ids.js';
import { OAuth2Error, invalidClient, invalidGrant, invalidRequest, invalidScope, unauthorizedClient, unsupportedGrantType } from './errors.js';
import { DuplicateParam, audienceParam, param, splitSpaces } from './util.js';
import { safeEqual } from '../platform/crypto.js';

export interface ClientCredentials {
  method: 'client_secret_basic' | 'client_secret_post' | 'none';
  clientId: string;
  secret?: string;
}

/**
 * Reads client authentication per RFC 6749 §2.3: HTTP Basic (form-urlencoded id and secret) or the
 * body's client_id/client_secret; a public client sends only client_id. Using both is refused.
 */
export function readClientCredentials(req: FastifyRequest, body: unknown): ClientCredentials {
  const header = req.headers.authorization;
  const bodyId = param(body, 'client_id');
  const bodySecret = param(body, 'client_secret');
  if (typeof header === 'string' && /^basic /i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) throw invalidClient('The Authorization header is not valid HTTP Basic authentication.', true);
    let clientId: string;
    let secret: string;
    try {
      clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, '%20'));
      secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, '%20'));
    } catch {
      throw invalidClient('The client credentials in the Authorization header are not form-urlencoded.', true);
    }
    if (bodySecret !== undefined) throw invalidRequest('The client used more than one authentication method.');
    if (bodyId !== undefined && bodyId !== clientId) throw invalidRequest('client_id in the body does not match the Authorization header.');
    return { method: 'client_secret_basic', clientId, secret };
  }
  if (bodyId && bodySecret !== undefined) return { method: 'client_secret_post', clientId: bodyId, secret: bodySecret };
  if (bodyId) return { method: 'none', clientId: bodyId };
  throw invalidClient('No client authentication was included in the request.', false);
}

export interface TokenEndpointDeps {
  clients: ClientService;
  trust: TrustService;
  tokens: TokenService;
  flows: FlowService;
  limiter: FailureLimiter;
  devices: DeviceCodeStore;
}

const OFFLINE = ['offline', 'offline_access'];

/** A parameter's value for a decision that `param` will make again later (a repeated one reads as absent). */
function peekParam(body: unknown, name: string): string | undefined {
  try {
    return param(body, name);
  } catch {
    return undefined;
  }
}

/** 429 (with Retry-After) while a client is over its failure limit, whatever it sends now. */
export async function refuseIfLimited(d: Pick<TokenEndpointDeps, 'limiter'>, projectId: string, clientId: string): Promise<void> {
  const wait = await d.limiter.retryAfter(projectId, clientId);
  if (wait > 0) throw new OAuth2Error('too_many_requests', 'Too many failed requests for this client; retry later.', 429, { 'retry-after': String(wait) });
}

/** Authenticates the client of a request or throws invalid_client (401). */
export async function authenticateClient(d: Pick<TokenEndpointDeps, 'clients'>, projectId: string, creds: ClientCredentials): Promise<OAuth2Client> {
  const basic = creds.method === 'client_secret_basic';
  if (creds.method === 'none') {
    const client = await d.clients.get(projectId, creds.clientId);
    if (!client || client.token_endpoint_auth_method !== 'none') throw invalidClient('The client is not a public client; it must authenticate with its secret.', false);
    return client;
  }
  const client = await d.clients.authenticate(projectId, creds.clientId, creds.secret ?? '');
  if (!client) throw invalidClient('The client does not exist or the secret is wrong.', basic);
  if (client.token_endpoint_auth_method !== creds.method) {
    throw invalidClient(`The OAuth 2.0 Client supports client authentication method '${client.token_endpoint_auth_method}', but method '${creds.method}' was requested.`, basic);
  }
  return client;
}

/** Whether every requested scope is allowed by the client's space-separated `scope` ("exact" strategy). */
export function scopesAllowed(client: OAuth2Client, requested: string[]): string | null {
  const allowed = new Set(splitSpaces(client.scope));
  return requested.find((s) => !allowed.has(s)) ?? null;
}

/**
 * The `scope` and `audience` a client requests at the token or device endpoint, each allowed by the
 * client (invalid_scope, invalid_request otherwise: the refused value is named, cut to 100 characters).
 */
export function requestedGrant(client: OAuth2Client, body: unknown): { scopes: string[]; audience: string[] } {
  const scopes = splitSpaces(param(body, 'scope'));
  const bad = scopesAllowed(client, scopes);
  if (bad !== null) throw invalidScope(`The OAuth 2.0 Client is not allowed to request scope "${bad.slice(0, 100)}".`);
  const audience = audienceParam(body);
  const badAud = audience.find((a) => !(client.audience as string[]).includes(a));
  if (badAud) throw invalidRequest(`Requested audience "${badAud.slice(0, 100)}" has not been whitelisted by the OAuth 2.0 Client.`);
  return { scopes, audience };
}

/**
 * POST /oauth2/token. Failures are counted per client and refused with 429 above the limit; every
 * error is an RFC 6749 error body, never a 500 for bad input.
 */
export async function tokenEndpoint(d: TokenEndpointDeps, req: FastifyRequest, issuer: string): Promise<TokenResponse> {
  const project = req.project!;
  const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body : {};
  let bucket: string | undefined;
  let creds: ClientCredentials | undefined;
  // A client_credentials request of a client this node saw no recent failures for is not checked
  // against the failure count up front: the guarded token insert checks the shared count atomically
  // with the write, and a failing request checks it before answering (so a client over its limit
  // still gets 429 whatever it sends, from every node).
  let deferred = false;
  try {
    creds = readClientCredentials(req, body);
    deferred = creds.method !== 'none' && peekParam(body, 'grant_type') === 'client_credentials' && !d.limiter.mayBeLimited(project.id, creds.clientId);
    if (!deferred) await refuseIfLimited(d, project.id, creds.clientId);
    bucket = creds.clientId;
    const grantType = param(body, 'grant_type');
    if (!grantType) throw invalidRequest('The grant_type parameter is missing.');
    const client = await authenticateClient(d, project.id, creds);
    const config = project.services.oauth2.config ?? {};
    const allowsGrant = (g: string) => (client.grant_types as string[]).includes(g);

    switch (grantType) {
      case 'client_credentials': {
        if (creds.method === 'none') throw unauthorizedClient('A public client may not use the client_credentials grant.');
        if (!allowsGrant('client_credentials')) throw unauthorizedClient('The client is not allowed to use the grant type "client_credentials".');
        const { scopes, audience } = requestedGrant(client, body);
        // Awaited here so that a refused guarded insert reaches the catch below.
        return await d.tokens.issue({
          projectId: project.id, oauth2Config: config, issuer, client, grantType, subject: client.client_id,
          scopes, audience, session: { access_token: {}, id_token: {} }, requestId: newId(), withRefresh: false, withIdToken: false,
          guard: { bucket: creds.clientId, limiter: d.limiter },
        });
      }
      case 'authorization_code': {
        if (!allowsGrant('authorization_code')) throw unauthorizedClient('The client is not allowed to use the grant type "authorization_code".');
        const code = param(body, 'code');
        if (!code) throw invalidRequest('The code parameter is missing.');
        const flow = await d.flows.byCode(project.id, code);
        if (!flow || flow.client_id !== client.client_id) throw invalidGrant('The authorization code is unknown or was issued to another client.');
        if (flow.state === 'code_used' || flow.state === 'done') {
          // A replayed code revokes everything issued from it (RFC 6749 §4.1.2).
          await d.tokens.revokeChain(project.id, flow.id);
          throw invalidGrant('The authorization code has already been used.');
        }
        if (flow.state !== 'code_issued') throw invalidGrant('The authorization code is not valid.');
        if (Date.parse(flow.expires_at) <= Date.now()) throw invalidGrant('The authorization code has expired.');
        const request = JSON.parse(flow.request) as { redirect_uri: string; redirect_uri_given: boolean; code_challenge?: string; code_challenge_method?: string; nonce?: string };
        const redirectUri = param(body, 'redirect_uri');
        if ((request.redirect_uri_given || redirectUri !== undefined) && redirectUri !== request.redirect_uri) throw invalidGrant('The redirect_uri does not match the one of the authorization request.');
        const verifier = param(body, 'code_verifier');
        if (request.code_challenge) {
          if (!verifier) throw invalidGrant('The PKCE code_verifier is missing.');
          if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) throw invalidGrant('The PKCE code_verifier is malformed.');
          const computed = createHash('sha256').update(verifier).digest('base64url');
          if (!safeEqual(computed, request.code_challenge)) throw invalidGrant('The PKCE code_verifier does not match the code_challenge.');
        } else if (verifier !== undefined) {
          throw invalidGrant('A code_verifier was sent but the authorization request had no code_challenge.');
        }
        if (!(await d.flows.markCodeUsed(project.id, flow.id))) throw invalidGrant('The authorization code has already been used.');
        return issueFromFlow(d, flow, client, config, issuer, grantType, project.id);
      }
      case 'refresh_token': {
        if (!allowsGrant('refresh_token')) throw unauthorizedClient('The client is not allowed to use the grant type "refresh_token".');
        const token = param(body, 'refresh_token');
        if (!token) throw invalidRequest('The refresh_token parameter is missing.');
        const row = await d.tokens.refreshRow(project.id, token);
        if (!row || row.client_id !== client.client_id) throw invalidGrant('The refresh token is unknown or was issued to another client.');
        if (row.revoked_at) throw invalidGrant('The refresh token has been revoked.');
        if (row.used_at) {
          // Reuse of a rotated refresh token: assume it leaked and revoke the whole chain.
          await d.tokens.revokeChain(project.id, row.request_id);
          throw invalidGrant('The refresh token has already been used.');
        }
        if (Date.parse(row.expires_at) <= Date.now()) throw invalidGrant('The refresh token has expired.');
        const granted = row.scope.split(' ').filter(Boolean);
        const requested = param(body, 'scope');
        const scopes = requested === undefined ? granted : splitSpaces(requested);
        const extra = scopes.find((s) => !granted.includes(s));
        if (extra) throw invalidScope(`The scope "${extra}" was not granted to the refresh token.`);
        if (!(await d.tokens.markUsed(project.id, row.id))) {
          await d.tokens.revokeChain(project.id, row.request_id);
          throw invalidGrant('The refresh token has already been used.');
        }
        await d.tokens.revokeChain(project.id, row.request_id, 'access_token');
        return d.tokens.issue({
          projectId: project.id, oauth2Config: config, issuer, client, grantType, subject: row.subject, scopes,
          audience: JSON.parse(row.audience) as string[], session: JSON.parse(row.session) as TokenSession, requestId: row.request_id,
          withRefresh: true, withIdToken: scopes.includes('openid'),
        });
      }
      case DEVICE_CODE_GRANT: {
        if (!allowsGrant(DEVICE_CODE_GRANT)) throw unauthorizedClient(`The client is not allowed to use the grant type "${DEVICE_CODE_GRANT}".`);
        const deviceCode = param(body, 'device_code');
        if (!deviceCode) throw invalidRequest('The device_code parameter is missing.');
        const row = await d.devices.byDeviceCode(project.id, deviceCode);
        if (!row || row.client_id !== client.client_id) throw invalidGrant('The device code is unknown or was issued to another client.');
        if (row.state === 'used') {
          // A replayed device code revokes what was issued from it, as a replayed authorization code does.
          if (row.flow_id) await d.tokens.revokeChain(project.id, row.flow_id);
          throw invalidGrant('The device code has already been used.');
        }
        if (Date.parse(row.expires_at) <= Date.now()) throw expiredToken();
        if (!(await d.devices.recordPoll(row))) throw slowDown();
        if (row.state === 'denied') {
          const flow = row.flow_id ? await d.flows.byId(project.id, row.flow_id) : undefined;
          throw accessDenied(flow?.error ? (JSON.parse(flow.error) as { error_description?: string }).error_description : undefined);
        }
        if (row.state !== 'approved' || !row.flow_id) throw authorizationPending();
        const flow = await d.flows.byId(project.id, row.flow_id);
        if (!flow || flow.state !== 'code_issued') throw authorizationPending();
        if (!(await d.devices.markUsed(project.id, row.id)) || !(await d.flows.markCodeUsed(project.id, flow.id))) throw invalidGrant('The device code has already been used.');
        return issueFromFlow(d, flow, client, config, issuer, DEVICE_CODE_GRANT, project.id);
      }
      case JWT_BEARER: {
        if (!allowsGrant(JWT_BEARER)) throw unauthorizedClient(`The client is not allowed to use the grant type "${JWT_BEARER}".`);
        const { scopes, audience } = requestedGrant(client, body);
        const subject = await jwtBearerSubject(d.trust, project.id, param(body, 'assertion'), `${issuer}/oauth2/token`, scopes, config);
        return d.tokens.issue({
          projectId: project.id, oauth2Config: config, issuer, client, grantType: JWT_BEARER, subject,
          scopes, audience, session: { access_token: {}, id_token: {} }, requestId: newId(), withRefresh: false, withIdToken: false,
        });
      }
      default:
        throw unsupportedGrantType(`The grant type "${grantType.slice(0, 100)}" is not supported.`);
    }
  } catch (err) {
    let e = err;
    if (err instanceof DuplicateParam) e = invalidRequest(err.message);
    if (err instanceof IssueRefused && bucket !== undefined) {
      // Nothing was written: the client is over its limit (429), or it was deleted meanwhile.
      d.clients.forget(project.id, bucket);
      await refuseIfLimited(d, project.id, bucket);
      e = invalidClient('The client does not exist or the secret is wrong.', creds?.method === 'client_secret_basic');
    } else if (deferred && bucket !== undefined && e instanceof OAuth2Error) {
      await refuseIfLimited(d, project.id, bucket);
    }
    // Polling a device code that is not yet authorized is the protocol at work, not a failure.
    if (bucket !== undefined && e instanceof OAuth2Error && !POLL_ERRORS.has(e.error)) await d.limiter.fail(project.id, bucket);
    throw e;
  }
}

/** Tokens of a flow whose consent was given (authorization code or device code): what the consent granted. */
function issueFromFlow(d: Pick<TokenEndpointDeps, 'tokens'>, flow: OAuth2FlowsTable, client: OAuth2Client, config: Record<string, any>, issuer: string, grantType: 'authorization_code' | typeof DEVICE_CODE_GRANT, projectId: string): Promise<TokenResponse> {
  const request = JSON.parse(flow.request) as { nonce?: string };
  const consent = JSON.parse(flow.consent ?? '{}') as { grant_scope?: string[]; grant_access_token_audience?: string[]; session?: TokenSession };
  const login = JSON.parse(flow.login ?? '{}') as { acr?: string; amr?: string[]; authenticated_at?: number; sid?: string };
  const scopes = consent.grant_scope ?? [];
  return d.tokens.issue({
    projectId, oauth2Config: config, issuer, client, grantType, subject: flow.subject ?? '', scopes,
    audience: consent.grant_access_token_audience ?? [],
    session: {
      access_token: (consent.session?.access_token as Record<string, unknown>) ?? {},
      id_token: (consent.session?.id_token as Record<string, unknown>) ?? {},
      auth_time: login.authenticated_at, acr: login.acr, amr: login.amr, nonce: request.nonce, sid: login.sid ?? flow.id,
    },
    requestId: flow.id,
    withRefresh: scopes.some((s) => OFFLINE.includes(s)) && (client.grant_types as string[]).includes('refresh_token'),
    withIdToken: scopes.includes('openid'),
  });
}
