import { createContext, useContext } from 'react';
import type { Role, User, Workspace } from './api';

export const SessionContext = createContext<{ user: User | null; signedIn(u: User, csrf: string): void; signedOut(): void }>({
  user: null,
  signedIn: () => {},
  signedOut: () => {},
});
export const useSession = () => useContext(SessionContext);

/** The workspace the page is in, the person's role there, and every workspace they belong to. */
export interface WorkspaceState {
  workspaces: Workspace[] | null;
  current: Workspace | null;
  role: Role | null;
  reload(): Promise<void>;
}
export const WorkspaceContext = createContext<WorkspaceState>({ workspaces: null, current: null, role: null, reload: async () => {} });
export const useWorkspace = () => useContext(WorkspaceContext);
