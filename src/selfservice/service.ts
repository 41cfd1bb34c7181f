import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { SlidingWindowLimiter } from '../platform/rate-limit.js';
import type { CourierPort, IdentityPort, SchemaPort, SecondFactorPort, SessionPort, UsagePort, WebAuthnPort } from './ports.js';
import { FlowSecrets } from './secrets.js';

export interface SelfServiceDeps {
  db: Kysely<Database>;
  /** `secret`: the server secret (HMAC key for CSRF tokens, codes, logout tokens, throttle keys). */
  config: { secret: string };
  identities: IdentityPort;
  sessions: SessionPort;
  courier: CourierPort;
  schemas: SchemaPort;
  usage: UsagePort;
  secondFactors: SecondFactorPort;
  webauthn: WebAuthnPort;
}

/**
 * What the self-service flows of a project's frontend API (Ory Kratos's registration, login, settings,
 * recovery, verification and logout, wire-compatible with @ory/client's FrontendApi) share across
 * requests: the identity core they drive, the throttle, the flow secrets and the clock. The flows
 * themselves are one module each (`login.ts`, `registration.ts`, ...) over `flow-kit.ts`; the routes
 * build a `FlowContext` of this and the request and call them.
 */
export class SelfService {
  readonly db: Kysely<Database>;
  readonly identities: IdentityPort;
  readonly sessions: SessionPort;
  readonly courier: CourierPort;
  readonly schemas: SchemaPort;
  readonly usage: UsagePort;
  readonly secondFactors: SecondFactorPort;
  readonly webauthn: WebAuthnPort;
  readonly throttle: SlidingWindowLimiter;
  readonly secrets: FlowSecrets;
  /** The clock (ms since epoch). Tests replace it to move time without sleeping. */
  now: () => number = () => Date.now();

  constructor(d: SelfServiceDeps) {
    this.db = d.db;
    this.identities = d.identities;
    this.sessions = d.sessions;
    this.courier = d.courier;
    this.schemas = d.schemas;
    this.usage = d.usage;
    this.secondFactors = d.secondFactors;
    this.webauthn = d.webauthn;
    this.throttle = new SlidingWindowLimiter(d.db);
    this.secrets = new FlowSecrets(d.config.secret);
  }
}
