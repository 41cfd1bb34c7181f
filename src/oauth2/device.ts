import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { isUniqueViolation } from '../platform/db/database.js';
import type { OAuth2DeviceCodesTable } from './tables.js';
import { newId } from '../platform/ids.js';
import { OAuth2Error, unauthorizedClient } from './errors.js';
import { randomToken, secretHash } from '../platform/crypto.js';
import { scoped, type ScopedInsert } from '../platform/db/scoped.js';
import type { ClientAuthenticator, ClientRequest } from './client-auth.js';
import { requestedGrant } from './client-grants.js';
import type { OAuth2Config } from './config.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** Hydra's default user code: 8 characters without vowels (no words) nor look-alikes (0/O, 1/I/L...). */
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const USER_CODE_LENGTH = 8;

/** A fresh user code from the CSPRNG (rejection sampling keeps every character equally likely). */
export function newUserCode(): string {
  let out = '';
  while (out.length < USER_CODE_LENGTH) {
    for (const b of randomBytes(16)) {
      // 240 is the largest multiple of 20 below 256.
      if (b < 240 && out.length < USER_CODE_LENGTH) out += USER_CODE_ALPHABET[b % USER_CODE_ALPHABET.length];
    }
  }
  return out;
}

/** What a person typed, as the code was issued: case, spaces and dashes do not matter. */
export const normalizeUserCode = (s: string): string => s.toUpperCase().replace(/[\s-]+/g, '');

type Deps = { db: Kysely<Database>; secret: string };

/**
 * Device authorizations of RFC 8628, scoped by project. Every state change is a conditional update on
 * the expected state, so a user code is accepted once and a device code is exchanged once, on any node.
 */
export class DeviceCodeStore {
  constructor(private readonly d: Deps) {}

  private deviceHash = (code: string) => secretHash(this.d.secret, 'oauth2-device-code', code);
  private userHash = (code: string) => secretHash(this.d.secret, 'oauth2-user-code', normalizeUserCode(code));

  /** Creates a pending authorization; returns the two codes (shown once, to the device). */
  async create(projectId: string, clientId: string, scopes: string[], audience: string[], ttlMs: number, intervalS: number): Promise<{ deviceCode: string; userCode: string }> {
    for (let attempt = 0; ; attempt++) {
      const deviceCode = randomToken('ory_dc_');
      const userCode = newUserCode();
      const now = new Date();
      const row: ScopedInsert<Database, 'oauth2_device_codes'> = {
        id: newId(), client_id: clientId, device_code_hash: this.deviceHash(deviceCode), user_code_hash: this.userHash(userCode),
        scope: JSON.stringify(scopes), audience: JSON.stringify(audience), state: 'pending', flow_id: null, interval_s: intervalS,
        last_polled_at: null, created_at: now.toISOString(), expires_at: new Date(now.getTime() + ttlMs).toISOString(),
      };
      try {
        await scoped(this.d.db, projectId).insertInto('oauth2_device_codes', row).execute();
        return { deviceCode, userCode };
      } catch (err) {
        // A user code still stored for this project (1 in 20^8): draw another one.
        if (attempt >= 2 || !isUniqueViolation(err)) throw err;
      }
    }
  }

  async byDeviceCode(projectId: string, code: string): Promise<OAuth2DeviceCodesTable | undefined> {
    if (!code || code.length > 512) return undefined;
    return scoped(this.d.db, projectId).selectFrom('oauth2_device_codes').selectAll().where('device_code_hash', '=', this.deviceHash(code)).executeTakeFirst();
  }

  async byUserCode(projectId: string, code: string): Promise<OAuth2DeviceCodesTable | undefined> {
    if (!code || code.length > 64) return undefined;
    return scoped(this.d.db, projectId).selectFrom('oauth2_device_codes').selectAll().where('user_code_hash', '=', this.userHash(code)).executeTakeFirst();
  }

  private async move(projectId: string, id: string, from: OAuth2DeviceCodesTable['state'], set: Partial<OAuth2DeviceCodesTable>): Promise<boolean> {
    const r = await scoped(this.d.db, projectId).updateTable('oauth2_device_codes').set(set).where('id', '=', id).where('state', '=', from).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** The user code was entered in flow `flowId`: it cannot be entered again. */
  claim(projectId: string, id: string, flowId: string): Promise<boolean> {
    return this.move(projectId, id, 'pending', { state: 'verifying', flow_id: flowId });
  }

  approve(projectId: string, id: string): Promise<boolean> {
    return this.move(projectId, id, 'verifying', { state: 'approved' });
  }

  deny(projectId: string, id: string): Promise<boolean> {
    return this.move(projectId, id, 'verifying', { state: 'denied' });
  }

  markUsed(projectId: string, id: string): Promise<boolean> {
    return this.move(projectId, id, 'approved', { state: 'used' });
  }

  /**
   * Records a poll of the token endpoint; false when the previous one was less than the interval ago
   * (slow_down). One conditional update, so concurrent polls on several nodes cannot both pass. A tenth
   * of the interval is allowed for network jitter.
   */
  async recordPoll(row: OAuth2DeviceCodesTable, now = Date.now()): Promise<boolean> {
    const cutoff = new Date(now - row.interval_s * 900).toISOString();
    const r = await scoped(this.d.db, row.project_id).updateTable('oauth2_device_codes').set({ last_polled_at: new Date(now).toISOString() })
      .where('id', '=', row.id)
      .where((eb) => eb.or([eb('last_polled_at', 'is', null), eb('last_polled_at', '<=', cutoff)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
}

export interface DeviceAuthorizationResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

export interface DeviceAuthorizationInput {
  projectId: string;
  config: OAuth2Config;
  issuer: string;
  request: ClientRequest;
}

/**
 * POST /oauth2/device/auth (RFC 8628 §3.1): the client authenticates as at the token endpoint (a
 * public client sends only client_id), must have the device_code grant and may request only its own
 * scopes and audiences. Failures count against the client's failure limit, as at the token endpoint.
 */
export async function deviceAuthorization(d: { auth: ClientAuthenticator; devices: DeviceCodeStore }, i: DeviceAuthorizationInput): Promise<DeviceAuthorizationResponse> {
  return d.auth.run(i.projectId, i.request, { counts: () => true }, async ({ authenticate }) => {
    const client = await authenticate();
    if (!(client.grant_types as string[]).includes(DEVICE_CODE_GRANT)) {
      throw unauthorizedClient(`The requested OAuth 2.0 Client does not have the '${DEVICE_CODE_GRANT}' grant.`);
    }
    const { scopes, audience } = requestedGrant(client, i.request.params);
    const ttlMs = i.config.ttl.deviceUserCodeMs;
    const interval = i.config.devicePollingIntervalS;
    const { deviceCode, userCode } = await d.devices.create(i.projectId, client.client_id, scopes, audience, ttlMs, interval);
    const verify = `${i.issuer}/oauth2/device/verify`;
    return {
      device_code: deviceCode, user_code: userCode, verification_uri: verify, verification_uri_complete: `${verify}?user_code=${userCode}`,
      expires_in: Math.floor(ttlMs / 1000), interval,
    };
  });
}

/** The RFC 8628 §3.5 errors of a device code poll. */
export const authorizationPending = () => new OAuth2Error('authorization_pending', "The authorization request is still pending as the end user hasn't yet completed the user-interaction steps.");
export const slowDown = () => new OAuth2Error('slow_down', "The authorization request was rate-limited to prevent system overload. Ensure that you don't call the token endpoint sooner than the polling interval.");
export const expiredToken = () => new OAuth2Error('expired_token', 'The device_code has expired, and the device authorization session has concluded.');
export const accessDenied = (description?: string) => new OAuth2Error('access_denied', description || 'The resource owner or authorization server denied the request.', 400);

/** Poll answers that are the protocol working as intended, not failures of the client. */
export const POLL_ERRORS = new Set(['authorization_pending', 'slow_down']);
