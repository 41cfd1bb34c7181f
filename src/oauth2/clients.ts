import { Type, type Static, type TOptional } from '@sinclair/typebox';
import jsonPatch from 'fast-json-patch';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import type { Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { Database } from '../database.js';
import type { OAuth2ClientsTable } from './tables.js';
import { newId, nowIso } from '../platform/ids.js';
import { ErrorId, badRequest, notFound } from '../platform/errors/errors.js';
import { decodePageToken, encodePageToken } from '../platform/http/pagination.js';
import { compileSchema } from '../platform/http/validation.js';
import { parseDuration } from './util.js';
import { randomToken, safeEqual, secretHash } from '../platform/crypto.js';
import { scoped } from '../platform/db/scoped.js';
import { ClientStore, type Scope } from './client-store.js';

const Str = Type.String({ maxLength: 2048 });
const StrList = Type.Array(Type.String({ maxLength: 2048 }), { maxItems: 100 });
const Lifespan = Type.Union([Type.String({ maxLength: 64 }), Type.Null()]);

export const LIFESPAN_FIELDS = [
  'authorization_code_grant_access_token_lifespan',
  'authorization_code_grant_id_token_lifespan',
  'authorization_code_grant_refresh_token_lifespan',
  'client_credentials_grant_access_token_lifespan',
  'device_authorization_grant_access_token_lifespan',
  'device_authorization_grant_id_token_lifespan',
  'device_authorization_grant_refresh_token_lifespan',
  'implicit_grant_access_token_lifespan',
  'implicit_grant_id_token_lifespan',
  'jwt_bearer_grant_access_token_lifespan',
  'refresh_token_grant_access_token_lifespan',
  'refresh_token_grant_id_token_lifespan',
  'refresh_token_grant_refresh_token_lifespan',
] as const;

const lifespanProps = Object.fromEntries(LIFESPAN_FIELDS.map((f) => [f, Type.Optional(Lifespan)])) as Record<(typeof LIFESPAN_FIELDS)[number], TOptional<typeof Lifespan>>;

export const LifespansBody = Type.Object(lifespanProps, { additionalProperties: false });

/** The OAuth2Client model of @ory/client (every field, so a fetched client can be PUT back). */
export const ClientBody = Type.Object(
  {
    access_token_strategy: Type.Optional(Str),
    allowed_cors_origins: Type.Optional(Type.Union([StrList, Type.Null()])),
    audience: Type.Optional(Type.Union([StrList, Type.Null()])),
    backchannel_logout_session_required: Type.Optional(Type.Boolean()),
    backchannel_logout_uri: Type.Optional(Str),
    client_id: Type.Optional(Type.String({ maxLength: 255 })),
    client_name: Type.Optional(Str),
    client_secret: Type.Optional(Type.String({ maxLength: 512 })),
    client_secret_expires_at: Type.Optional(Type.Integer()),
    client_uri: Type.Optional(Str),
    contacts: Type.Optional(Type.Union([StrList, Type.Null()])),
    created_at: Type.Optional(Str),
    frontchannel_logout_session_required: Type.Optional(Type.Boolean()),
    frontchannel_logout_uri: Type.Optional(Str),
    grant_types: Type.Optional(Type.Union([StrList, Type.Null()])),
    jwks: Type.Optional(Type.Union([Type.Object({ keys: Type.Optional(Type.Array(Type.Object({ kty: Type.String() }, { additionalProperties: true }), { maxItems: 100 })) }, { additionalProperties: true }), Type.Null()])),
    jwks_uri: Type.Optional(Str),
    logo_uri: Type.Optional(Str),
    metadata: Type.Optional(Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()])),
    owner: Type.Optional(Str),
    policy_uri: Type.Optional(Str),
    post_logout_redirect_uris: Type.Optional(Type.Union([StrList, Type.Null()])),
    redirect_uris: Type.Optional(Type.Union([StrList, Type.Null()])),
    registration_access_token: Type.Optional(Str),
    registration_client_uri: Type.Optional(Str),
    request_object_signing_alg: Type.Optional(Str),
    request_uris: Type.Optional(Type.Union([StrList, Type.Null()])),
    response_types: Type.Optional(Type.Union([StrList, Type.Null()])),
    scope: Type.Optional(Str),
    sector_identifier_uri: Type.Optional(Str),
    skip_consent: Type.Optional(Type.Boolean()),
    skip_logout_consent: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    subject_type: Type.Optional(Str),
    token_endpoint_auth_method: Type.Optional(Str),
    token_endpoint_auth_signing_alg: Type.Optional(Str),
    tos_uri: Type.Optional(Str),
    updated_at: Type.Optional(Str),
    userinfo_signed_response_alg: Type.Optional(Str),
    ...lifespanProps,
  },
  { additionalProperties: false },
);
export type ClientInput = Static<typeof ClientBody>;

let validateClientBody: ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null } | undefined;
/** The checks a PUT body gets from its route schema, for a client produced by a JSON Patch. */
function assertClientBody(data: unknown): asserts data is ClientInput {
  validateClientBody ??= compileSchema(ClientBody, 'body');
  if (validateClientBody(data)) return;
  const e = validateClientBody.errors?.[0];
  const field = e?.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : 'client';
  throw badRequest(`The patched client is invalid: ${field} ${e?.message ?? 'is invalid'}.`, ErrorId.oauth2InvalidClientMetadata);
}

/** A stored client as the rest of the domain uses it. */
export interface OAuth2Client {
  client_id: string;
  client_name: string;
  redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  scope: string;
  audience: string[];
  owner: string;
  token_endpoint_auth_method: string;
  access_token_strategy?: string;
  skip_consent: boolean;
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  [field: string]: unknown;
}

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', 'implicit', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'urn:ietf:params:oauth:grant-type:device_code'];
const RESPONSE_TYPES = ['code', 'token', 'id_token', 'code id_token', 'code token', 'id_token token', 'code id_token token', 'none'];
const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'];
const MIN_SECRET = 6;
const CLIENT_ID = /^[A-Za-z0-9._~:@!$&'()*+,;=-]{1,255}$/;

/** Normalizes and validates client metadata the way Hydra does (defaults, allowed values). */
function normalize(input: ClientInput): Record<string, unknown> {
  const list = (v: string[] | null | undefined) => [...new Set(v ?? [])];
  const grantTypes = list(input.grant_types);
  for (const g of grantTypes) if (!GRANT_TYPES.includes(g)) throw badRequest(`grant_types contains an unsupported value "${g}".`, ErrorId.oauth2InvalidClientMetadata);
  const responseTypes = list(input.response_types);
  for (const r of responseTypes) if (!RESPONSE_TYPES.includes(r)) throw badRequest(`response_types contains an unsupported value "${r}".`, ErrorId.oauth2InvalidClientMetadata);
  const authMethod = input.token_endpoint_auth_method || 'client_secret_basic';
  if (!AUTH_METHODS.includes(authMethod)) throw badRequest(`token_endpoint_auth_method must be one of ${AUTH_METHODS.join(', ')}.`, ErrorId.oauth2InvalidClientMetadata);
  if (input.access_token_strategy && !['opaque', 'jwt'].includes(input.access_token_strategy)) throw badRequest('access_token_strategy must be "opaque" or "jwt".', ErrorId.oauth2InvalidClientMetadata);
  if (input.subject_type && input.subject_type !== 'public') throw badRequest('subject_type must be "public".', ErrorId.oauth2InvalidClientMetadata);
  const redirectUris = list(input.redirect_uris);
  const postLogoutUris = list(input.post_logout_redirect_uris);
  for (const uri of [...redirectUris, ...postLogoutUris]) {
    let u: URL;
    try {
      u = new URL(uri);
    } catch {
      throw badRequest(`Redirect URIs must be absolute URLs; "${uri.slice(0, 200)}" is not.`, ErrorId.oauth2InvalidRedirectUri);
    }
    if (u.hash) throw badRequest('Redirect URIs must not contain a fragment.', ErrorId.oauth2InvalidRedirectUri);
    if (['javascript:', 'data:', 'vbscript:', 'file:', 'blob:'].includes(u.protocol)) throw badRequest(`Redirect URIs may not use the ${u.protocol} scheme.`, ErrorId.oauth2InvalidRedirectUri);
  }
  for (const f of LIFESPAN_FIELDS) {
    const v = input[f];
    if (v !== undefined && v !== null && v !== '' && parseDuration(v) === null) throw badRequest(`${f} must be a duration such as "1h" or "30m".`, ErrorId.oauth2InvalidClientMetadata);
  }
  const out: Record<string, unknown> = {
    client_name: input.client_name ?? '',
    redirect_uris: redirectUris,
    grant_types: grantTypes.length ? grantTypes : ['authorization_code'],
    response_types: responseTypes.length ? responseTypes : ['code'],
    scope: input.scope ?? 'offline_access offline openid',
    audience: list(input.audience),
    owner: input.owner ?? '',
    policy_uri: input.policy_uri ?? '',
    allowed_cors_origins: list(input.allowed_cors_origins),
    tos_uri: input.tos_uri ?? '',
    client_uri: input.client_uri ?? '',
    logo_uri: input.logo_uri ?? '',
    contacts: input.contacts ?? null,
    client_secret_expires_at: 0,
    subject_type: 'public',
    jwks: input.jwks ?? {},
    token_endpoint_auth_method: authMethod,
    userinfo_signed_response_alg: input.userinfo_signed_response_alg || 'none',
    metadata: input.metadata ?? {},
    skip_consent: input.skip_consent ?? false,
    skip_logout_consent: input.skip_logout_consent ?? null,
    post_logout_redirect_uris: postLogoutUris,
    frontchannel_logout_uri: input.frontchannel_logout_uri ?? '',
    frontchannel_logout_session_required: input.frontchannel_logout_session_required ?? false,
    backchannel_logout_uri: input.backchannel_logout_uri ?? '',
    backchannel_logout_session_required: input.backchannel_logout_session_required ?? false,
  };
  if (input.jwks_uri) out.jwks_uri = input.jwks_uri;
  if (input.request_uris) out.request_uris = list(input.request_uris);
  if (input.access_token_strategy) out.access_token_strategy = input.access_token_strategy;
  for (const f of LIFESPAN_FIELDS) out[f] = input[f] || null;
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function rowToClient(row: OAuth2ClientsTable): OAuth2Client {
  return { client_id: row.id, ...(JSON.parse(row.data) as Record<string, unknown>), created_at: row.created_at, updated_at: row.updated_at } as OAuth2Client;
}

/**
 * A UUIDv7 that is strictly greater than the previous one from this process, so clients created within
 * one millisecond still list in creation order (UUIDv7 only orders by the millisecond).
 */
let lastPk = '';
function monotonicPk(): string {
  let pk = newId();
  if (pk <= lastPk) {
    const next = (BigInt(`0x${lastPk.replace(/-/g, '')}`) + 1n).toString(16).padStart(32, '0');
    pk = `${next.slice(0, 8)}-${next.slice(8, 12)}-${next.slice(12, 16)}-${next.slice(16, 20)}-${next.slice(20)}`;
  }
  lastPk = pk;
  return pk;
}

export interface ClientPage {
  clients: OAuth2Client[];
  nextPageToken?: string;
}

type Deps = { db: Kysely<Database>; secret: string };

/** What client authentication needs of a row, parsed once. */
interface AuthEntry {
  client: OAuth2Client;
  /** The current secret hash first, then the rotated ones (empty for a public client). */
  hashes: string[];
}

/**
 * How long a node may authenticate from a client row it read: a change made on another node takes
 * effect here within this time (on the writing node at once; tokens are only written while the client
 * row exists, see TokenService.issue).
 */
const AUTH_CACHE_TTL_MS = 1000;

/**
 * OAuth2 clients of a project (Hydra's /admin/clients): the rules of their metadata and secrets over
 * `ClientStore`'s queries, every one within the project's scope.
 * Secrets: a generated secret is stored as an HMAC (it has 256 bits of entropy); a secret given by
 * the caller is stored as an argon2id hash. Neither is ever returned except once on create/rotate.
 */
export class ClientService {
  private readonly store: ClientStore;
  private readonly authCache = new LRUCache<string, AuthEntry>({ max: 10_000, ttl: AUTH_CACHE_TTL_MS });

  constructor(private readonly d: Deps) {
    this.store = new ClientStore(d.db);
  }

  private scope(projectId: string): Scope {
    return scoped(this.d.db, projectId);
  }

  /** Drops this node's cached authentication data of a client (after any write to it). */
  forget(projectId: string, clientId: string): void {
    this.writes++;
    this.authCache.delete(`${projectId}\0${clientId}`);
  }

  /** Bumped by every forget, so a read that raced a write is not cached. */
  private writes = 0;

  private async authEntry(projectId: string, clientId: string): Promise<AuthEntry | null> {
    const key = `${projectId}\0${clientId}`;
    const hit = this.authCache.get(key);
    if (hit) return hit;
    const writes = this.writes;
    const row = await this.row(projectId, clientId);
    if (!row) return null;
    const client = deepFreeze(rowToClient(row));
    const entry: AuthEntry = { client, hashes: row.secret_hash ? [row.secret_hash, ...(JSON.parse(row.rotated_secret_hashes) as string[])] : [] };
    if (writes === this.writes) this.authCache.set(key, entry);
    return entry;
  }

  private hmacSecret(projectId: string, clientId: string, secret: string): string {
    return 'h1$' + secretHash(this.d.secret, 'oauth2-client-secret', `${projectId}\0${clientId}\0${secret}`);
  }

  async get(projectId: string, clientId: string): Promise<OAuth2Client | null> {
    const row = await this.row(projectId, clientId);
    return row ? rowToClient(row) : null;
  }

  async mustGet(projectId: string, clientId: string): Promise<OAuth2Client> {
    const c = await this.get(projectId, clientId);
    if (!c) throw notFound('The OAuth 2.0 client does not exist.');
    return c;
  }

  private row(projectId: string, clientId: string): Promise<OAuth2ClientsTable | undefined> {
    return this.store.row(this.scope(projectId), clientId);
  }

  /** Creates a client; returns it with `client_secret` (generated unless given) for this one response. */
  async create(projectId: string, input: ClientInput): Promise<OAuth2Client> {
    const data = normalize(input);
    const clientId = input.client_id || newId();
    if (!CLIENT_ID.test(clientId)) throw badRequest('client_id contains characters that are not allowed.', ErrorId.oauth2InvalidClientMetadata);
    const isPublic = data.token_endpoint_auth_method === 'none';
    let secret: string | undefined;
    let secretHash: string | null = null;
    if (!isPublic) {
      if (input.client_secret !== undefined && input.client_secret !== '') {
        if (input.client_secret.length < MIN_SECRET) throw badRequest(`client_secret must be at least ${MIN_SECRET} characters long.`, ErrorId.oauth2InvalidClientMetadata);
        secret = input.client_secret;
        secretHash = await argon2Hash(secret);
      } else {
        secret = randomToken();
        secretHash = this.hmacSecret(projectId, clientId, secret);
      }
    }
    const now = nowIso();
    await this.store.insert(this.scope(projectId), { pk: monotonicPk(), id: clientId, client_name: String(data.client_name), owner: String(data.owner), secret_hash: secretHash, rotated_secret_hashes: '[]', data: JSON.stringify(data), created_at: now, updated_at: now });
    const client = { client_id: clientId, ...data, created_at: now, updated_at: now } as OAuth2Client;
    return secret ? { ...client, client_secret: secret } : client;
  }

  /** Hydra-style list: keyset pages in creation order, optional client_name and owner filters. */
  async list(projectId: string, opts: { pageSize: number; pageToken?: string; clientName?: string; owner?: string }): Promise<ClientPage> {
    const afterPk = decodePageToken(opts.pageToken);
    const rows = await this.store.list(this.scope(projectId), { afterPk, clientName: opts.clientName, owner: opts.owner, limit: opts.pageSize + 1 });
    const page = rows.slice(0, opts.pageSize);
    return { clients: page.map(rowToClient), nextPageToken: rows.length > opts.pageSize ? encodePageToken(page[page.length - 1].pk) : undefined };
  }

  /** Replaces a client's metadata (PUT). A given client_secret replaces the secret; none keeps it. */
  async replace(projectId: string, clientId: string, input: ClientInput): Promise<OAuth2Client> {
    const row = await this.row(projectId, clientId);
    if (!row) throw notFound('The OAuth 2.0 client does not exist.');
    if (input.client_id !== undefined && input.client_id !== clientId) throw badRequest('client_id cannot be changed.', ErrorId.oauth2InvalidClientMetadata);
    return this.write(row, normalize(input), input.client_secret);
  }

  /**
   * Applies an RFC 6902 JSON Patch to the client's wire form, then validates it as a PUT would. The
   * document carries `client_secret: ""` (the secret itself is never readable), so `replace` on it
   * sets a new secret.
   */
  async patch(projectId: string, clientId: string, ops: jsonPatch.Operation[]): Promise<OAuth2Client> {
    const row = await this.row(projectId, clientId);
    if (!row) throw notFound('The OAuth 2.0 client does not exist.');
    const doc = { ...rowToClient(row), client_secret: '' } as Record<string, unknown>;
    let patched: Record<string, unknown>;
    try {
      patched = jsonPatch.applyPatch(structuredClone(doc), ops, true, false).newDocument;
    } catch (err) {
      throw badRequest(`The patch could not be applied: ${String((err as Error).message ?? 'invalid operation').split('\n')[0]}`);
    }
    if (!patched || typeof patched !== 'object' || Array.isArray(patched)) throw badRequest('The patch must leave a client object.', ErrorId.oauth2InvalidClientMetadata);
    if (patched.client_id !== clientId) throw badRequest('client_id cannot be changed.', ErrorId.oauth2InvalidClientMetadata);
    const { created_at: _c, updated_at: _u, client_id: _i, ...rest } = patched;
    assertClientBody(rest);
    const { client_secret, ...input } = rest;
    return this.write(row, normalize(input), client_secret || undefined);
  }

  private async write(row: OAuth2ClientsTable, data: Record<string, unknown>, newSecret: string | undefined): Promise<OAuth2Client> {
    let secretHash = row.secret_hash;
    if (data.token_endpoint_auth_method === 'none') secretHash = null;
    else if (newSecret) {
      if (newSecret.length < MIN_SECRET) throw badRequest(`client_secret must be at least ${MIN_SECRET} characters long.`, ErrorId.oauth2InvalidClientMetadata);
      secretHash = await argon2Hash(newSecret);
    } else if (!secretHash) {
      throw badRequest('A confidential client needs a client_secret.', ErrorId.oauth2InvalidClientMetadata);
    }
    const now = nowIso();
    await this.store.update(this.scope(row.project_id), row.id, { data: JSON.stringify(data), client_name: String(data.client_name), owner: String(data.owner), secret_hash: secretHash, updated_at: now });
    this.forget(row.project_id, row.id);
    // A secret the caller sets is not echoed back (Hydra does): secrets leave the server only when it
    // generates them (create, rotate).
    return { client_id: row.id, ...data, created_at: row.created_at, updated_at: now } as OAuth2Client;
  }

  /** Sets per-grant token lifespans (unset fields clear the override). */
  async setLifespans(projectId: string, clientId: string, lifespans: Static<typeof LifespansBody>): Promise<OAuth2Client> {
    const row = await this.row(projectId, clientId);
    if (!row) throw notFound('The OAuth 2.0 client does not exist.');
    const current = rowToClient(row);
    const { client_id: _i, created_at: _c, updated_at: _u, ...rest } = current;
    const next: Record<string, unknown> = { ...rest };
    for (const f of LIFESPAN_FIELDS) {
      const v = lifespans[f];
      if (v !== undefined && v !== null && v !== '' && parseDuration(v) === null) throw badRequest(`${f} must be a duration such as "1h" or "30m".`, ErrorId.oauth2InvalidClientMetadata);
      next[f] = v || null;
    }
    return this.write(row, next, undefined);
  }

  /** Generates a new secret; the old one keeps working until the rotated secrets are deleted. */
  async rotateSecret(projectId: string, clientId: string): Promise<OAuth2Client> {
    const row = await this.row(projectId, clientId);
    if (!row) throw notFound('The OAuth 2.0 client does not exist.');
    if (!row.secret_hash) throw badRequest('A public client has no secret to rotate.', ErrorId.oauth2InvalidClientMetadata);
    const secret = randomToken();
    const rotated = [row.secret_hash, ...(JSON.parse(row.rotated_secret_hashes) as string[])].slice(0, 5);
    const now = nowIso();
    await this.store.update(this.scope(projectId), clientId, { secret_hash: this.hmacSecret(projectId, clientId, secret), rotated_secret_hashes: JSON.stringify(rotated), updated_at: now });
    this.forget(projectId, clientId);
    return { ...rowToClient(row), updated_at: now, client_secret: secret };
  }

  async deleteRotatedSecrets(projectId: string, clientId: string): Promise<OAuth2Client> {
    const row = await this.row(projectId, clientId);
    if (!row) throw notFound('The OAuth 2.0 client does not exist.');
    await this.store.update(this.scope(projectId), clientId, { rotated_secret_hashes: '[]' });
    this.forget(projectId, clientId);
    return rowToClient(row);
  }

  /** Deletes a client with its tokens and flows. False when it did not exist. */
  async delete(projectId: string, clientId: string): Promise<boolean> {
    if (clientId.length > 255) return false;
    this.forget(projectId, clientId);
    return this.scope(projectId).transaction(async (trx) => {
      if (!(await this.store.delete(trx, clientId))) return false;
      await this.store.deleteDependents(trx, clientId);
      return true;
    }).finally(() => this.forget(projectId, clientId));
  }

  /**
   * Checks a client's secret in constant time per candidate hash. Returns the client, or null for an
   * unknown client, a public client or a wrong secret (the caller answers invalid_client for all).
   */
  async authenticate(projectId: string, clientId: string, secret: string): Promise<OAuth2Client | null> {
    const entry = await this.authEntry(projectId, clientId);
    const hmac = this.hmacSecret(projectId, clientId, secret);
    if (!entry || entry.hashes.length === 0) {
      safeEqual(hmac, hmac);
      return null;
    }
    for (const stored of entry.hashes) {
      if (stored.startsWith('h1$')) {
        if (safeEqual(stored, hmac)) return entry.client;
      } else if (secret.length <= 512) {
        try {
          if (await argon2Verify(stored, secret)) return entry.client;
        } catch {
          // A malformed stored hash never authenticates.
        }
      }
    }
    return null;
  }

}
