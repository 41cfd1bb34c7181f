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

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Calls a project-plane permission route of tenant `t` with its project key. */
export function projectApi(ctx: TestContext, t: Tenant) {
  const call = async (method: Method, path: string, payload?: unknown, headers: Record<string, string> = {}) => {
    const res = await ctx.app.inject({
      method,
      url: `/p/${t.projectSlug}${path}`,
      headers: { ...bearer(t.projectKey), ...headers },
      payload: payload as never,
    });
    return { status: res.statusCode, body: res.body ? (res.headers['content-type']?.toString().includes('json') ? res.json() : res.body) : undefined };
  };
  const qs = (q: Record<string, string | number | undefined>) =>
    new URLSearchParams(Object.entries(q).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)])).toString();
  return {
    call,
    qs,
    put: (tuple: unknown) => call('PUT', '/admin/relation-tuples', tuple),
    patch: (deltas: unknown) => call('PATCH', '/admin/relation-tuples', deltas),
    del: (q: Record<string, string | number | undefined>) => call('DELETE', `/admin/relation-tuples?${qs(q)}`),
    list: (q: Record<string, string | number | undefined> = {}) => call('GET', `/relation-tuples?${qs(q)}`),
    check: (q: Record<string, string | number | undefined>) => call('GET', `/relation-tuples/check?${qs(q)}`),
    checkOpenapi: (q: Record<string, string | number | undefined>) => call('GET', `/relation-tuples/check/openapi?${qs(q)}`),
    postCheck: (body: unknown, maxDepth?: number) => call('POST', `/relation-tuples/check${maxDepth === undefined ? '' : `?max-depth=${maxDepth}`}`, body),
    postCheckOpenapi: (body: unknown, maxDepth?: number) => call('POST', `/relation-tuples/check/openapi${maxDepth === undefined ? '' : `?max-depth=${maxDepth}`}`, body),
    batch: (tuples: unknown[], maxDepth?: number) => call('POST', `/relation-tuples/batch/check${maxDepth === undefined ? '' : `?max-depth=${maxDepth}`}`, { tuples }),
    expand: (q: Record<string, string | number | undefined>) => call('GET', `/relation-tuples/expand?${qs(q)}`),
    namespaces: () => call('GET', '/namespaces'),
    opl: (src: string) => call('POST', '/opl/syntax/check', src, { 'content-type': 'text/plain' }),
  };
}

/** `ns:obj#rel@subject` in Keto's JSON form; the subject is an id, or `ns:obj#rel` / `ns:obj` for a set. */
export function rt(ns: string, obj: string, rel: string, subject: string) {
  const m = /^([^:#]+):([^#]+)(?:#(.*))?$/.exec(subject);
  return m
    ? { namespace: ns, object: obj, relation: rel, subject_set: { namespace: m[1], object: m[2], relation: m[3] ?? '' } }
    : { namespace: ns, object: obj, relation: rel, subject_id: subject };
}

/** A check query (URL form) for `ns:obj#rel@subject`. */
export function cq(ns: string, obj: string, rel: string, subject: string, extra: Record<string, string | number> = {}): Record<string, string | number> {
  const t = rt(ns, obj, rel, subject);
  return t.subject_set
    ? { namespace: ns, object: obj, relation: rel, 'subject_set.namespace': t.subject_set.namespace, 'subject_set.object': t.subject_set.object, 'subject_set.relation': t.subject_set.relation, ...extra }
    : { namespace: ns, object: obj, relation: rel, subject_id: subject, ...extra };
}

export const insert = (...tuples: ReturnType<typeof rt>[]) => tuples.map((relation_tuple) => ({ action: 'insert', relation_tuple }));
