import { createHash } from 'node:crypto';
import type { OAuth2Client } from './clients.js';
import type { TokenService, TokenResponse, TokenSession } from './tokens.js';
import type { FlowStore } from './flow-store.js';
import type { OAuth2FlowsTable } from './tables.js';
import type { ClientAuthenticator, ClientCredentials, ClientRequest } from './client-auth.js';
import { requestedGrant } from './client-grants.js';
import type { OAuth2Config } from './config.js';
import { JWT_BEARER, type TrustService } from './trust.js';
import { jwtBearerSubject } from './jwt-bearer.js';
import { DEVICE_CODE_GRANT, POLL_ERRORS, accessDenied, authorizationPending, expiredToken, slowDown, type DeviceCodeStore } from './device.js';
import { newId } from '../platform/ids.js';
import { invalidGrant, invalidRequest, invalidScope, unauthorizedClient, unsupportedGrantType, type OAuth2Error } from './errors.js';
import { param, splitSpaces } from './util.js';
import { safeEqual } from '../platform/crypto.js';

export interface TokenEndpointDeps {
  auth: ClientAuthenticator;
  trust: TrustService;
  tokens: TokenService;
  flows: FlowStore;
  devices: DeviceCodeStore;
}

/** What POST /oauth2/token needs of the request, extracted by the route. */
export interface TokenRequest {
  projectId: string;
  config: OAuth2Config;
  issuer: string;
  request: ClientRequest;
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

/**
 * POST /oauth2/token. Failures are counted per client and refused with 429 above the limit; every
 * error is an RFC 6749 error body, never a 500 for bad input.
 */
export function tokenEndpoint(d: TokenEndpointDeps, t: TokenRequest): Promise<TokenResponse> {
  const body = t.request.params;
  const policy = {
    // A client_credentials request of a client this node saw no recent failures for is not checked
    // against the failure count up front: the guarded token insert checks the shared count atomically
    // with the write, and a failing request checks it before answering.
    deferLimitCheck: (creds: ClientCredentials) => creds.method !== 'none' && peekParam(body, 'grant_type') === 'client_credentials',
    // Polling a device code that is not yet authorized is the protocol at work, not a failure.
    counts: (e: OAuth2Error) => !POLL_ERRORS.has(e.error),
  };
  return d.auth.run(t.projectId, t.request, policy, async ({ creds, authenticate }) => {
    const grantType = requiredParam(body, 'grant_type');
    const client = await authenticate();
    return grant(d, t, grantType, creds, client);
  });
}

/**
 * POST /oauth2/revoke (RFC 7009): the client authenticates as at the token endpoint and revokes a
 * token's grant chain if the token is its own. Wrong secrets count against the same per-client limit.
 */
export function revocationEndpoint(d: Pick<TokenEndpointDeps, 'auth' | 'tokens'>, projectId: string, request: ClientRequest): Promise<void> {
  return d.auth.run(projectId, request, { counts: (e) => e.error === 'invalid_client' }, async ({ authenticate }) => {
    const token = requiredParam(request.params, 'token');
    const client = await authenticate();
    await d.tokens.revoke(projectId, client.client_id, token);
  });
}

/** A parameter the grant cannot do without (invalid_request when missing). */
function requiredParam(body: unknown, name: string): string {
  const v = param(body, name);
  if (!v) throw invalidRequest(`The ${name} parameter is missing.`);
  return v;
}

/** unauthorized_client unless the client was registered for `grantType`. */
function requireGrant(client: OAuth2Client, grantType: string): void {
  if (!(client.grant_types as string[]).includes(grantType)) throw unauthorizedClient(`The client is not allowed to use the grant type "${grantType}".`);
}

/** The tokens of one grant for an authenticated client. */
async function grant(d: TokenEndpointDeps, t: TokenRequest, grantType: string, creds: ClientCredentials, client: OAuth2Client): Promise<TokenResponse> {
  const { projectId, config, issuer } = t;
  const body = t.request.params;
  switch (grantType) {
    case 'client_credentials': {
      if (creds.method === 'none') throw unauthorizedClient('A public client may not use the client_credentials grant.');
      requireGrant(client, grantType);
      const { scopes, audience } = requestedGrant(client, body);
      // Awaited here so that a refused guarded insert reaches the client authenticator's catch.
      return await d.tokens.issue({
        projectId: projectId, oauth2Config: config, issuer, client, grantType, subject: client.client_id,
        scopes, audience, session: { access_token: {}, id_token: {} }, requestId: newId(), withRefresh: false, withIdToken: false,
        guard: { bucket: creds.clientId },
      });
    }
    case 'authorization_code': {
      requireGrant(client, grantType);
      const flow = await d.flows.bySecret(projectId, 'code_hash', requiredParam(body, 'code'));
      if (!flow || flow.client_id !== client.client_id) throw invalidGrant('The authorization code is unknown or was issued to another client.');
      if (flow.state === 'code_used' || flow.state === 'done') {
        // A replayed code revokes everything issued from it (RFC 6749 §4.1.2).
        return revokeAndRefuse(d, projectId, flow.id, 'The authorization code has already been used.');
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
      if (!(await d.flows.markCodeUsed(projectId, flow.id))) throw invalidGrant('The authorization code has already been used.');
      return issueFromFlow(d, flow, client, config, issuer, grantType, projectId);
    }
    case 'refresh_token': {
      requireGrant(client, grantType);
      const row = await d.tokens.refreshRow(projectId, requiredParam(body, 'refresh_token'));
      if (!row || row.client_id !== client.client_id) throw invalidGrant('The refresh token is unknown or was issued to another client.');
      if (row.revoked_at) throw invalidGrant('The refresh token has been revoked.');
      if (row.used_at) {
        // Reuse of a rotated refresh token: assume it leaked and revoke the whole chain.
        return revokeAndRefuse(d, projectId, row.request_id, 'The refresh token has already been used.');
      }
      if (Date.parse(row.expires_at) <= Date.now()) throw invalidGrant('The refresh token has expired.');
      const granted = row.scope.split(' ').filter(Boolean);
      const requested = param(body, 'scope');
      const scopes = requested === undefined ? granted : splitSpaces(requested);
      const extra = scopes.find((s) => !granted.includes(s));
      if (extra) throw invalidScope(`The scope "${extra}" was not granted to the refresh token.`);
      if (!(await d.tokens.markUsed(projectId, row.id))) return revokeAndRefuse(d, projectId, row.request_id, 'The refresh token has already been used.');
      await d.tokens.revokeChain(projectId, row.request_id, 'access_token');
      return d.tokens.issue({
        projectId: projectId, oauth2Config: config, issuer, client, grantType, subject: row.subject, scopes,
        audience: JSON.parse(row.audience) as string[], session: JSON.parse(row.session) as TokenSession, requestId: row.request_id,
        withRefresh: true, withIdToken: scopes.includes('openid'),
      });
    }
    case DEVICE_CODE_GRANT: {
      requireGrant(client, grantType);
      const row = await d.devices.byDeviceCode(projectId, requiredParam(body, 'device_code'));
      if (!row || row.client_id !== client.client_id) throw invalidGrant('The device code is unknown or was issued to another client.');
      if (row.state === 'used') {
        // A replayed device code revokes what was issued from it, as a replayed authorization code does.
        if (row.flow_id) await d.tokens.revokeChain(projectId, row.flow_id);
        throw invalidGrant('The device code has already been used.');
      }
      if (Date.parse(row.expires_at) <= Date.now()) throw expiredToken();
      if (!(await d.devices.recordPoll(row))) throw slowDown();
      if (row.state === 'denied') {
        const flow = row.flow_id ? await d.flows.byId(projectId, row.flow_id) : undefined;
        throw accessDenied(flow?.error ? (JSON.parse(flow.error) as { error_description?: string }).error_description : undefined);
      }
      if (row.state !== 'approved' || !row.flow_id) throw authorizationPending();
      const flow = await d.flows.byId(projectId, row.flow_id);
      if (!flow || flow.state !== 'code_issued') throw authorizationPending();
      if (!(await d.devices.markUsed(projectId, row.id)) || !(await d.flows.markCodeUsed(projectId, flow.id))) throw invalidGrant('The device code has already been used.');
      return issueFromFlow(d, flow, client, config, issuer, DEVICE_CODE_GRANT, projectId);
    }
    case JWT_BEARER: {
      requireGrant(client, grantType);
      const { scopes, audience } = requestedGrant(client, body);
      const subject = await jwtBearerSubject(d.trust, projectId, param(body, 'assertion'), `${issuer}/oauth2/token`, scopes, config.jwtGrant);
      return d.tokens.issue({
        projectId: projectId, oauth2Config: config, issuer, client, grantType: JWT_BEARER, subject,
        scopes, audience, session: { access_token: {}, id_token: {} }, requestId: newId(), withRefresh: false, withIdToken: false,
      });
    }
    default:
      throw unsupportedGrantType(`The grant type "${grantType.slice(0, 100)}" is not supported.`);
  }
}

/** A replayed code or refresh token: everything issued in its grant chain is revoked, and the grant refused. */
async function revokeAndRefuse(d: Pick<TokenEndpointDeps, 'tokens'>, projectId: string, requestId: string, message: string): Promise<never> {
  await d.tokens.revokeChain(projectId, requestId);
  throw invalidGrant(message);
}

/** Tokens of a flow whose consent was given (authorization code or device code): what the consent granted. */
function issueFromFlow(d: Pick<TokenEndpointDeps, 'tokens'>, flow: OAuth2FlowsTable, client: OAuth2Client, config: OAuth2Config, issuer: string, grantType: 'authorization_code' | typeof DEVICE_CODE_GRANT, projectId: string): Promise<TokenResponse> {
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
