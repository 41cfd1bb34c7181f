/**
 * The `services` config a new project starts with. Each plane reads its own part on every request
 * (through the project resolver), so a change through the management API takes effect at once.
 */
export function defaultIdentityConfig(): Record<string, unknown> {
  return {
    identity: {
      default_schema_id: 'preset://email',
      schemas: [{ id: 'preset://email', url: 'preset://email' }],
    },
    selfservice: {
      default_browser_return_url: '/',
      allowed_return_urls: [],
      methods: {
        password: { enabled: true, config: { min_password_length: 8, identifier_similarity_check_enabled: true, haveibeenpwned_enabled: false } },
        code: { enabled: true },
      },
      flows: {
        registration: { enabled: true, lifespan: '1h', login_hints: false },
        login: { lifespan: '1h' },
        settings: { lifespan: '1h', privileged_session_max_age: '15m' },
        recovery: { enabled: true, use: 'code', lifespan: '1h' },
        verification: { enabled: true, use: 'code', lifespan: '1h' },
        logout: {},
      },
    },
    session: { lifespan: '72h', earliest_possible_extend: '24h', cookie: { persistent: true, same_site: 'Lax' } },
    courier: { delivery_strategy: 'outbox' },
  };
}

export function defaultOAuth2Config(): Record<string, unknown> {
  return {
    ttl: { access_token: '1h', refresh_token: '720h', id_token: '1h', auth_code: '10m', login_consent_request: '30m' },
    strategies: { access_token: 'opaque', scope: 'exact' },
    urls: { login: '', consent: '', logout: '', error: '' },
    oauth2: { pkce: { enforced_for_public_clients: true } },
  };
}

export function defaultPermissionConfig(): Record<string, unknown> {
  return { namespaces: [], limit: { max_read_depth: 5 } };
}

export function defaultCors(): { enabled: boolean; origins: string[] } {
  return { enabled: false, origins: [] };
}
