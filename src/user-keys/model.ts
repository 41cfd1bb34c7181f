import { parseAddressRanges, type AddressRanges } from '../platform/net/cidr.js';
import { badRequest } from '../platform/errors/errors.js';
import { formatProtoDuration, parseBoundedDuration } from './duration.js';
import type { UserApiKeysTable } from './tables.js';

// The wire model of Ory's ApiKeysApi (@ory/client 1.22: IssuedApiKey, ImportedApiKey, RateLimitPolicy,
// IPRestriction and the enums), and the checks of every field a caller may write. A bad field is a
// 400 naming it; nothing is stored.

export const KEY_STATUS = ['KEY_STATUS_UNSPECIFIED', 'KEY_STATUS_ACTIVE', 'KEY_STATUS_REVOKED', 'KEY_STATUS_EXPIRED'] as const;
export const VISIBILITY = ['KEY_VISIBILITY_UNSPECIFIED', 'KEY_VISIBILITY_SECRET', 'KEY_VISIBILITY_PUBLIC'] as const;
export const REVOCATION_REASON = [
  'REVOCATION_REASON_UNSPECIFIED', 'REVOCATION_REASON_KEY_COMPROMISE', 'REVOCATION_REASON_AFFILIATION_CHANGED',
  'REVOCATION_REASON_SUPERSEDED', 'REVOCATION_REASON_PRIVILEGE_WITHDRAWN',
] as const;
export const TOKEN_ALGORITHM = ['TOKEN_ALGORITHM_UNSPECIFIED', 'TOKEN_ALGORITHM_JWT', 'TOKEN_ALGORITHM_MACAROON'] as const;
export type KeyStatus = (typeof KEY_STATUS)[number];
export type RevocationReason = (typeof REVOCATION_REASON)[number];
export type VerificationErrorCode =
  | 'VERIFICATION_ERROR_INVALID_FORMAT' | 'VERIFICATION_ERROR_EXPIRED' | 'VERIFICATION_ERROR_REVOKED' | 'VERIFICATION_ERROR_NOT_FOUND'
  | 'VERIFICATION_ERROR_SIGNATURE_INVALID' | 'VERIFICATION_ERROR_INTERNAL' | 'VERIFICATION_ERROR_IP_NOT_ALLOWED' | 'VERIFICATION_ERROR_RATE_LIMITED';

export const MAX_METADATA_BYTES = 4096;
const MAX_SCOPES = 100;
const MAX_QUOTA = 1_000_000_000;

export interface RateLimitPolicy {
  quota: string;
  window: string;
  unit?: string;
}

/** An issued or imported key as the SDK reads it. Never the secret, never its hash. */
export interface UserKeyView {
  key_id: string;
  name: string;
  actor_id: string;
  scopes: string[];
  metadata: Record<string, unknown>;
  status: KeyStatus;
  visibility: string;
  ip_restriction: { allowed_cidrs: string[] };
  rate_limit_policy?: RateLimitPolicy;
  create_time: string;
  update_time: string;
  expire_time?: string;
  last_used_time?: string;
  revocation_reason?: string;
  revocation_description?: string;
}

export function statusOf(row: Pick<UserApiKeysTable, 'revoked_at' | 'expires_at'>, now = Date.now()): KeyStatus {
  if (row.revoked_at) return 'KEY_STATUS_REVOKED';
  if (row.expires_at && Date.parse(row.expires_at) <= now) return 'KEY_STATUS_EXPIRED';
  return 'KEY_STATUS_ACTIVE';
}

export function toView(row: UserApiKeysTable, lastUsedMs?: number): UserKeyView {
  const view: UserKeyView = {
    key_id: row.id,
    name: row.name,
    actor_id: row.actor_id,
    scopes: JSON.parse(row.scopes) as string[],
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    status: statusOf(row),
    visibility: row.visibility,
    ip_restriction: { allowed_cidrs: JSON.parse(row.allowed_cidrs) as string[] },
    create_time: row.created_at,
    update_time: row.updated_at,
  };
  if (row.rate_limit_policy) view.rate_limit_policy = JSON.parse(row.rate_limit_policy) as RateLimitPolicy;
  if (row.expires_at) view.expire_time = row.expires_at;
  const used = lastUsedMs !== undefined ? new Date(lastUsedMs).toISOString() : row.last_used_at;
  if (used) view.last_used_time = used;
  if (row.revocation_reason) view.revocation_reason = row.revocation_reason;
  if (row.revocation_description) view.revocation_description = row.revocation_description;
  return view;
}

/** The fields of a key a caller writes, as they arrive (already typed by the route schema). */
export interface KeyFieldsInput {
  name?: string;
  actor_id?: string;
  scopes?: string[];
  metadata?: Record<string, unknown>;
  rate_limit_policy?: { quota?: string | number; window?: string; unit?: string };
  ip_restriction?: { allowed_cidrs?: string[] };
  visibility?: string;
}

export const checkName = (name: unknown, field = 'name'): string => {
  if (typeof name !== 'string' || name.length > 256 || /[\u0000-\u001f]/.test(name)) throw badRequest(`${field} must be a string of at most 256 characters without control characters.`);
  return name;
};

export const checkActor = (actor: unknown): string => {
  if (typeof actor !== 'string' || actor.trim() === '' || actor.length > 256 || /[\u0000-\u001f]/.test(actor)) throw badRequest('actor_id must be a non-empty string of at most 256 characters.');
  return actor;
};

export function checkScopes(scopes: unknown, field = 'scopes'): string[] {
  if (!Array.isArray(scopes) || scopes.length > MAX_SCOPES) throw badRequest(`${field} must be a list of at most ${MAX_SCOPES} scopes.`);
  for (const s of scopes) if (typeof s !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(s)) throw badRequest(`${field} must hold printable scopes of 1 to 128 characters without spaces.`);
  return [...new Set(scopes as string[])];
}

/** Metadata as stored (JSON text), at most 4 KB serialized. */
export function checkMetadata(metadata: unknown, field = 'metadata'): string {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) throw badRequest(`${field} must be a JSON object.`);
  const text = JSON.stringify(metadata);
  if (Buffer.byteLength(text) > MAX_METADATA_BYTES) throw badRequest(`${field} must be at most ${MAX_METADATA_BYTES} bytes serialized.`);
  return text;
}

export interface ParsedPolicy {
  quota: number;
  windowMs: number;
  wire: RateLimitPolicy;
}

export function checkRateLimitPolicy(p: KeyFieldsInput['rate_limit_policy']): ParsedPolicy {
  const quotaText = typeof p?.quota === 'number' ? String(p.quota) : p?.quota;
  if (typeof quotaText !== 'string' || !/^\d{1,10}$/.test(quotaText) || Number(quotaText) < 1 || Number(quotaText) > MAX_QUOTA) throw badRequest(`rate_limit_policy.quota must be a whole number from 1 to ${MAX_QUOTA}.`);
  const windowMs = parseBoundedDuration('rate_limit_policy.window', p?.window, 1000, 366 * 86_400_000);
  if (typeof windowMs === 'string') throw badRequest(`${windowMs}.`);
  if (p?.unit !== undefined && (typeof p.unit !== 'string' || p.unit.length > 64)) throw badRequest('rate_limit_policy.unit must be a string of at most 64 characters.');
  const wire: RateLimitPolicy = { quota: quotaText, window: formatProtoDuration(windowMs) };
  if (p?.unit) wire.unit = p.unit;
  return { quota: Number(quotaText), windowMs, wire };
}

export function readPolicy(text: string | null): ParsedPolicy | null {
  if (!text) return null;
  const wire = JSON.parse(text) as RateLimitPolicy;
  return { quota: Number(wire.quota), windowMs: Math.round(Number(wire.window.slice(0, -1)) * 1000), wire };
}

export function checkCidrs(ip: KeyFieldsInput['ip_restriction']): string[] {
  const list = ip?.allowed_cidrs ?? [];
  if (!Array.isArray(list)) throw badRequest('ip_restriction.allowed_cidrs must be a list of CIDR ranges.');
  const ranges = parseAddressRanges(list);
  if (typeof ranges === 'string') throw badRequest(`ip_restriction.allowed_cidrs: ${ranges}.`);
  return [...ranges.cidrs];
}

export function readRanges(text: string): AddressRanges | null {
  const list = JSON.parse(text) as string[];
  if (list.length === 0) return null;
  const ranges = parseAddressRanges(list);
  return typeof ranges === 'string' ? null : ranges;
}

/** The stored visibility: an unspecified one is secret. */
export const checkVisibility = (v: string | undefined): string => (v === undefined || v === 'KEY_VISIBILITY_UNSPECIFIED' ? 'KEY_VISIBILITY_SECRET' : v);

/** A `ttl` as an expiry time, or null for none (no ttl, or a zero one: no project default TTL is configured). */
export function expiryOf(ttl: string | undefined, now = Date.now()): string | null {
  if (ttl === undefined || ttl === '' || ttl === '0s' || ttl === '0') return null;
  const ms = parseBoundedDuration('ttl', ttl);
  if (typeof ms === 'string') throw badRequest(`${ms}.`);
  return new Date(now + ms).toISOString();
}
