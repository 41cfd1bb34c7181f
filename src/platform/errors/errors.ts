import { STATUS_CODES } from 'node:http';

/**
 * Stable, snake_case error ids. One list for the whole product so clients can switch on them.
 * Domains add their ids here rather than inventing strings at the call site.
 */
export const ErrorId = {
  badRequest: 'bad_request',
  invalidJson: 'invalid_json',
  validationFailed: 'validation_failed',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  notFound: 'not_found',
  conflict: 'conflict',
  payloadTooLarge: 'payload_too_large',
  unsupportedMediaType: 'unsupported_media_type',
  tooManyRequests: 'too_many_requests',
  internal: 'internal_server_error',
  lastOwner: 'last_owner',
  revisionMismatch: 'revision_mismatch',
  domainTaken: 'organization_domain_taken',
  // identity plane
  sessionInactive: 'session_inactive',
  sessionAal2Required: 'session_aal2_required',
  identityExists: 'identity_already_exists',
  selfServiceFlowExpired: 'self_service_flow_expired',
  securityCsrfViolation: 'security_csrf_violation',
  browserLocationChangeRequired: 'browser_location_change_required',
  // console
  consoleInvalidCredentials: 'console_invalid_credentials',
  consoleAccountExists: 'console_account_exists',
  consoleAccountWithoutPassword: 'console_account_without_password',
  consolePasswordPolicy: 'console_password_policy_violation',
  // self-service flows
  sessionRefreshRequired: 'session_refresh_required',
  selfServiceFlowDisabled: 'self_service_flow_disabled',
  selfServiceFlowReturnToForbidden: 'self_service_flow_return_to_forbidden',
  sessionAlreadyAvailable: 'session_already_available',
  securityIdentityMismatch: 'security_identity_mismatch',
  // oauth2 plane (admin API; protocol endpoints answer RFC 6749 bodies instead)
  oauth2InvalidClientMetadata: 'invalid_client_metadata',
  oauth2InvalidRedirectUri: 'invalid_redirect_uri',
  oauth2InvalidScope: 'invalid_scope',
} as const;
export type ErrorId = (typeof ErrorId)[keyof typeof ErrorId];

/** An error that is safe to show to the caller: it is rendered in Ory's shape with its own message. */
export class OryError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason?: string,
    readonly id?: string,
    readonly details?: Record<string, unknown>,
    /** Extra response headers, such as Retry-After. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'OryError';
  }

  get status(): string {
    return STATUS_CODES[this.code] ?? 'Error';
  }

  private jsonHead?: string;

  /**
   * `toBody` as JSON text. For Ory's own shape (where the request id comes last) the part before
   * the id is rendered once per error; subclasses with their own body shape render it whole.
   */
  toJson(requestId: string): string {
    if (this.toBody !== OryError.prototype.toBody) return JSON.stringify(this.toBody(requestId));
    this.jsonHead ??= JSON.stringify(this.toBody('')).slice(0, -'"request":""}}'.length) + '"request":';
    return `${this.jsonHead}${JSON.stringify(requestId)}}}`;
  }

  /** Ory's body: `{"error":{code,status,id,message,reason,details,request}}`. */
  toBody(requestId: string): { error: Record<string, unknown> } {
    const error: Record<string, unknown> = { code: this.code, status: this.status, message: this.message };
    if (this.id) error.id = this.id;
    if (this.reason) error.reason = this.reason;
    if (this.details) error.details = this.details;
    error.request = requestId;
    return { error };
  }
}

/** An Ory error whose body carries extra top-level fields (`redirect_browser_to`, `use_flow_id`, ...), as Kratos's do. */
export class OryErrorWithFields extends OryError {
  constructor(code: number, message: string, reason: string, id: string, readonly extra: Record<string, unknown> = {}, details?: Record<string, unknown>) {
    super(code, message, reason, id, details);
  }

  override toBody(requestId: string): { error: Record<string, unknown> } {
    return { ...this.extra, ...super.toBody(requestId) };
  }
}

/**
 * Kratos's 403 for a session below the assurance level the identity can reach (`session_aal2_required`),
 * pointing the browser to the login flow that upgrades it.
 */
export const aal2Required = (redirectTo: string) =>
  new OryErrorWithFields(
    403,
    'The requested action was forbidden',
    'An active session was found but it does not fulfill the Authenticator Assurance Level, implying that the session must first be upgraded to a higher assurance level.',
    ErrorId.sessionAal2Required,
    { redirect_browser_to: redirectTo },
  );

export const badRequest = (reason: string, id: string = ErrorId.badRequest, details?: Record<string, unknown>) =>
  new OryError(400, 'The request was malformed or contained invalid parameters', reason, id, details);

export const unauthorized = (reason = 'The request could not be authorized: a valid API key is required.') =>
  new OryError(401, 'The request could not be authorized', reason, ErrorId.unauthorized);

export const forbidden = (reason = 'The credential may not perform this action.') =>
  new OryError(403, 'The requested action was forbidden', reason, ErrorId.forbidden);

export const notFound = (reason = 'The requested resource could not be found.') =>
  new OryError(404, 'The requested resource could not be found', reason, ErrorId.notFound);

export const conflict = (reason: string, id: string = ErrorId.conflict) =>
  new OryError(409, 'The resource could not be created due to a conflict', reason, id);

export const tooManyRequests = (retryAfterSeconds: number, reason = 'Too many requests; retry later.') =>
  new OryError(429, 'Too many requests', reason, ErrorId.tooManyRequests, undefined, {
    'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))),
  });

/**
 * Ory's 404 for an endpoint whose feature is turned off (Kratos's `x.EndpointDisabledMessage`): what
 * Gatehouse answers for SDK operations of features it does not offer, once the caller is authorized.
 */
export const endpointDisabled = () =>
  notFound('This endpoint was disabled by system administrator. Please check your url or contact the system administrator to enable it.');

/** The 404 of a path no route serves; a long path is cut, not echoed back whole. */
export function noRoute(method: string, url: string): OryError {
  const path = url.split('?')[0];
  return notFound(`No route ${method} ${path.length > 200 ? `${path.slice(0, 200)}…` : path}.`);
}
