import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Config } from './platform/config/config.js';
import { openStore, type Store } from './platform/db/database.js';
import type { Database } from './database.js';
import { createNotifier, type Notifier } from './platform/db/notifier.js';
import { migrateToLatest } from './platform/db/migrate.js';
import { ConsoleSessions } from './console/session-service.js';
import { Metrics } from './platform/http/metrics.js';
import { KeyService } from './keys/key-service.js';
import { Quotas } from './platform/quota.js';
import { ProjectResolver } from './tenancy/project-resolver.js';
import { permissionConfigProblem } from './permissions/model.js';
import { TenancyService } from './tenancy/tenancy-service.js';
import { SchemaService } from './identity/schemas.js';
import { IdentityService } from './identity/identity-service.js';
import { SessionService } from './identity/session-service.js';
import { CourierService } from './identity/courier.js';
import { courierConfigProblem, sealCourierSecrets } from './identity/courier-config.js';
import { templatesProblem } from './identity/courier-templates.js';
import { CourierWorker } from './identity/courier-worker.js';
import { parseAddressRanges } from './platform/net/cidr.js';
import { openConfigSecret, sealConfigSecret } from './platform/crypto.js';
import { SecondFactors } from './identity/second-factors.js';
import { WebAuthnKeys } from './identity/webauthn-keys.js';
import { SessionTokenizer, tokenizerConfigProblem } from './identity/tokenizer.js';
import { SelfService } from './selfservice/service.js';
import { OAuth2Service } from './oauth2/service.js';
import { SESSION_TOKEN_SET } from './oauth2/jwks.js';
import { UserKeyService } from './user-keys/user-key-service.js';
import { DerivedTokens } from './user-keys/derived.js';
import { UsageCounters } from './usage/usage-counters.js';
import { AuditLog } from './audit/audit-log.js';

/**
 * The typed registry that wires the app (no DI container). Modules take only what they
 * use, e.g. `Pick<Registry, 'db' | 'keys'>`.
 */
export interface Registry {
  config: Config;
  store: Store<Database>;
  db: Kysely<Database>;
  notifier: Notifier;
  keys: KeyService;
  /** Call quotas shared by all nodes: per-key rate limits. */
  quotas: Quotas;
  projects: ProjectResolver;
  tenancy: TenancyService;
  consoleSessions: ConsoleSessions;
  metrics: Metrics;
  identities: IdentityService;
  sessions: SessionService;
  /** `whoami?tokenize_as`: sessions as JWTs signed with the project's tokenizer keys. */
  tokenizer: SessionTokenizer;
  courier: CourierService;
  /** Identities' second factors (TOTP, lookup codes): sealed seeds, hashed codes. */
  secondFactors: SecondFactors;
  /** Identities' WebAuthn keys: security keys (second factor) and passkeys (first factor). */
  webauthn: WebAuthnKeys;
  schemas: SchemaService;
  selfservice: SelfService;
  oauth2: OAuth2Service;
  /** Keys a project issues to its own users (Ory's ApiKeysApi), and their verification. */
  userKeys: UserKeyService;
  derivedTokens: DerivedTokens;
  audit: AuditLog;
  /** Hourly usage counters: the console's charts and per-key use. */
  usage: UsageCounters;
  close(): Promise<void>;
}

/** Opens the store, migrates it (unless told not to) and builds every service. */
/** The planes' own checks of a config write, beyond the types the management plane checks. */
function planeConfigProblem(secret: string, plane: string, config: unknown): string | null {
  if (plane === 'permission') return permissionConfigProblem(config);
  if (plane === 'identity') return tokenizerConfigProblem(config) ?? courierConfigProblem(config, (v) => openConfigSecret(secret, v)) ?? templatesProblem(config);
  return null;
}

export async function createRegistry(config: Config, opts: { migrate?: boolean; log?: Pick<FastifyBaseLogger, 'error' | 'warn'> } = {}): Promise<Registry> {
  const store = openStore<Database>(config.databaseUrl);
  if (opts.migrate !== false) await migrateToLatest(store);
  const onError = (err: unknown) => opts.log?.error({ err }, 'background task failed');
  const notifier = createNotifier(store, onError);
  const keys = new KeyService({
    db: store.db, notifier, secret: config.secret, cacheTtlMs: config.keyCacheTtlMs, lastUsedFlushMs: config.lastUsedFlushMs, onError,
    // A key's first use from an address, for its workspace's audit log.
    onEvent: (e) => void audit.record({ workspaceId: e.key.workspaceId, projectId: e.key.projectId, event: 'api_key.new_client_address', actor: { kind: 'api_key', id: e.key.id, name: e.key.name }, clientAddress: e.address, target: { type: 'api_key', id: e.key.id, name: e.key.name } }),
  });
  const quotas = new Quotas(store.db, { onError });
  const projects = new ProjectResolver(store.db, notifier);
  const schemas = new SchemaService();
  const audit = new AuditLog({ db: store.db, retentionMs: config.auditRetentionMs, onError });
  const usage = new UsageCounters({ db: store.db, flushMs: config.lastUsedFlushMs, onError });
  const identities = new IdentityService({ db: store.db, schemas, config, cacheReads: true, notifier });
  const userKeys = new UserKeyService({ db: store.db, notifier, quotas, secret: config.secret, cacheTtlMs: config.keyCacheTtlMs, lastUsedFlushMs: config.lastUsedFlushMs, onError });
  const derivedTokens = new DerivedTokens({ keys: userKeys, secret: config.secret, issuerOf: (_id, slug) => `https://${slug}.projects.${config.baseDomain}` });
  // Delivers the messages of projects whose courier sends (SMTP or HTTP); see courier-worker.ts.
  const allow = parseAddressRanges(config.outboundAllowNetworks ?? []);
  if (typeof allow === 'string') throw new Error(`OUTBOUND_ALLOW_NETWORKS: ${allow}`);
  const courierWorker = config.courierWorker === false ? null : new CourierWorker({
    db: store.db,
    dialect: store.dialect,
    configOf: async (id) => (await projects.byId(id))?.services.identity.config ?? null,
    open: (v) => openConfigSecret(config.secret, v),
    allow: allow.cidrs.length > 0 ? allow : null,
    pollMs: config.courierPollMs ?? 1000,
    retryBackoffMs: config.courierRetryBackoffMs ?? 5000,
    onError,
  });
  const registry: Registry = {
    config,
    store,
    db: store.db,
    notifier,
    keys,
    quotas,
    projects,
    tenancy: new TenancyService({
      db: store.db, keys, notifier, config,
      checkConfig: (plane, c) => planeConfigProblem(config.secret, plane, c),
      sealConfig: (plane, c) => (plane === 'identity' ? sealCourierSecrets(c, (v) => sealConfigSecret(config.secret, v)) : c),
    }),
    consoleSessions: new ConsoleSessions({ db: store.db, secret: config.secret }),
    metrics: new Metrics(),
    identities,
    sessions: new SessionService({ db: store.db, secret: config.secret, identities, cacheWhoami: true }),
    courier: new CourierService(store.db, () => courierWorker?.nudge()),
    secondFactors: new SecondFactors({ db: store.db, secret: config.secret, identities }),
    webauthn: new WebAuthnKeys({ db: store.db, identities }),
    tokenizer: new SessionTokenizer({ signingKey: (projectId) => registry.oauth2.jwks.signingKey(projectId, SESSION_TOKEN_SET, 'ES256') }),
    schemas,
    selfservice: undefined as unknown as SelfService, // set below: it reads the identity services
    oauth2: new OAuth2Service({ db: store.db, secret: config.secret, sessions: () => registry.sessions }),
    userKeys,
    derivedTokens,
    audit,
    usage,
    async close() {
      await courierWorker?.stop();
      audit.close();
      await usage.close();
      await keys.close();
      await userKeys.close();
      quotas.close();
      await notifier.close();
      await store.close();
    },
  };
  registry.selfservice = new SelfService(registry);
  courierWorker?.start();
  return registry;
}
