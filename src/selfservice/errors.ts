import { ErrorId, OryErrorWithFields as FlowHttpError } from '../platform/errors/errors.js';

// Stable error ids of the self-service flows (Kratos's ids), all from the one ErrorId list.
export const FlowErrorId = {
  flowExpired: ErrorId.selfServiceFlowExpired,
  csrf: ErrorId.securityCsrfViolation,
  browserLocationChangeRequired: ErrorId.browserLocationChangeRequired,
  sessionInactive: ErrorId.sessionInactive,
  sessionRefreshRequired: ErrorId.sessionRefreshRequired,
  flowDisabled: ErrorId.selfServiceFlowDisabled,
  returnToForbidden: ErrorId.selfServiceFlowReturnToForbidden,
  sessionAlreadyAvailable: ErrorId.sessionAlreadyAvailable,
  identityMismatch: ErrorId.securityIdentityMismatch,
} as const;

/** Flow errors carry extra top-level fields (`redirect_browser_to`, `use_flow_id`, ...). */
export { FlowHttpError };

export const csrfViolation = () =>
  new FlowHttpError(
    403,
    'the request was rejected to protect you from Cross-Site-Request-Forgery',
    'Please retry the flow and optionally clear your cookies. The request was rejected to protect you from Cross-Site-Request-Forgery (CSRF) which could cause account takeover, leaking personal information, and other serious security issues.',
    FlowErrorId.csrf,
  );

export const noActiveSession = () =>
  new FlowHttpError(401, 'The request could not be authorized', 'No valid session credentials found in the request.', FlowErrorId.sessionInactive);

export const flowDisabled = (what: string) =>
  new FlowHttpError(400, 'The request was malformed or contained invalid parameters', `${what} is not allowed because it was disabled.`, FlowErrorId.flowDisabled);

export const flowNotFound = () => new FlowHttpError(404, 'The requested resource could not be found', 'The flow does not exist or belongs to another project.', ErrorId.notFound);

export const flowParamMissing = () => new FlowHttpError(400, 'The request was malformed or contained invalid parameters', 'The flow query parameter is missing or malformed.', ErrorId.badRequest);

export const flowExpired = (kind: string, expiredAt: string, now: number, extra: Record<string, unknown>, details?: Record<string, unknown>) =>
  new FlowHttpError(
    410,
    'The requested resource is no longer available',
    `The ${kind} flow has expired. Initialize a new ${kind} flow and try again.`,
    FlowErrorId.flowExpired,
    { expired_at: expiredAt, since: Math.max(0, now - Date.parse(expiredAt)) * 1_000_000, ...extra },
    details,
  );

export const refreshRequired = (redirectTo: string) =>
  new FlowHttpError(
    403,
    'The requested action was forbidden',
    'The login session is too old and thus not allowed to update these fields. Please re-authenticate.',
    FlowErrorId.sessionRefreshRequired,
    { redirect_browser_to: redirectTo },
  );

export const browserLocationChangeRequired = (redirectTo: string) =>
  new FlowHttpError(
    422,
    'browser location change required',
    `In order to complete this flow please redirect the browser to: ${redirectTo}`,
    FlowErrorId.browserLocationChangeRequired,
    { redirect_browser_to: redirectTo },
  );

export const returnToForbidden = (url: string) =>
  new FlowHttpError(400, 'The request was malformed or contained invalid parameters', `Requested return_to URL "${url.slice(0, 200)}" is not allowed.`, FlowErrorId.returnToForbidden);

export const identityMismatch = () =>
  new FlowHttpError(403, 'The requested action was forbidden', 'The flow belongs to another identity.', FlowErrorId.identityMismatch);

export const sessionAlreadyAvailable = () =>
  new FlowHttpError(400, 'The request was malformed or contained invalid parameters', 'A valid session was detected and thus login is not possible. Did you forget to set `?refresh=true`?', FlowErrorId.sessionAlreadyAvailable);
