import type { ResolvedProject } from '../tenancy/project-resolver.js';

// What the self-service flows need from the identity core (src/identity), stated structurally so this
// domain depends on behaviour, not on files: the registry's `identities`, `sessions`, `courier` and
// `schemas` satisfy these.

/** The wire identity (`Identity` of @ory/client), as far as the flows read it. */
export interface WireIdentity {
  id: string;
  schema_id: string;
  state?: string;
  traits: Record<string, unknown>;
  verifiable_addresses?: { value: string; via: string; verified?: boolean }[];
  recovery_addresses?: { value: string; via: string }[];
}

/** The wire session (`Session` of @ory/client), as far as the flows read it. */
export interface WireSession {
  id: string;
  active?: boolean;
  expires_at: string;
  authenticated_at: string;
  authenticator_assurance_level?: 'aal1' | 'aal2';
  identity?: WireIdentity;
}

export interface IdentityPort {
  create(project: ResolvedProject, input: { schema_id?: string; traits: Record<string, unknown>; state?: 'active' | 'inactive'; credentials?: { password?: { config?: { password?: string } } } }): Promise<WireIdentity>;
  get(projectId: string, id: string): Promise<WireIdentity | null>;
  findByPasswordIdentifier(projectId: string, identifier: string): Promise<WireIdentity | null>;
  verifyPassword(projectId: string, identityId: string, password: string): Promise<boolean>;
  setPassword(project: ResolvedProject, identityId: string, password: string): Promise<void>;
  updateTraits(project: ResolvedProject, identityId: string, traits: Record<string, unknown>): Promise<WireIdentity>;
  findByAddress(projectId: string, kind: 'verifiable' | 'recovery', value: string): Promise<WireIdentity | null>;
  markAddressVerified(projectId: string, identityId: string, value: string): Promise<void>;
}

export interface SessionMethod {
  method: string;
  aal: 'aal1' | 'aal2';
  completed_at: string;
}

export interface SessionPort {
  issue(project: ResolvedProject, identityId: string, opts: { methods: SessionMethod[]; devices: { ip_address?: string; user_agent?: string }[] }): Promise<{ session: WireSession; token: string }>;
  byToken(project: ResolvedProject, token: string): Promise<WireSession | null | { session: WireSession }>;
  revoke(projectId: string, sessionId: string): Promise<unknown>;
  revokeByToken(project: ResolvedProject, token: string): Promise<unknown>;
  revokeAllOfIdentity(projectId: string, identityId: string, exceptSessionId?: string): Promise<unknown>;
  /** Adds a completed method (a second factor) to an active session of the identity; null if there is none. */
  completeMethod(project: ResolvedProject, sessionId: string, identityId: string, method: SessionMethod): Promise<WireSession | null>;
}

export type SecondFactorType = 'totp' | 'lookup_secret' | 'webauthn';

/** An identity's second factors, as the identity core keeps them (sealed seeds, hashed codes). */
export interface SecondFactorPort {
  /** The switched-on second factors the identity has set up. */
  enabledTypes(identityConfig: unknown, projectId: string, identityId: string): Promise<SecondFactorType[]>;
  needsAal2(identityConfig: unknown, projectId: string, identityId: string, aal: string, which: 'whoami' | 'settings'): Promise<boolean>;
  newTotpSecret(): string;
  newLookupCodes(): string[];
  totpUri(issuer: string, accountName: string, secret: string): string;
  linkTotp(projectId: string, identityId: string, secret: string, code: string, nowMs: number): Promise<boolean>;
  verifyTotp(projectId: string, identityId: string, code: string, nowMs: number): Promise<boolean>;
  setLookupCodes(projectId: string, identityId: string, codes: string[]): Promise<void>;
  lookupCodesLeft(projectId: string, identityId: string): Promise<number | null>;
  useLookupCode(projectId: string, identityId: string, code: string, now: string): Promise<'ok' | 'used' | 'invalid' | 'none'>;
  remove(projectId: string, identityId: string, type: SecondFactorType): Promise<void>;
}

export type KeyKind = 'webauthn' | 'passkey';
/** A registration that passed its checks (opaque to the flows), to be kept with `addKey`. */
export interface VerifiedKey {
  key: object;
}
export interface RelyingParty {
  id: string;
  name: string;
  origins: string[];
}

/**
 * An identity's WebAuthn keys (security keys and passkeys), as the identity core keeps them. The
 * flows keep each ceremony's challenge server-side and pass it back; the core does the checks.
 */
export interface WebAuthnPort {
  list(projectId: string, identityId: string, kind: KeyKind): Promise<{ id: string; display_name: string; added_at: string }[]>;
  registrationOptions(projectId: string, identityId: string | null, kind: KeyKind, rp: RelyingParty, userName: string): Promise<{ options: { challenge: string }; userHandle: string }>;
  verifyRegistration(projectId: string, identityId: string | null, kind: KeyKind, rp: RelyingParty, challenge: string, response: unknown, displayName: string): Promise<VerifiedKey | null>;
  addKey(projectId: string, identityId: string, kind: KeyKind, userHandle: string, verified: VerifiedKey): Promise<void>;
  authenticationOptions(projectId: string, identityId: string | null, kind: KeyKind, rp: RelyingParty): Promise<{ challenge: string }>;
  verifyAuthentication(projectId: string, identityId: string | null, kind: KeyKind, rp: RelyingParty, challenge: string, response: unknown): Promise<string | null>;
  removeKey(projectId: string, identityId: string, kind: KeyKind, hexId: string): Promise<boolean>;
}

export interface CourierPort {
  /** Stores a message; `identityConfig` (the project's) decides whether the worker delivers it or it stays in the outbox. */
  queue(projectId: string, message: { recipient: string; template_type: string; subject: string; body: string; data?: Record<string, unknown> }, identityConfig?: unknown): Promise<unknown>;
}

export type TraitsValidation =
  | { ok: true; extensions: { passwordIdentifiers: string[]; verifiable: { via: string; value: string }[]; recovery: { via: string; value: string }[] } }
  | { ok: false; message: string; path: string };

export interface SchemaPort {
  defaultSchemaId(identityConfig: Record<string, unknown>): string;
  get(identityConfig: Record<string, unknown>, id: string): { id: string; schema: Record<string, unknown>; hash: string } | null;
  validateTraits(schema: { id: string; schema: Record<string, unknown>; hash: string }, traits: unknown): TraitsValidation;
}

/** Counts completed sign-ups and logins for the console's charts; never throws, never waits. */
export interface UsagePort {
  count(workspaceId: string, projectId: string, metric: 'signups' | 'logins'): void;
}
