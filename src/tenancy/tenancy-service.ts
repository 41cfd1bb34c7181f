import type { Kysely } from 'kysely';
import type { Database } from '../platform/db/schema.js';
import type { Notifier } from '../platform/db/notifier.js';
import type { Config } from '../platform/config/config.js';
import type { KeyService } from '../keys/key-service.js';
import { UserService } from './users.js';
import { WorkspaceService } from './workspaces.js';
import { ProjectService } from './projects.js';
import { MemberService } from './members.js';
import { OrganizationService } from './organizations.js';
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
  }) {
    this.users = new UserService(o.db);
    this.workspaces = new WorkspaceService(o.db);
    this.projects = new ProjectService({ db: o.db, notifier: o.notifier, keys: o.keys, baseDomain: o.config.baseDomain, checkConfig: o.checkConfig });
    this.members = new MemberService({ db: o.db, secret: o.config.secret, users: this.users });
    this.organizations = new OrganizationService({ db: o.db, projects: this.projects, notifier: o.notifier });
  }
}
