import type { FastifyRequest } from 'fastify';
import type { ManagementPrincipal, Principal } from '../platform/auth/principal.js';
import type { ResolvedProject } from '../tenancy/project-resolver.js';

export type ProjectKeyPrincipal = Extract<Principal, { kind: 'project-key' }>;
export type ConsoleUserPrincipal = Extract<Principal, { kind: 'console-user' }>;

/** Every project-plane request: the project its host or `/p/{slug}` resolved to (404 before any handler otherwise). */
export interface ProjectContext {
  project: ResolvedProject;
}

/** A request of the project plane, for helpers that its route handlers call. */
export type ProjectRequest = FastifyRequest & ProjectContext;

declare module '../platform/http/route-table.js' {
  // What each plane's credential hook guarantees its handlers (see the plane plugins beside this file).
  interface RequestContexts {
    'project:none': ProjectContext;
    /** A project key of the project, or the console session of a member of its workspace. */
    'project:project': ProjectContext & { principal: ProjectKeyPrincipal | ConsoleUserPrincipal };
    'management:management': { principal: ManagementPrincipal };
    'management:console': { principal: ConsoleUserPrincipal };
    'console:console': { principal: ConsoleUserPrincipal };
  }
}
