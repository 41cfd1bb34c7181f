// Ory Kratos's UI text messages (ids from kratos/text/id.go), so UIs that switch on `id` or
// translate by id keep working against Gatehouse.

import type { SelfServiceFlowsTable } from './tables.js';

type FlowKind = SelfServiceFlowsTable['kind'];
/** The flows that finish once (a settings flow may be submitted again and again). */
export type OneShotKind = Exclude<FlowKind, 'settings'>;
type CodeKind = 'recovery' | 'verification';

export interface UiText {
  id: number;
  text: string;
  type: 'info' | 'error' | 'success';
  context?: Record<string, unknown>;
}

const message =
  (type: UiText['type']) =>
  (id: number, text: string, context?: Record<string, unknown>): UiText => ({ id, text, type, ...(context ? { context } : {}) });
const info = message('info');
const error = message('error');
const success = message('success');

const minutesAgo = (expiredAt: string, now: number) => Math.max(0, (now - Date.parse(expiredAt)) / 60_000);

// Kratos numbers the messages of each flow in its own block; these are the ones that differ only by flow.
const EXPIRED_ID: Record<FlowKind, number> = { login: 4010001, registration: 4040001, settings: 4050001, recovery: 4060005, verification: 4070005 };
const RETRY_SUCCESS_ID: Record<OneShotKind, number> = { login: 4010007, registration: 4040002, recovery: 4060001, verification: 4070002 };
const NO_STRATEGY: Record<FlowKind, [id: number, what: string]> = {
  login: [4010002, 'log you in with'],
  registration: [4010003, 'sign you up with'],
  settings: [4010004, 'update your settings'],
  recovery: [4010005, 'recover your account with'],
  verification: [4010006, 'verify your account with'],
};
const CODE_LABEL_ID: Record<CodeKind, number> = { recovery: 1070010, verification: 1070011 };
const CODE_SENT_ID: Record<CodeKind, number> = { recovery: 1060003, verification: 1080003 };
const CODE_INVALID_ID: Record<CodeKind, number> = { recovery: 4060006, verification: 4070006 };
const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export const text = {
  // Labels and buttons
  loginSubmit: () => info(1010001, 'Sign in'),
  loginReauthenticate: () => info(1010003, 'Please confirm this action by verifying that it is you.'),
  registrationSubmit: () => info(1040001, 'Sign up'),
  settingsSaved: () => success(1050001, 'Your changes have been saved!'),
  labelPassword: () => info(1070001, 'Password'),
  labelGenerated: (title: string, name: string) => info(1070002, title, { title, name }),
  labelSave: () => info(1070003, 'Save'),
  labelId: () => info(1070004, 'ID'),
  labelSubmit: () => info(1070005, 'Submit'),
  labelVerifyCode: () => info(1070006, 'Verify code'),
  labelEmail: () => info(1070007, 'Email'),
  labelResendCode: () => info(1070008, 'Resend code'),
  labelContinue: () => info(1070009, 'Continue'),
  labelCode: (kind: CodeKind) => info(CODE_LABEL_ID[kind], `${capitalized(kind)} code`),

  // Second factors (login)
  loginMfa: () => info(1010004, 'Please complete the second authentication challenge.'),
  labelAuthenticationCode: () => info(1010006, 'Authentication code'),
  labelLookupCode: () => info(1010007, 'Backup recovery code'),
  loginTotp: () => info(1010009, 'Use Authenticator'),
  loginLookup: () => info(1010010, 'Use backup recovery code'),
  // Second factors (settings)
  totpUnlink: () => info(1050004, 'Unlink TOTP Authenticator App'),
  totpQr: () => info(1050005, 'Authenticator app QR code'),
  totpSecret: (secret: string) => info(1050006, secret, { secret }),
  totpSecretLabel: () => info(1050017, 'This is your authenticator app secret. Use it if you can not scan the QR code.'),
  lookupRegenerate: () => info(1050008, 'Generate new backup recovery codes'),
  lookupSecretsLabel: () => info(1050010, 'These are your back up recovery codes. Please keep them in a safe place!'),
  lookupConfirm: () => info(1050011, 'Confirm backup recovery codes'),
  lookupList: (codes: string[]) => info(1050015, codes.join(', '), { secrets: codes.map((c) => info(1050009, c, { secret: c })) }),
  lookupDisable: () => info(1050016, 'Disable this method'),

  // WebAuthn: security keys (second factor) and passkeys (first factor)
  loginWebAuthn: () => info(1010008, 'Sign in with hardware key'),
  loginPasskey: () => info(1010021, 'Sign in with passkey'),
  registrationPasskey: () => info(1040007, 'Sign up with passkey'),
  webauthnRegister: () => info(1050012, 'Add security key'),
  webauthnDisplayName: () => info(1050013, 'Name of the security key'),
  webauthnRemove: (name: string, addedAt: string) => info(1050018, `Remove security key "${name}"`, { display_name: name, added_at: addedAt }),
  passkeyRegister: () => info(1050019, 'Add passkey'),
  passkeyRemove: (name: string, addedAt: string) => info(1050020, `Remove passkey "${name}"`, { display_name: name, added_at: addedAt }),

  // Recovery / verification
  recoverySuccessful: (privilegedUntil: string, now: number) =>
    info(1060001, `You successfully recovered your account. Please change your password or set up an alternative login method (e.g. social sign in) within the next ${Math.max(0, (Date.parse(privilegedUntil) - now) / 60_000).toFixed(2)} minutes.`, { privileged_session_expires_at: privilegedUntil }),
  codeSent: (kind: CodeKind) =>
    info(CODE_SENT_ID[kind], `An email containing a ${kind} code has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with.`),
  verificationSuccessful: () => info(1080002, 'You successfully verified your email address.'),

  // Validation errors
  generic: (reason: string) => error(4000001, reason, { reason }),
  required: (property: string) => error(4000002, `Property ${property} is missing.`, { property }),
  invalidFormat: (pattern: string) => error(4000004, `does not match pattern "${pattern}"`, { pattern }),
  passwordPolicy: (reason: string) => error(4000005, `The password can not be used because ${reason}.`, { reason }),
  invalidCredentials: () => error(4000006, 'The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number.'),
  duplicateCredentials: () => error(4000007, 'An account with the same identifier (email, phone, username, ...) exists already.'),
  identifierMissing: () => error(4000009, 'Could not find any login identifiers. Did you forget to set them? This could also be caused by a server misconfiguration.'),
  maxLength: (max: number, actual: number) => error(4000017, `length must be <= ${max}, but got ${actual}`, { max_length: max, actual_length: actual }),
  wrongType: (allowed: string, actual: string) => error(4000026, `expected ${allowed}, but got ${actual}`, { allowed_types: [allowed], actual_type: actual }),
  passwordTooSimilar: () => error(4000031, 'The password can not be used because it is too similar to the identifier.'),
  passwordMinLength: (min: number, actual: number) => error(4000032, `The password must be at least ${min} characters long, but got ${actual}.`, { min_length: min, actual_length: actual }),
  passwordMaxLength: (max: number, actual: number) => error(4000033, `The password must be at most ${max} characters long, but got ${actual}.`, { max_length: max, actual_length: actual }),
  invalidEmail: (value: string) => error(4000001, `"${value}" is not valid "email"`, { reason: `"${value}" is not valid "email"` }),

  totpInvalid: () => error(4000008, 'The provided authentication code is invalid, please try again.'),
  lookupUsed: () => error(4000012, 'This backup recovery code has already been used.'),
  noLookup: () => error(4000014, 'You have no backup recovery codes set up.'),
  lookupInvalid: () => error(4000016, 'The backup recovery code is not valid.'),
  /** Kratos answers a WebAuthn answer that does not verify with the "invalid code" message (4000008). */
  webauthnInvalid: () => error(4000008, 'The provided authentication code is invalid, please try again.'),
  noWebAuthnDevice: () => error(4000013, 'You have no WebAuthn device set up.'),
  noWebAuthnUser: () => error(4000015, 'This account does not exist or has no security key set up.'),

  // Flow errors
  flowExpired: (kind: FlowKind, expiredAt: string, now: number) => error(EXPIRED_ID[kind], `The ${kind} flow expired ${minutesAgo(expiredAt, now).toFixed(2)} minutes ago, please try again.`, { expired_at: expiredAt }),
  noStrategy: (kind: FlowKind) => error(NO_STRATEGY[kind][0], `Could not find a strategy to ${NO_STRATEGY[kind][1]}. Did you fill out the form correctly?`),
  retrySuccess: (kind: OneShotKind) => error(RETRY_SUCCESS_ID[kind], 'The request was already completed successfully and can not be retried.'),
  codeInvalid: (kind: CodeKind) => error(CODE_INVALID_ID[kind], `The ${kind} code is invalid or has already been used. Please try again.`),
};
