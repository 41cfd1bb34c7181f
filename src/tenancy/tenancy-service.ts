import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { Notifier } from '../platform/db/notifier.js';
import type { Config } from '../platform/config/config.js';
import type { KeyService } from '../keys/key-service.js';
import { UserService } from './user-service.js';
import { WorkspaceService } from './workspace-service.js';
import { ProjectService } from './project-service.js';
import { MemberService } from './member-service.js';
import { OrganizationService } from './organization-service.js';
import type { Plane as ConfigPlane } from './config-check.js';

/** The management plane's business rules, one service per aggregate. */
export class TenancyService {
  readonly users: UserService;
  readonly workspaces: WorkspaceService;
  readonly projects: ProjectService;
  readonly members: MemberService;
  readonly organizations: OrganizationService;

  constructor(o: {
    db: Kysely<Database>;
    keys: KeyService;
    notifier: Notifier;
    config: Pick<Config, 'baseDomain' | 'secret'>;
    checkConfig?: (plane: ConfigPlane, config: unknown) => string | null;
    sealConfig?: (plane: ConfigPlane, config: Record<string, unknown>) => Record<string, unknown>;
  }) {
    this.users = new UserService(o.db);
    this.workspaces = new WorkspaceService(o.db);
    this.projects = new ProjectService({ db: o.db, notifier: o.notifier, keys: o.keys, baseDomain: o.config.baseDomain, checkConfig: o.checkConfig, sealConfig: o.sealConfig });
    this.members = new MemberService({ db: o.db, secret: o.config.secret, users: this.users });
    this.organizations = new OrganizationService({ db: o.db, projects: this.projects, notifier: o.notifier });
  }
}
