import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Database } from '../database.js';
import { scoped } from '../platform/db/scoped.js';
import { isUuid, newId, nowIso } from '../platform/ids.js';
import { IdentityStore, type Scope } from './identity-store.js';
import type { IdentityService } from './identity-service.js';

// An identity's WebAuthn keys: security keys as a second factor (Kratos's `webauthn` credential)
// and passkeys as a first factor (`passkey`). A key's public key is public; what must not be forged
// is the challenge, which the caller keeps server-side (in the flow) and passes back in.
// @simplewebauthn/server does the WebAuthn checks (origin, RP id, challenge, signature, counter).

export type KeyKind = 'webauthn' | 'passkey';

/** The relying party a project's keys are made for: `id` is the host, `origins` the page origins allowed. */
export interface RelyingParty {
  id: string;
  name: string;
  origins: string[];
}

/** One key as stored (Kratos's `CredentialsWebAuthnConfig.credentials[]`: ids and keys in standard base64). */
interface StoredKey {
  id: string;
  public_key: string;
  attestation_type: string;
  authenticator: { aaguid: string; sign_count: number; clone_warning: boolean };
  transports: string[];
  display_name: string;
  added_at: string;
  is_passwordless: boolean;
}

interface KeysConfig {
  credentials: StoredKey[];
  /** The WebAuthn user handle (standard base64 of its bytes). */
  user_handle: string;
}

/** A key as the settings form lists it: `id` in hex (Kratos's `webauthn_remove` value). */
export interface KeySummary {
  id: string;
  display_name: string;
  added_at: string;
}

/** A registration that passed its checks, to be kept with `addKey`. */
export interface VerifiedKey {
  key: StoredKey;
}

/** What an authentication ceremony is checked against: the challenge the flow kept. */
export interface KeyChallenge {
  challenge: string;
}

export interface WebAuthnKeysDeps {
  db: Kysely<Database>;
  identities: Pick<IdentityService, 'bump'>;
}

const b64ToUrl = (s: string) => Buffer.from(s, 'base64').toString('base64url');
const urlToB64 = (s: string) => Buffer.from(s, 'base64url').toString('base64');
const TRANSPORTS = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);
const TIMEOUT_MS = 5 * 60_000;

/** WebAuthn keys of a project's identities; every query runs in the project's scope. */
export class WebAuthnKeys {
  private readonly store: IdentityStore;

  constructor(private readonly d: WebAuthnKeysDeps) {
    this.store = new IdentityStore(d.db);
  }

  private scope(projectId: string): Scope {
    return scoped(this.d.db, projectId);
  }

  private async config(scope: Scope, identityId: string, kind: KeyKind): Promise<{ row: { id: string; config: string }; config: KeysConfig } | null> {
    if (!isUuid(identityId)) return null;
    const row = await this.store.credential(scope, identityId, kind);
    const config = row ? parseConfig(row.config) : null;
    return row && config ? { row, config } : null;
  }

  /** The identity's keys of `kind`, oldest first. */
  async list(projectId: string, identityId: string, kind: KeyKind): Promise<KeySummary[]> {
    const found = await this.config(this.scope(projectId), identityId, kind);
    return (found?.config.credentials ?? []).map((k) => ({ id: Buffer.from(k.id, 'base64').toString('hex'), display_name: k.display_name, added_at: k.added_at }));
  }

  /**
   * Options for `navigator.credentials.create` and the user handle they name. A security key's user
   * handle is the identity id; a passkey's is random (Kratos's), kept across the identity's passkeys.
   * `identityId` is null for a passkey made while signing up (no identity yet).
   */
  async registrationOptions(projectId: string, identityId: string | null, kind: KeyKind, rp: RelyingParty, userName: string): Promise<{ options: PublicKeyCredentialCreationOptionsJSON; userHandle: string }> {
    const scope = this.scope(projectId);
    const existing = identityId ? [...((await this.config(scope, identityId, 'webauthn'))?.config.credentials ?? []), ...((await this.config(scope, identityId, 'passkey'))?.config.credentials ?? [])] : [];
    const own = identityId ? await this.config(scope, identityId, kind) : null;
    const handle =
      own?.config.user_handle ??
      (kind === 'webauthn' && identityId ? Buffer.from(identityId.replace(/-/g, ''), 'hex').toString('base64') : Buffer.from(randomBytes(24).toString('base64url')).toString('base64'));
    const options = await generateRegistrationOptions({
      rpName: rp.name,
      rpID: rp.id,
      userName: userName || 'user',
      userID: Buffer.from(handle, 'base64'),
      attestationType: 'none',
      timeout: TIMEOUT_MS,
      excludeCredentials: existing.map((k) => ({ id: b64ToUrl(k.id), transports: k.transports as AuthenticatorTransportFuture[] })),
      authenticatorSelection:
        kind === 'passkey' ? { residentKey: 'required', requireResidentKey: true, userVerification: 'required' } : { residentKey: 'discouraged', userVerification: 'discouraged' },
    });
    return { options, userHandle: handle };
  }

  /**
   * Checks a `navigator.credentials.create` answer against the challenge the flow kept. Null when it
   * does not verify (wrong challenge, origin or RP id, malformed, or a key the identity already has).
   */
  async verifyRegistration(projectId: string, identityId: string | null, kind: KeyKind, rp: RelyingParty, challenge: string, response: unknown, displayName: string): Promise<VerifiedKey | null> {
    const parsed = registrationResponse(response);
    if (!parsed) return null;
    let info;
    try {
      const r = await verifyRegistrationResponse({
        response: parsed,
        expectedChallenge: challenge,
        expectedOrigin: rp.origins,
        expectedRPID: rp.id,
        requireUserVerification: kind === 'passkey',
      });
      if (!r.verified) return null;
      info = r.registrationInfo;
    } catch {
      return null;
    }
    const id = urlToB64(info.credential.id);
    if (identityId) {
      const scope = this.scope(projectId);
      for (const k of ['webauthn', 'passkey'] as const) {
        if ((await this.config(scope, identityId, k))?.config.credentials.some((c) => c.id === id)) return null;
      }
    }
    return {
      key: {
        id,
        public_key: Buffer.from(info.credential.publicKey).toString('base64'),
        attestation_type: info.fmt,
        authenticator: { aaguid: info.aaguid, sign_count: info.credential.counter, clone_warning: false },
        transports: (info.credential.transports ?? []).filter((t) => TRANSPORTS.has(t)),
        display_name: displayName.slice(0, 64),
        added_at: new Date(Math.floor(Date.now() / 1000) * 1000).toISOString(),
        is_passwordless: kind === 'passkey',
      },
    };
  }

  /** Keeps a verified key as one of the identity's keys of `kind` (a passkey's user handle becomes its identifier). */
  async addKey(projectId: string, identityId: string, kind: KeyKind, userHandle: string, verified: VerifiedKey): Promise<void> {
    const now = nowIso();
    await this.scope(projectId)
      .transaction(async (tx) => {
        const existing = await this.store.credential(tx, identityId, kind);
        const config: KeysConfig = (existing && parseConfig(existing.config)) || { credentials: [], user_handle: userHandle };
        config.credentials.push(verified.key);
        const identifier = kind === 'passkey' ? Buffer.from(config.user_handle, 'base64').toString('utf8') : identityId;
        const identifiers = JSON.stringify([identifier]);
        let credentialId = existing?.id;
        if (credentialId) await this.store.updateCredential(tx, credentialId, { identifiers, config: JSON.stringify(config), updated_at: now });
        else {
          credentialId = newId();
          await this.store.insertCredential(tx, { id: credentialId, identity_id: identityId, type: kind, identifiers, config: JSON.stringify(config), version: 1, created_at: now, updated_at: now });
        }
        // A passkey login finds its identity by the user handle the authenticator returns.
        if (kind === 'passkey') await this.store.replaceIdentifiers(tx, credentialId, identityId, kind, [identifier]);
        await this.store.update(tx, identityId, { updated_at: now });
      })
      .finally(() => this.d.identities.bump());
  }

  /**
   * Options for `navigator.credentials.get`: a security-key login names the identity's keys; a
   * passkey login (`identityId` null) names none, so the authenticator offers its discoverable keys.
   */
  async authenticationOptions(projectId: string, identityId: string | null, kind: KeyKind, rp: RelyingParty): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const keys = identityId ? (await this.config(this.scope(projectId), identityId, kind))?.config.credentials ?? [] : [];
    return generateAuthenticationOptions({
      rpID: rp.id,
      timeout: TIMEOUT_MS,
      userVerification: kind === 'passkey' ? 'required' : 'discouraged',
      ...(identityId ? { allowCredentials: keys.map((k) => ({ id: b64ToUrl(k.id), transports: k.transports as AuthenticatorTransportFuture[] })) } : {}),
    });
  }

  /**
   * Checks a `navigator.credentials.get` answer against the flow's challenge. A security key must be
   * one of `identityId`'s; a passkey is found by the user handle it returns (within the project).
   * The signature counter moves forward with a compare-and-set, so a replayed or cloned assertion
   * is refused. Returns the identity it proves, or null.
   */
  async verifyAuthentication(projectId: string, identityId: string | null, kind: KeyKind, rp: RelyingParty, challenge: string, response: unknown): Promise<string | null> {
    const parsed = authenticationResponse(response);
    if (!parsed) return null;
    const scope = this.scope(projectId);
    let owner = identityId;
    if (kind === 'passkey') {
      const handle = parsed.response.userHandle;
      if (!handle || handle.length > 512) return null;
      // Gatehouse's passkey handles are printable (Kratos's form); anything else names no identity,
      // and must not reach the query (PostgreSQL refuses NUL bytes in text).
      const identifier = Buffer.from(handle, 'base64url').toString('utf8');
      if (!/^[\x21-\x7e]{1,256}$/.test(identifier)) return null;
      const ids = await this.store.idsByIdentifier(scope, 'passkey', identifier);
      if (ids.length !== 1 || (identityId && ids[0] !== identityId)) return null;
      owner = ids[0];
    }
    if (!owner) return null;
    const found = await this.config(scope, owner, kind);
    const id = urlToB64(parsed.id);
    const key = found?.config.credentials.find((k) => k.id === id);
    if (!found || !key) return null;
    let newCounter: number;
    try {
      const r = await verifyAuthenticationResponse({
        response: parsed,
        expectedChallenge: challenge,
        expectedOrigin: rp.origins,
        expectedRPID: rp.id,
        credential: { id: b64ToUrl(key.id), publicKey: Buffer.from(key.public_key, 'base64'), counter: key.authenticator.sign_count, transports: key.transports as AuthenticatorTransportFuture[] },
        requireUserVerification: kind === 'passkey',
      });
      if (!r.verified) return null;
      newCounter = r.authenticationInfo.newCounter;
    } catch {
      return null;
    }
    key.authenticator.sign_count = newCounter;
    const swapped = await this.store.updateCredentialIf(scope, found.row.id, found.row.config, { config: JSON.stringify(found.config), updated_at: nowIso() });
    if (swapped) this.d.identities.bump();
    return swapped ? owner : null;
  }

  /** Removes one key (by its hex id); the credential goes when its last key does. False when there is no such key. */
  async removeKey(projectId: string, identityId: string, kind: KeyKind, hexId: string): Promise<boolean> {
    const scope = this.scope(projectId);
    const found = await this.config(scope, identityId, kind);
    if (!found || !/^[0-9a-f]{2,2048}$/i.test(hexId)) return false;
    const id = Buffer.from(hexId, 'hex').toString('base64');
    const rest = found.config.credentials.filter((k) => k.id !== id);
    if (rest.length === found.config.credentials.length) return false;
    const now = nowIso();
    let done = false;
    await scope
      .transaction(async (tx) => {
        if (rest.length === 0) {
          await this.store.deleteCredential(tx, found.row.id);
          done = true;
        } else {
          done = await this.store.updateCredentialIf(tx, found.row.id, found.row.config, { config: JSON.stringify({ ...found.config, credentials: rest }), updated_at: now });
        }
        if (done) await this.store.update(tx, identityId, { updated_at: now });
      })
      .finally(() => this.d.identities.bump());
    return done;
  }
}

function parseConfig(text: string): KeysConfig | null {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && Array.isArray(v.credentials) ? (v as KeysConfig) : null;
  } catch {
    return null;
  }
}

const str = (v: unknown, max = 65536): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const obj = (v: unknown): Record<string, unknown> | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

/** A registration answer in the JSON form WebAuthn's `toJSON()` (and Kratos's script) send, or null. */
function registrationResponse(raw: unknown): RegistrationResponseJSON | null {
  const r = obj(raw);
  const response = obj(r?.response);
  if (!r || !response || !str(r.id, 1024) || !str(response.clientDataJSON) || !str(response.attestationObject)) return null;
  return {
    id: r.id,
    rawId: str(r.rawId, 1024) ? r.rawId : r.id,
    type: 'public-key',
    response: {
      clientDataJSON: response.clientDataJSON,
      attestationObject: response.attestationObject,
      ...(Array.isArray(response.transports) ? { transports: response.transports.filter((t): t is AuthenticatorTransportFuture => typeof t === 'string' && TRANSPORTS.has(t)) } : {}),
    },
    clientExtensionResults: {},
    ...(typeof r.authenticatorAttachment === 'string' && ['platform', 'cross-platform'].includes(r.authenticatorAttachment) ? { authenticatorAttachment: r.authenticatorAttachment as 'platform' | 'cross-platform' } : {}),
  };
}

/** An authentication answer in WebAuthn's JSON form, or null. */
function authenticationResponse(raw: unknown): AuthenticationResponseJSON | null {
  const r = obj(raw);
  const response = obj(r?.response);
  if (!r || !response || !str(r.id, 1024) || !str(response.clientDataJSON) || !str(response.authenticatorData) || !str(response.signature)) return null;
  return {
    id: r.id,
    rawId: str(r.rawId, 1024) ? r.rawId : r.id,
    type: 'public-key',
    response: {
      clientDataJSON: response.clientDataJSON,
      authenticatorData: response.authenticatorData,
      signature: response.signature,
      ...(str(response.userHandle, 1024) ? { userHandle: response.userHandle } : {}),
    },
    clientExtensionResults: {},
  };
}
