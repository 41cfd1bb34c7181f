import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../platform/db/schema.js';
import { isUniqueViolation } from '../platform/db/database.js';
import type { OAuth2DeviceCodesTable } from './tables.js';
import { newId, nowIso } from '../platform/ids.js';
import { OAuth2Error, invalidRequest, unauthorizedClient } from './errors.js';
import { DuplicateParam, configDuration } from './util.js';
import { randomToken, secretHash } from '../platform/crypto.js';
import { authenticateClient, readClientCredentials, refuseIfLimited, requestedGrant, type TokenEndpointDeps } from './token-endpoint.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** Hydra's default user code: 8 characters without vowels (no words) nor look-alikes (0/O, 1/I/L...). */
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const USER_CODE_LENGTH = 8;
const DEFAULT_TTL_MS = 10 * 60_000;
const DEFAULT_INTERVAL_MS = 5_000;

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

/** The project's polling interval (`oauth2.device_authorization.token_polling_interval`), in whole seconds. */
export const pollingIntervalS = (config: Record<string, any>): number =>
  Math.max(1, Math.round(configDuration(config?.oauth2?.device_authorization?.token_polling_interval, DEFAULT_INTERVAL_MS) / 1000));

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
  async create(projectId: string, clientId: string, scopes: string[], audience: string[], ttlMs: number, intervalS: number): Promise<{ deviceCode: string; userCode: string; row: OAuth2DeviceCodesTable }> {
    for (let attempt = 0; ; attempt++) {
      const deviceCode = randomToken('ory_dc_');
      const userCode = newUserCode();
      const now = new Date();
      const row: OAuth2DeviceCodesTable = {
        id: newId(), project_id: projectId, client_id: clientId, device_code_hash: this.deviceHash(deviceCode), user_code_hash: this.userHash(userCode),
        scope: JSON.stringify(scopes), audience: JSON.stringify(audience), state: 'pending', flow_id: null, interval_s: intervalS,
        last_polled_at: null, created_at: now.toISOString(), expires_at: new Date(now.getTime() + ttlMs).toISOString(),
      };
      try {
        await this.d.db.insertInto('oauth2_device_codes').values(row).execute();
        return { deviceCode, userCode, row };
      } catch (err) {
        // A user code still stored for this project (1 in 20^8): draw another one.
        if (attempt >= 2 || !isUniqueViolation(err)) throw err;
      }
    }
  }

  async byDeviceCode(projectId: string, code: string): Promise<OAuth2DeviceCodesTable | undefined> {
    if (!code || code.length > 512) return undefined;
    return this.d.db.selectFrom('oauth2_device_codes').selectAll().where('project_id', '=', projectId).where('device_code_hash', '=', this.deviceHash(code)).executeTakeFirst();
  }

  async byUserCode(projectId: string, code: string): Promise<OAuth2DeviceCodesTable | undefined> {
    if (!code || code.length > 64) return undefined;
    return this.d.db.selectFrom('oauth2_device_codes').selectAll().where('project_id', '=', projectId).where('user_code_hash', '=', this.userHash(code)).executeTakeFirst();
  }

  private async move(projectId: string, id: string, from: OAuth2DeviceCodesTable['state'], set: Partial<OAuth2DeviceCodesTable>): Promise<boolean> {
    const r = await this.d.db.updateTable('oauth2_device_codes').set(set).where('project_id', '=', projectId).where('id', '=', id).where('state', '=', from).executeTakeFirst();
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
    const r = await this.d.db.updateTable('oauth2_device_codes').set({ last_polled_at: new Date(now).toISOString() })
      .where('project_id', '=', row.project_id).where('id', '=', row.id)
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

/**
 * POST /oauth2/device/auth (RFC 8628 §3.1): the client authenticates as at the token endpoint (a
 * public client sends only client_id), must have the device_code grant and may request only its own
 * scopes and audiences. Failures count against the client's failure limit, as at the token endpoint.
 */
export async function deviceAuthorization(d: Pick<TokenEndpointDeps, 'clients' | 'limiter' | 'devices'>, req: FastifyRequest, issuer: string): Promise<DeviceAuthorizationResponse> {
  const project = req.project!;
  const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body : {};
  let bucket: string | undefined;
  try {
    const creds = readClientCredentials(req, body);
    await refuseIfLimited(d, project.id, creds.clientId);
    bucket = creds.clientId;
    const client = await authenticateClient(d, project.id, creds);
    if (!(client.grant_types as string[]).includes(DEVICE_CODE_GRANT)) {
      throw unauthorizedClient(`The requested OAuth 2.0 Client does not have the '${DEVICE_CODE_GRANT}' grant.`);
    }
    const { scopes, audience } = requestedGrant(client, body);
    const config = project.services.oauth2.config ?? {};
    const ttlMs = configDuration(config?.ttl?.device_user_code, DEFAULT_TTL_MS);
    const interval = pollingIntervalS(config);
    const { deviceCode, userCode } = await d.devices.create(project.id, client.client_id, scopes, audience, ttlMs, interval);
    const verify = `${issuer}/oauth2/device/verify`;
    return {
      device_code: deviceCode, user_code: userCode, verification_uri: verify, verification_uri_complete: `${verify}?user_code=${userCode}`,
      expires_in: Math.floor(ttlMs / 1000), interval,
    };
  } catch (err) {
    const e = err instanceof DuplicateParam ? invalidRequest(err.message) : err;
    if (bucket !== undefined && e instanceof OAuth2Error) await d.limiter.fail(project.id, bucket);
    throw e;
  }
}

/** The RFC 8628 §3.5 errors of a device code poll. */
export const authorizationPending = () => new OAuth2Error('authorization_pending', "The authorization request is still pending as the end user hasn't yet completed the user-interaction steps.");
export const slowDown = () => new OAuth2Error('slow_down', "The authorization request was rate-limited to prevent system overload. Ensure that you don't call the token endpoint sooner than the polling interval.");
export const expiredToken = () => new OAuth2Error('expired_token', 'The device_code has expired, and the device authorization session has concluded.');
export const accessDenied = (description?: string) => new OAuth2Error('access_denied', description || 'The resource owner or authorization server denied the request.', 400);

/** Poll answers that are the protocol working as intended, not failures of the client. */
export const POLL_ERRORS = new Set(['authorization_pending', 'slow_down']);
