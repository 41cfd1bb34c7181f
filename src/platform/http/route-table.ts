import type { Static, TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';

/**
 * Where a route is served:
 * - `management`: the Management API on the console host (`api.console.{BASE_DOMAIN}` or the local host).
 * - `project`: a project's API on `{slug}.projects.{BASE_DOMAIN}` or `/p/{slug}`; mounted under `/p/:slug`.
 * - `console`: the web console's own server routes (sign-in, sessions), on the console host.
 * - `system`: health and metrics, on every host.
 */
export type Plane = 'management' | 'project' | 'console' | 'system';

/**
 * Which credential a route accepts. Deny by default: every route names one.
 * - `none`: nobody needs a key (frontend APIs, health). An end-user session may still be read by the handler.
 * - `management`: a workspace API key or a console session; the handler then checks the tenant and role.
 * - `project`: a project API key of the project the request resolved to.
 * - `console`: a console session only (things only a person does, such as accepting an invite).
 */
export type Credential = 'none' | 'management' | 'project' | 'console';

/**
 * The permission a route needs from a scoped API key: `{resource}:{read|write}`, where `write`
 * implies `read`. Keys without scopes (every key made before scopes existed) may do everything
 * their plane allows; sessions are never scoped. The resources are the planes' (src/planes/scopes.ts).
 */
export type Scope = `${string}:${'read' | 'write'}`;

export interface RouteSchemas {
  body?: TSchema;
  querystring?: TSchema;
  params?: TSchema;
  headers?: TSchema;
  response?: Record<number, TSchema>;
}

type In<S, K extends keyof RouteSchemas> = S extends { [P in K]: infer T extends TSchema } ? Static<T> : unknown;

export type RouteRequest<S extends RouteSchemas> = FastifyRequest<{
  Body: In<S, 'body'>;
  Querystring: In<S, 'querystring'>;
  Params: In<S, 'params'> & Record<string, string>;
  Headers: In<S, 'headers'>;
}>;

/**
 * What a plane's credential hook has put on the request by the time a handler runs, by
 * `plane:credential` (`'project:project'` → the project and the project key's principal). Filled
 * in by the planes (`src/planes/contexts.ts`) through declaration merging, as Fastify's own types
 * are, so this ground-floor module names no domain type.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface RequestContexts {}

/** The decoration a route's handler can rely on: non-optional, set before the handler runs. */
export type ContextOf<P extends Plane, C extends Credential> = `${P}:${C}` extends keyof RequestContexts ? RequestContexts[`${P}:${C}`] : unknown;

export interface RouteSpec<S extends RouteSchemas = RouteSchemas, P extends Plane = Plane, C extends Credential = Credential> {
  method: HTTPMethods;
  /** Path within its plane, in Fastify syntax (`/projects/:project_id`). */
  url: string;
  plane: P;
  credential: C;
  /** What a scoped key needs to call this route; every route with a `management` or `project` credential names one. */
  scope?: Scope;
  /** The SDK operation this implements, for documentation and the SDK coverage test. */
  operation?: string;
  schema?: S;
  /** Overrides the server-wide body limit (bytes). */
  bodyLimit?: number;
  handler(req: RouteRequest<S> & ContextOf<P, C>, reply: FastifyReply): Promise<unknown> | unknown;
}

/** Declares a route with its request types inferred from its schemas, its plane and its credential. */
export function defineRoute<S extends RouteSchemas, P extends Plane, C extends Credential>(spec: RouteSpec<S, P, C>): RouteSpec {
  return spec as unknown as RouteSpec;
}

/** The path a route is reachable at on the local host: project routes live under `/p/:slug`. */
export function mountedUrl(spec: Pick<RouteSpec, 'plane' | 'url'>): string {
  return spec.plane === 'project' ? `/p/:slug${spec.url === '/' ? '' : spec.url}` : spec.url;
}
