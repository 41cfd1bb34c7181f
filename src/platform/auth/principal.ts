/**
 * Who a request acts as, resolved once per request before any handler runs. Keys are bound to their
 * workspace or project, never to a person; `ownerId` only records who created the key.
 */
export type Principal =
  | { kind: 'workspace-key'; keyId: string; keyName: string; workspaceId: string; ownerId: string }
  | { kind: 'project-key'; keyId: string; keyName: string; projectId: string; workspaceId: string; ownerId: string }
  | { kind: 'console-user'; userId: string; sessionId: string };

/** A console user or a workspace key: the callers of the management plane. */
export type ManagementPrincipal = Extract<Principal, { kind: 'workspace-key' | 'console-user' }>;
