import { scoped } from '../platform/db/scoped.js';
import { flowConfig, type FlowConfig } from './config.js';
import type { RequestInfo } from './context.js';
import { FlowStore } from './flow-store.js';
import type { SelfService } from './service.js';

/**
 * One request to the flows: the domain's shared services, the request facts, and the project's flow
 * config and flow store. Tenancy: every flow it reads or writes is `ri.project`'s.
 */
export class FlowContext {
  readonly flows: FlowStore;
  private config: FlowConfig | undefined;

  constructor(
    readonly ss: SelfService,
    readonly ri: RequestInfo,
  ) {
    this.flows = new FlowStore(scoped(ss.db, ri.project.id));
  }

  /** The project's flow config, read once per request (a config change applies to the next one). */
  get cfg(): FlowConfig {
    return (this.config ??= flowConfig(this.ri.project));
  }

  get projectId(): string {
    return this.ri.project.id;
  }

  /** The project's identity config as stored, for the identity core (schemas, password policy). */
  get identityConfig(): Record<string, unknown> {
    return this.ri.project.services.identity.config;
  }

  now(): number {
    return this.ss.now();
  }

  iso(ms = this.now()): string {
    return new Date(ms).toISOString();
  }
}

