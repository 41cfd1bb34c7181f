/**
 * A project's courier settings (`services.identity.config.courier`, Kratos's keys): how its
 * messages leave. `outbox` (Gatehouse's default) keeps them for the admin courier API only; `smtp`
 * sends mail through `courier.smtp.connection_uri`; `http` posts each message to
 * `courier.http.request_config.url`. A message that fails is retried `message_retries` times
 * (Kratos's default 5) and then `abandoned`.
 */
export type CourierSettings =
  | { strategy: 'outbox'; retries: number }
  | { strategy: 'smtp'; retries: number; smtp: SmtpSettings }
  | { strategy: 'http'; retries: number; http: HttpSettings };

export interface SmtpSettings {
  host: string;
  port: number;
  /** `smtps://`: TLS from the first byte. Otherwise STARTTLS, required unless `disable_starttls=true`. */
  implicitTls: boolean;
  startTls: boolean;
  skipVerify: boolean;
  user?: string;
  password?: string;
  fromAddress: string;
  fromName?: string;
  headers: Record<string, string>;
  localName?: string;
}

export interface HttpSettings {
  url: URL;
  method: string;
  headers: Record<string, string>;
  auth?: { type: 'basic_auth'; user: string; password: string } | { type: 'api_key'; name: string; value: string; in: 'header' | 'cookie' };
}

export const DEFAULT_MESSAGE_RETRIES = 5;
const DEFAULT_FROM = 'no-reply@gatehouse.invalid';

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strings = (v: unknown): Record<string, string> => Object.fromEntries(Object.entries(obj(v)).filter((e): e is [string, string] => typeof e[1] === 'string'));

/** Whether the project's courier sends its messages (SMTP or HTTP) rather than keeping them in the outbox. */
export function courierDelivers(identityConfig: unknown): boolean {
  const strategy = obj(obj(identityConfig).courier).delivery_strategy;
  return strategy === 'smtp' || strategy === 'http';
}

/**
 * Reads the courier settings of an identity config, or returns why they cannot be used (a config
 * write is refused with that text). `open` turns a stored secret (sealed at rest) back into its value.
 */
export function readCourierSettings(identityConfig: unknown, open: (stored: string) => string = (s) => s): CourierSettings | string {
  const c = obj(obj(identityConfig).courier);
  const at = 'services.identity.config.courier';
  const retries = c.message_retries === undefined ? DEFAULT_MESSAGE_RETRIES : c.message_retries;
  if (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0 || retries > 50) return `${at}.message_retries must be an integer from 0 to 50.`;
  const strategy = c.delivery_strategy ?? 'outbox';
  if (strategy === 'outbox') return { strategy, retries };
  if (strategy === 'smtp') {
    const smtp = obj(c.smtp);
    const uri = str(smtp.connection_uri);
    if (!uri) return `${at}.smtp.connection_uri is required when delivery_strategy is "smtp" (smtp://user:password@host:587/ or smtps://user:password@host:465/).`;
    const plain = open(uri);
    let url: URL;
    try {
      url = new URL(plain);
    } catch {
      return `${at}.smtp.connection_uri is not a URL; use smtp://user:password@host:587/ or smtps://user:password@host:465/.`;
    }
    if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') return `${at}.smtp.connection_uri must start with smtp:// (STARTTLS) or smtps:// (implicit TLS).`;
    if (!url.hostname) return `${at}.smtp.connection_uri names no host.`;
    const implicitTls = url.protocol === 'smtps:';
    const from = str(smtp.from_address) ?? DEFAULT_FROM;
    if (!/^[^\s@<>]+@[^\s@<>]+$/.test(from)) return `${at}.smtp.from_address must be an email address.`;
    return {
      strategy,
      retries,
      smtp: {
        host: url.hostname,
        port: url.port ? Number(url.port) : implicitTls ? 465 : 587,
        implicitTls,
        startTls: !implicitTls && url.searchParams.get('disable_starttls') !== 'true',
        skipVerify: url.searchParams.get('skip_ssl_verify') === 'true',
        ...(url.username ? { user: decodeURIComponent(url.username) } : {}),
        ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
        fromAddress: from,
        ...(str(smtp.from_name) ? { fromName: str(smtp.from_name) } : {}),
        headers: strings(smtp.headers),
        ...(str(smtp.local_name) ? { localName: str(smtp.local_name) } : {}),
      },
    };
  }
  if (strategy === 'http') {
    const rc = obj(obj(c.http).request_config);
    const raw = str(rc.url);
    if (!raw) return `${at}.http.request_config.url is required when delivery_strategy is "http".`;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return `${at}.http.request_config.url is not a URL.`;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${at}.http.request_config.url must be an http:// or https:// URL.`;
    if (url.username || url.password) return `${at}.http.request_config.url must not carry credentials; use request_config.auth.`;
    if (rc.body !== undefined) return `${at}.http.request_config.body: Gatehouse does not run Jsonnet; it posts Kratos's default payload (recipient, template_type, subject, body, template_data). Remove body.`;
    const method = (str(rc.method) ?? 'POST').toUpperCase();
    if (!['POST', 'PUT', 'PATCH'].includes(method)) return `${at}.http.request_config.method must be POST, PUT or PATCH.`;
    let auth: HttpSettings['auth'];
    if (rc.auth !== undefined) {
      const a = obj(rc.auth);
      const ac = obj(a.config);
      if (a.type === 'basic_auth') {
        const user = str(ac.user);
        const password = str(ac.password);
        if (!user || !password) return `${at}.http.request_config.auth.config needs user and password for basic_auth.`;
        auth = { type: 'basic_auth', user, password: open(password) };
      } else if (a.type === 'api_key') {
        const name = str(ac.name);
        const value = str(ac.value);
        const where = ac.in ?? 'header';
        if (!name || !value || (where !== 'header' && where !== 'cookie')) return `${at}.http.request_config.auth.config needs name, value and in ("header" or "cookie") for api_key.`;
        auth = { type: 'api_key', name, value: open(value), in: where };
      } else {
        return `${at}.http.request_config.auth.type must be "basic_auth" or "api_key".`;
      }
    }
    return { strategy, retries, http: { url, method, headers: strings(rc.headers), ...(auth ? { auth } : {}) } };
  }
  return `${at}.delivery_strategy must be "outbox", "smtp" or "http".`;
}

/** Where the courier's secrets sit in an identity config: sealed at rest, shown sealed. */
const SECRET_PATHS = [
  ['courier', 'smtp', 'connection_uri'],
  ['courier', 'http', 'request_config', 'auth', 'config', 'password'],
  ['courier', 'http', 'request_config', 'auth', 'config', 'value'],
] as const;

/** A copy of `identityConfig` with each courier secret given in plaintext replaced by `seal(value)`. */
export function sealCourierSecrets(identityConfig: Record<string, unknown>, seal: (plain: string) => string): Record<string, unknown> {
  const copy = structuredClone(identityConfig);
  for (const path of SECRET_PATHS) {
    let at: Record<string, unknown> = copy;
    for (const key of path.slice(0, -1)) at = obj(at[key]);
    const last = path[path.length - 1];
    if (typeof at[last] === 'string' && at[last] !== '') at[last] = seal(at[last] as string);
  }
  return copy;
}

/** Why the courier settings of a config being written cannot be used, or null. */
export function courierConfigProblem(identityConfig: unknown, open: (stored: string) => string): string | null {
  try {
    const settings = readCourierSettings(identityConfig, open);
    return typeof settings === 'string' ? settings : null;
  } catch (err) {
    return `services.identity.config.courier: ${(err as Error).message}.`;
  }
}
