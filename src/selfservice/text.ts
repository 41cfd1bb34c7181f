// Ory Kratos's UI text messages (ids from kratos/text/id.go), so UIs that switch on `id` or
// translate by id keep working against Gatehouse.

export interface UiText {
  id: number;
  text: string;
  type: 'info' | 'error' | 'success';
  context?: Record<string, unknown>;
}

const info = (id: number, text: string, context?: Record<string, unknown>): UiText => ({ id, text, type: 'info', ...(context ? { context } : {}) });
const error = (id: number, text: string, context?: Record<string, unknown>): UiText => ({ id, text, type: 'error', ...(context ? { context } : {}) });

const minutesAgo = (expiredAt: string, now: number) => Math.max(0, (now - Date.parse(expiredAt)) / 60_000);

export const text = {
  // Labels and buttons
  loginSubmit: () => info(1010001, 'Sign in'),
  registrationSubmit: () => info(1040001, 'Sign up'),
  settingsSaved: () => ({ id: 1050001, text: 'Your changes have been saved!', type: 'success' as const }),
  labelPassword: () => info(1070001, 'Password'),
  labelGenerated: (title: string, name: string) => info(1070002, title, { title, name }),
  labelSave: () => info(1070003, 'Save'),
  labelId: () => info(1070004, 'ID'),
  labelSubmit: () => info(1070005, 'Submit'),
  labelVerifyCode: () => info(1070006, 'Verify code'),
  labelEmail: () => info(1070007, 'Email'),
  labelResendCode: () => info(1070008, 'Resend code'),
  labelContinue: () => info(1070009, 'Continue'),
  labelRecoveryCode: () => info(1070010, 'Recovery code'),
  labelVerificationCode: () => info(1070011, 'Verification code'),

  // Recovery / verification
  recoverySuccessful: (privilegedUntil: string, now: number) =>
    info(1060001, `You successfully recovered your account. Please change your password or set up an alternative login method (e.g. social sign in) within the next ${Math.max(0, (Date.parse(privilegedUntil) - now) / 60_000).toFixed(2)} minutes.`, { privileged_session_expires_at: privilegedUntil }),
  recoveryCodeSent: () =>
    info(1060003, 'An email containing a recovery code has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with.'),
  verificationSuccessful: () => info(1080002, 'You successfully verified your email address.'),
  verificationCodeSent: () =>
    info(1080003, 'An email containing a verification code has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with.'),

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

  loginExpired: (expiredAt: string, now: number) => error(4010001, `The login flow expired ${minutesAgo(expiredAt, now).toFixed(2)} minutes ago, please try again.`, { expired_at: expiredAt }),
  loginNoStrategy: () => error(4010002, 'Could not find a strategy to log you in with. Did you fill out the form correctly?'),
  registrationNoStrategy: () => error(4010003, 'Could not find a strategy to sign you up with. Did you fill out the form correctly?'),
  settingsNoStrategy: () => error(4010004, 'Could not find a strategy to update your settings. Did you fill out the form correctly?'),
  recoveryNoStrategy: () => error(4010005, 'Could not find a strategy to recover your account with. Did you fill out the form correctly?'),
  verificationNoStrategy: () => error(4010006, 'Could not find a strategy to verify your account with. Did you fill out the form correctly?'),
  loginRetrySuccess: () => error(4010007, 'The request was already completed successfully and can not be retried.'),
  registrationExpired: (expiredAt: string, now: number) => error(4040001, `The registration flow expired ${minutesAgo(expiredAt, now).toFixed(2)} minutes ago, please try again.`, { expired_at: expiredAt }),
  registrationRetrySuccess: () => error(4040002, 'The request was already completed successfully and can not be retried.'),
  settingsExpired: (expiredAt: string, now: number) => error(4050001, `The settings flow expired ${minutesAgo(expiredAt, now).toFixed(2)} minutes ago, please try again.`, { expired_at: expiredAt }),
  recoveryRetrySuccess: () => error(4060001, 'The request was already completed successfully and can not be retried.'),
  recoveryExpired: (expiredAt: string, now: number) => error(4060005, `The recovery flow expired ${minutesAgo(expiredAt, now).toFixed(2)} minutes ago, please try again.`, { expired_at: expiredAt }),
  recoveryCodeInvalid: () => error(4060006, 'The recovery code is invalid or has already been used. Please try again.'),
  verificationRetrySuccess: () => error(4070002, 'The request was already completed successfully and can not be retried.'),
  verificationExpired: (expiredAt: string, now: number) => error(4070005, `The verification flow expired ${minutesAgo(expiredAt, now).toFixed(2)} minutes ago, please try again.`, { expired_at: expiredAt }),
  verificationCodeInvalid: () => error(4070006, 'The verification code is invalid or has already been used. Please try again.'),
};
