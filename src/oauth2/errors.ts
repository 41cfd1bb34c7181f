import { OryError } from '../platform/errors/errors.js';

/**
 * An RFC 6749 error, rendered the way Hydra does: `{"error":"invalid_client","error_description":"..."}`.
 * It extends OryError so the app's one error handler renders it (status, headers) without a special case.
 */
export class OAuth2Error extends OryError {
  constructor(
    readonly error: string,
    readonly description: string,
    code = 400,
    headers?: Record<string, string>,
  ) {
    super(code, description, error, undefined, undefined, headers);
    this.name = 'OAuth2Error';
  }

  override toBody(_requestId: string): { error: Record<string, unknown> } {
    const body = { error: this.error, error_description: this.description };
    return body as unknown as { error: Record<string, unknown> };
  }
}

export const invalidRequest = (d: string) => new OAuth2Error('invalid_request', `The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed.${d ? ` ${d}` : ''}`);
export const invalidClient = (d: string, basic: boolean) =>
  new OAuth2Error(
    'invalid_client',
    `Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method).${d ? ` ${d}` : ''}`,
    401,
    basic ? { 'www-authenticate': 'Basic realm="oauth2", charset="UTF-8"' } : undefined,
  );
export const invalidGrant = (d: string) => new OAuth2Error('invalid_grant', `The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.${d ? ` ${d}` : ''}`);
export const unauthorizedClient = (d: string) => new OAuth2Error('unauthorized_client', `The client is not authorized to request a token using this method.${d ? ` ${d}` : ''}`);
export const unsupportedGrantType = (d: string) => new OAuth2Error('unsupported_grant_type', `The authorization grant type is not supported by the authorization server.${d ? ` ${d}` : ''}`);
export const invalidScope = (d: string) => new OAuth2Error('invalid_scope', `The requested scope is invalid, unknown, or malformed.${d ? ` ${d}` : ''}`);
export const invalidToken = (d: string) =>
  new OAuth2Error('invalid_token', `The access token is invalid: expired, revoked, malformed, or not issued by this server.${d ? ` ${d}` : ''}`, 401, {
    'www-authenticate': 'Bearer error="invalid_token"',
  });
