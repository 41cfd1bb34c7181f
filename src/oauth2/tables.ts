// Tables of the oauth2 domain, merged into the typed Database (src/database.ts).
// Portable storage: ISO text timestamps, JSON as text, booleans as 0/1, every row carries project_id.

/** An OAuth2 client. `data` holds the Hydra client metadata (never the secret). */
export interface OAuth2ClientsTable {
  /** Internal, time-ordered id: the keyset for pagination. */
  pk: string;
  project_id: string;
  /** The public `client_id` (generated UUID or given on create); unique per project. */
  id: string;
  client_name: string;
  owner: string;
  /** `h1$<hmac>` for generated secrets, an argon2id PHC string for given ones; null for public clients. */
  secret_hash: string | null;
  /** JSON array of hashes of rotated secrets that still authenticate until deleted. */
  rotated_secret_hashes: string;
  /** JSON text of the client metadata (wire shape, without client_secret). */
  data: string;
  created_at: string;
  updated_at: string;
}

/** Issued access and refresh tokens. Only the HMAC of a token is stored, whatever its format. */
export interface OAuth2TokensTable {
  id: string;
  project_id: string;
  hash: string;
  kind: 'access_token' | 'refresh_token';
  /** The grant chain (a code exchange or a client_credentials call and the refreshes that follow it). */
  request_id: string;
  client_id: string;
  subject: string;
  /** Space-separated granted scopes. */
  scope: string;
  /** JSON array of granted audiences. */
  audience: string;
  /** JSON: { access_token: {...ext}, id_token: {...claims}, auth_time, acr, amr, nonce? }. */
  session: string;
  issuer: string;
  grant_type: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  /** Refresh tokens: when it was exchanged (a second use revokes the chain). */
  used_at: string | null;
}

/** One authorization-code flow: login challenge, consent challenge and the code. */
export interface OAuth2FlowsTable {
  id: string;
  project_id: string;
  client_id: string;
  state: 'device_requested' | 'device_accepted' | 'login_requested' | 'login_accepted' | 'login_rejected' | 'consent_requested' | 'consent_accepted' | 'consent_rejected' | 'code_issued' | 'code_used' | 'done';
  login_challenge_hash: string;
  login_verifier_hash: string | null;
  consent_challenge_hash: string | null;
  consent_verifier_hash: string | null;
  code_hash: string | null;
  /** Device flows (RFC 8628): the device challenge sent to the verification UI, and its verifier. */
  device_challenge_hash: string | null;
  device_verifier_hash: string | null;
  /** HMAC of the browser-binding cookie value set on /oauth2/auth. */
  csrf_hash: string;
  /** JSON: the validated authorization request. */
  request: string;
  subject: string | null;
  /** JSON: the accepted login (acr, amr, context, remember...). */
  login: string | null;
  /** JSON: the accepted consent (grant_scope, grant_access_token_audience, session). */
  consent: string | null;
  /** JSON: the RFC 6749 error a reject recorded. */
  error: string | null;
  created_at: string;
  updated_at: string;
  expires_at: string;
}

/**
 * A device authorization (RFC 8628): pending until a user enters its user code and consents through
 * a flow (`flow_id`), then exchanged once for tokens. Both codes are stored only as HMACs.
 */
export interface OAuth2DeviceCodesTable {
  id: string;
  project_id: string;
  client_id: string;
  device_code_hash: string;
  user_code_hash: string;
  /** JSON arrays of the requested scopes and audiences. */
  scope: string;
  audience: string;
  /** pending → verifying (user code accepted) → approved (consent given) | denied → used (tokens issued). */
  state: 'pending' | 'verifying' | 'approved' | 'denied' | 'used';
  flow_id: string | null;
  /** Minimum seconds between two polls of the token endpoint. */
  interval_s: number;
  last_polled_at: string | null;
  created_at: string;
  expires_at: string;
}

/** An RP-initiated logout (Hydra's logout challenge). */
export interface OAuth2LogoutRequestsTable {
  id: string;
  project_id: string;
  client_id: string | null;
  state: 'logout_requested' | 'logout_accepted' | 'logout_rejected' | 'done';
  challenge_hash: string;
  verifier_hash: string | null;
  subject: string;
  sid: string;
  /** JSON: { request_url, rp_initiated, post_logout_redirect_uri?, state? }. */
  request: string;
  created_at: string;
  expires_at: string;
}

/** A remembered login of a browser (Hydra's login session): lets later flows skip the login UI. */
export interface OAuth2LoginSessionsTable {
  id: string;
  project_id: string;
  subject: string;
  /** HMAC of the browser cookie's value. */
  token_hash: string;
  authenticated_at: string;
  /** Null: until the browser drops its session cookie (remember_for 0). */
  expires_at: string | null;
  created_at: string;
}

/** An accepted consent (Hydra's consent session); `id` is the consent request id (the flow id). */
export interface OAuth2ConsentSessionsTable {
  id: string;
  project_id: string;
  subject: string;
  client_id: string;
  login_session_id: string | null;
  /** JSON arrays. */
  grant_scope: string;
  grant_audience: string;
  /** JSON: { access_token, id_token } claims granted. */
  session: string;
  /** JSON: the OAuth2ConsentRequest as the consent UI saw it, plus the accept body's context. */
  consent_request: string;
  context: string;
  remember: number;
  remember_for: number;
  /** 1 when given on a consent request the UI was told to skip (Hydra's consent_skip). */
  skip: number;
  handled_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

/** Signing and user-managed JSON Web Keys, per project and set. */
export interface OAuth2JwksTable {
  id: string;
  project_id: string;
  set_name: string;
  kid: string;
  alg: string;
  use: string;
  /** JSON public JWK (null for symmetric keys). */
  public_jwk: string | null;
  /** The private (or symmetric) JWK, encrypted as a compact JWE under a key derived from the server secret. */
  private_jwk: string | null;
  created_at: string;
}

/** Fixed windows of token-endpoint failures per client; two windows make a sliding estimate. */
export interface OAuth2RateLimitsTable {
  project_id: string;
  bucket: string;
  window_no: number;
  hits: number;
}

/** A trusted issuer of JWT bearer assertions (RFC 7523), with the one public key it signs with. */
export interface OAuth2TrustedIssuersTable {
  id: string;
  project_id: string;
  issuer: string;
  /** The only subject its assertions may name; '' when `allow_any_subject`. */
  subject: string;
  allow_any_subject: number;
  /** JSON array of the scopes its assertions may be exchanged for. */
  scope: string;
  key_id: string;
  /** JSON public JWK (with kid, alg, use). */
  public_jwk: string;
  expires_at: string;
  created_at: string;
}

/** `jti`s of JWT bearer assertions already exchanged (kept until the assertion expires), against replay. */
export interface OAuth2JwtAssertionsTable {
  project_id: string;
  jti_hash: string;
  expires_at: string;
}

export interface OAuth2Tables {
  oauth2_clients: OAuth2ClientsTable;
  oauth2_tokens: OAuth2TokensTable;
  oauth2_flows: OAuth2FlowsTable;
  oauth2_device_codes: OAuth2DeviceCodesTable;
  oauth2_logout_requests: OAuth2LogoutRequestsTable;
  oauth2_login_sessions: OAuth2LoginSessionsTable;
  oauth2_consent_sessions: OAuth2ConsentSessionsTable;
  oauth2_jwks: OAuth2JwksTable;
  oauth2_rate_limits: OAuth2RateLimitsTable;
  oauth2_trusted_issuers: OAuth2TrustedIssuersTable;
  oauth2_jwt_assertions: OAuth2JwtAssertionsTable;
}
