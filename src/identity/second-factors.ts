import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { generateSecret, generateURI, verify as verifyTotpCode } from 'otplib';
import type { Database } from '../database.js';
import { safeEqual, seal, secretHash, unseal } from '../platform/crypto.js';
import { scoped } from '../platform/db/scoped.js';
import { isUuid, newId, nowIso } from '../platform/ids.js';
import { readIdentityConfig, type IdentityConfig } from './identity-config.js';
import { IdentityStore, type Scope } from './identity-store.js';
import type { IdentityService } from './identity-service.js';

// An identity's second factors (Kratos's `totp`, `lookup_secret` and `webauthn` credentials; the
// security keys themselves are kept by `webauthn.ts`). The TOTP seed is
// kept sealed (AES-256-GCM under the server secret) and lookup codes only as HMACs: neither can be
// read back from the database, and only the identity core ever handles them.

export type SecondFactorType = 'totp' | 'lookup_secret' | 'webauthn';
export const SECOND_FACTOR_TYPES: readonly SecondFactorType[] = ['totp', 'lookup_secret', 'webauthn'];

/** Lookup codes made at a time (Kratos makes 12 of 8 lowercase letters and digits). */
export const LOOKUP_CODE_COUNT = 12;
const LOOKUP_CODE_LENGTH = 8;
const LOOKUP_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** How a TOTP credential is stored: the seed sealed, the last accepted time step (no code is used twice). */
interface TotpConfig {
  totp_secret_sealed: string;
  last_time_step?: number;
}

/** How lookup codes are stored: HMACs, each with the time it was used. */
interface LookupConfig {
  recovery_codes: { code_hash: string; used_at?: string }[];
}

export type LookupUse = 'ok' | 'used' | 'invalid' | 'none';

/** Fresh lookup codes (CSPRNG). */
export function newLookupCodes(): string[] {
  const codes: string[] = [];
  while (codes.length < LOOKUP_CODE_COUNT) {
    const bytes = randomBytes(32);
    let code = '';
    // 252 is the largest multiple of 36 below 256: rejecting the bytes above keeps the letters uniform.
    for (const b of bytes) if (b < 252 && code.length < LOOKUP_CODE_LENGTH) code += LOOKUP_ALPHABET[b % 36];
    if (code.length === LOOKUP_CODE_LENGTH) codes.push(code);
  }
  return codes;
}

export interface SecondFactorDeps {
  db: Kysely<Database>;
  secret: string;
  identities: Pick<IdentityService, 'bump' | 'deleteCredential'>;
}

/** Second-factor credentials of a project's identities; every query runs in the project's scope. */
export class SecondFactors {
  private readonly store: IdentityStore;

  constructor(private readonly d: SecondFactorDeps) {
    this.store = new IdentityStore(d.db);
  }

  private scope(projectId: string): Scope {
    return scoped(this.d.db, projectId);
  }

  /** The second-factor credential types the identity has (one indexed query). */
  async types(projectId: string, identityId: string): Promise<SecondFactorType[]> {
    if (!isUuid(identityId)) return [];
    const rows = await this.scope(projectId)
      .selectFrom('identity_credentials')
      .select('type')
      .where('identity_id', '=', identityId)
      .where('type', 'in', [...SECOND_FACTOR_TYPES])
      .execute();
    return rows.map((r) => r.type as SecondFactorType);
  }

  /** The switched-on second factors the identity has set up. */
  async enabledTypes(identityConfig: unknown, projectId: string, identityId: string): Promise<SecondFactorType[]> {
    return this.switchedOn(readIdentityConfig(identityConfig), projectId, identityId);
  }

  /**
   * Whether an `aal` session of the identity falls short of what `which` (`session.whoami` or the
   * settings flow) requires, Kratos's AAL check: with `required_aal: highest_available`, an aal1
   * session of an identity with a switched-on second factor does. No query unless a second factor
   * is switched on in the project.
   */
  async needsAal2(identityConfig: unknown, projectId: string, identityId: string, aal: string, which: 'whoami' | 'settings'): Promise<boolean> {
    if (aal === 'aal2') return false;
    const config = readIdentityConfig(identityConfig);
    if (config.requiredAal[which] === 'aal1') return false;
    return (await this.switchedOn(config, projectId, identityId)).length > 0;
  }

  private async switchedOn(config: IdentityConfig, projectId: string, identityId: string): Promise<SecondFactorType[]> {
    const on = config.secondFactors;
    if (!on.totp && !on.lookup_secret && !on.webauthn) return [];
    return (await this.types(projectId, identityId)).filter((t) => on[t]);
  }

  /** A fresh TOTP seed (base32, 160 bits as RFC 4226 recommends). */
  newTotpSecret(): string {
    return generateSecret({ length: 20 });
  }

  /** Fresh lookup codes, to show once and then keep with `setLookupCodes`. */
  newLookupCodes(): string[] {
    return newLookupCodes();
  }

  /** The `otpauth://` URI an authenticator app scans. */
  totpUri(issuer: string, accountName: string, secret: string): string {
    return generateURI({ issuer, label: accountName, secret });
  }

  /**
   * Checks a TOTP code against `secret` (one step of clock drift either way) and, when it matches,
   * links it as the identity's TOTP credential, replacing any other. False for a wrong code.
   */
  async linkTotp(projectId: string, identityId: string, secret: string, code: string, nowMs: number): Promise<boolean> {
    const result = await checkTotp(secret, code, nowMs, undefined);
    if (!result) return false;
    const config: TotpConfig = { totp_secret_sealed: seal(this.d.secret, 'totp-secret', secret), last_time_step: result };
    await this.upsert(projectId, identityId, 'totp', config);
    return true;
  }

  /**
   * Checks a TOTP code for login. A code is accepted once: its time step is recorded with a
   * compare-and-set, so a replay (or a second request racing with the first) is refused.
   */
  async verifyTotp(projectId: string, identityId: string, code: string, nowMs: number): Promise<boolean> {
    if (!isUuid(identityId)) return false;
    const scope = this.scope(projectId);
    const row = await this.store.credential(scope, identityId, 'totp');
    const config = row ? parse<TotpConfig>(row.config) : null;
    const secret = config ? unseal(this.d.secret, 'totp-secret', config.totp_secret_sealed) : null;
    if (!row || !config || !secret) return false;
    const step = await checkTotp(secret, code, nowMs, config.last_time_step);
    if (!step) return false;
    const next = JSON.stringify({ ...config, last_time_step: step });
    const swapped = await this.store.updateCredentialIf(scope, row.id, row.config, { config: next, updated_at: nowIso() });
    if (swapped) this.d.identities.bump();
    return swapped;
  }

  /** Replaces the identity's lookup codes with `codes` (stored as HMACs). */
  async setLookupCodes(projectId: string, identityId: string, codes: string[]): Promise<void> {
    const config: LookupConfig = { recovery_codes: codes.map((c) => ({ code_hash: this.lookupHash(identityId, c) })) };
    await this.upsert(projectId, identityId, 'lookup_secret', config);
  }

  /** How many of the identity's lookup codes are left, or null when it has none set up. */
  async lookupCodesLeft(projectId: string, identityId: string): Promise<number | null> {
    if (!isUuid(identityId)) return null;
    const row = await this.store.credential(this.scope(projectId), identityId, 'lookup_secret');
    const config = row ? parse<LookupConfig>(row.config) : null;
    return config ? config.recovery_codes.filter((c) => !c.used_at).length : null;
  }

  /** Uses one lookup code: each is accepted once (compare-and-set on the stored list). */
  async useLookupCode(projectId: string, identityId: string, code: string, now: string): Promise<LookupUse> {
    if (!isUuid(identityId)) return 'none';
    const scope = this.scope(projectId);
    const row = await this.store.credential(scope, identityId, 'lookup_secret');
    const config = row ? parse<LookupConfig>(row.config) : null;
    if (!row || !config) return 'none';
    const hash = this.lookupHash(identityId, code.trim().toLowerCase());
    const entry = config.recovery_codes.find((c) => safeEqual(c.code_hash, hash));
    if (!entry) return 'invalid';
    if (entry.used_at) return 'used';
    entry.used_at = now;
    const swapped = await this.store.updateCredentialIf(scope, row.id, row.config, { config: JSON.stringify(config), updated_at: now });
    if (swapped) this.d.identities.bump();
    return swapped ? 'ok' : 'used';
  }

  /** Removes one second factor of the identity (404 when it has none of that type). */
  async remove(projectId: string, identityId: string, type: SecondFactorType): Promise<void> {
    await this.d.identities.deleteCredential(projectId, identityId, type);
  }

  private lookupHash(identityId: string, code: string): string {
    return secretHash(this.d.secret, 'lookup-secret', `${identityId}:${code}`);
  }

  /** Inserts or replaces the identity's credential of `type`; its identifier is the identity id, as in Kratos. */
  private async upsert(projectId: string, identityId: string, type: 'totp' | 'lookup_secret', config: TotpConfig | LookupConfig): Promise<void> {
    const now = nowIso();
    await this.scope(projectId)
      .transaction(async (tx) => {
        const existing = await this.store.credential(tx, identityId, type);
        if (existing) await this.store.updateCredential(tx, existing.id, { identifiers: JSON.stringify([identityId]), config: JSON.stringify(config), updated_at: now });
        else {
          await this.store.insertCredential(tx, {
            id: newId(), identity_id: identityId, type, identifiers: JSON.stringify([identityId]), config: JSON.stringify(config), version: 0, created_at: now, updated_at: now,
          });
        }
        await this.store.update(tx, identityId, { updated_at: now });
      })
      .finally(() => this.d.identities.bump());
  }
}

/** The time step a 6-digit code matches (one step of drift either way) after `afterStep`, or 0. */
async function checkTotp(secret: string, code: string, nowMs: number, afterStep: number | undefined): Promise<number> {
  if (!/^\d{6}$/.test(code)) return 0;
  try {
    const r = await verifyTotpCode({ secret, token: code, epoch: Math.floor(nowMs / 1000), epochTolerance: 30, ...(afterStep ? { afterTimeStep: afterStep } : {}) });
    return r.valid && 'timeStep' in r ? r.timeStep : 0;
  } catch {
    return 0;
  }
}

function parse<T>(text: string): T | null {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' ? (v as T) : null;
  } catch {
    return null;
  }
}
