import type { Kysely } from 'kysely';
import type { Database } from '../platform/db/schema.js';
import { ClientService } from './clients.js';
import { JwkService } from './jwks.js';
import { TokenService } from './tokens.js';
import { FlowService, type SessionLookup } from './flows.js';
import { FailureLimiter, type FailureLimitOptions } from './rate-limit.js';
import { LogoutService } from './logout.js';
import { OAuth2SessionStore } from './sessions.js';
import { TrustService } from './trust.js';
import { DeviceCodeStore } from './device.js';

export interface OAuth2ServiceOptions {
  db: Kysely<Database>;
  secret: string;
  /** The identity plane's session lookup, resolved lazily (it is wired by another module). */
  sessions?: () => SessionLookup | undefined;
  failureLimit?: FailureLimitOptions;
}

/** The OAuth2 plane (Hydra-compatible): clients, keys, tokens, login/consent flows, device authorizations, logout, JWT grant trust, failure limiting. */
export class OAuth2Service {
  readonly clients: ClientService;
  readonly jwks: JwkService;
  readonly tokens: TokenService;
  readonly flows: FlowService;
  readonly limiter: FailureLimiter;
  readonly logout: LogoutService;
  readonly sessions: OAuth2SessionStore;
  readonly trust: TrustService;
  readonly devices: DeviceCodeStore;

  constructor(o: OAuth2ServiceOptions) {
    this.clients = new ClientService({ db: o.db, secret: o.secret });
    this.jwks = new JwkService({ db: o.db, secret: o.secret });
    this.tokens = new TokenService({ db: o.db, secret: o.secret, jwks: this.jwks });
    this.sessions = new OAuth2SessionStore({ db: o.db, secret: o.secret });
    this.logout = new LogoutService({ db: o.db, secret: o.secret, clients: this.clients, jwks: this.jwks, store: this.sessions });
    this.trust = new TrustService({ db: o.db, secret: o.secret });
    this.limiter = new FailureLimiter(o.db, o.failureLimit ?? { limit: 10, windowMs: 60_000 });
    this.devices = new DeviceCodeStore({ db: o.db, secret: o.secret });
    this.flows = new FlowService({ db: o.db, secret: o.secret, clients: this.clients, store: this.sessions, devices: this.devices, limiter: this.limiter, sessions: o.sessions });
  }
}
