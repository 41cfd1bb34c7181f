import { bearer, type Tenant, type TestContext } from '../helpers/context.js';

/** A document-sharing model in OPL, the running example of the permission tests. */
export const DOCS_OPL = `
import { Namespace, SubjectSet, Context } from "@ory/keto-namespace-types"

class User implements Namespace {}

class Group implements Namespace {
  related: {
    members: (User | SubjectSet<Group, "members">)[]
  }
}

class Folder implements Namespace {
  related: {
    parents: Folder[]
    viewers: (User | SubjectSet<Group, "members">)[]
    owners: User[]
  }
  permits = {
    view: (ctx: Context): boolean =>
      this.related.viewers.includes(ctx.subject) ||
      this.related.owners.includes(ctx.subject) ||
      this.related.parents.traverse((p) => p.permits.view(ctx)),
  }
}

class Document implements Namespace {
  related: {
    parents: Folder[]
    viewers: (User | SubjectSet<Group, "members">)[]
    editors: User[]
    owners: User[]
    banned: User[]
  }

  // Comments are allowed anywhere.
  permits = {
    view: (ctx: Context): boolean =>
      (this.related.viewers.includes(ctx.subject) ||
        this.permits.edit(ctx) ||
        this.related.parents.traverse((p) => p.permits.view(ctx))) &&
      !this.related.banned.includes(ctx.subject),
    edit: (ctx: Context): boolean => this.related.editors.includes(ctx.subject) || this.related.owners.includes(ctx.subject),
    share: (ctx: Context) => this.permits.edit(ctx) && this.related.owners.includes(ctx.subject),
  }
}
`;

/** Replaces the project's permission config through the management API, as an operator would. */
export async function setPermissionConfig(ctx: TestContext, t: Tenant, config: Record<string, unknown>): Promise<void> {
  const res = await ctx.app.inject({
    method: 'PATCH',
    url: `/projects/${t.projectId}`,
    headers: bearer(t.workspaceKey),
    payload: [{ op: 'replace', path: '/services/permission/config', value: config }],
  });
  if (res.statusCode !== 200) throw new Error(`config update failed: ${res.statusCode} ${res.body}`);
}

export const legacyConfig = (...names: string[]) => ({ namespaces: names.map((name, id) => ({ id, name })), limit: { max_read_depth: 5 } });
export const oplConfig = (opl: string, extra: Record<string, unknown> = {}) => ({ namespaces: { location: `base64://${Buffer.from(opl).toString('base64')}` }, limit: { max_read_depth: 5 }, ...extra });
