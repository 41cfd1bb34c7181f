import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { ClientService } from './clients.js';
import { JwkService } from './jwks.js';
import { TokenService } from './tokens.js';
import { FlowStore } from './flow-store.js';
import { AuthorizeService, type SessionLookup } from './authorize.js';
import { ChallengeService } from './challenges.js';
import { ClientAuthenticator, ClientFailureLimit, type FailureLimitOptions } from './client-auth.js';
import { LogoutService } from './logout.js';
import { LogoutStore } from './logout-store.js';
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

/**
 * The OAuth2 plane (Hydra-compatible): clients, keys, tokens, login/consent/device/logout flows and
 * their challenges, JWT grant trust, client authentication with its failure limit.
 */
export class OAuth2Service {
  readonly clients: ClientService;
  readonly jwks: JwkService;
  readonly tokens: TokenService;
  readonly failures: ClientFailureLimit;
  readonly auth: ClientAuthenticator;
  readonly flows: FlowStore;
  readonly authorize: AuthorizeService;
  readonly challenges: ChallengeService;
  readonly logouts: LogoutStore;
  readonly logout: LogoutService;
  readonly sessions: OAuth2SessionStore;
  readonly trust: TrustService;
  readonly devices: DeviceCodeStore;

  constructor(o: OAuth2ServiceOptions) {
    const { db, secret } = o;
    this.clients = new ClientService({ db, secret });
    this.jwks = new JwkService({ db, secret });
    this.failures = new ClientFailureLimit(db, o.failureLimit ?? { limit: 10, windowMs: 60_000 });
    this.auth = new ClientAuthenticator({ clients: this.clients, failures: this.failures });
    this.tokens = new TokenService({ db, secret, jwks: this.jwks, failures: this.failures });
    this.sessions = new OAuth2SessionStore({ db, secret });
    this.logouts = new LogoutStore({ db, secret });
    this.logout = new LogoutService({ logouts: this.logouts, clients: this.clients, jwks: this.jwks, store: this.sessions });
    this.trust = new TrustService({ db, secret });
    this.devices = new DeviceCodeStore({ db, secret });
    this.flows = new FlowStore({ db, secret });
    this.authorize = new AuthorizeService({ flows: this.flows, clients: this.clients, store: this.sessions, devices: this.devices, sessions: o.sessions });
    this.challenges = new ChallengeService({ flows: this.flows, logouts: this.logouts, clients: this.clients, store: this.sessions, devices: this.devices, failures: this.failures });
  }
}
