import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { api, type Role, type Workspace } from '../api';
import { Link, navigate, useLocation } from '../router';
import { useSession, useWorkspace, WorkspaceContext } from '../session';
import { Dialog, ErrorMessage, FormActions } from './Dialog';
import { useAction } from '../hooks';

export const LAST_WS = 'gatehouse.lastWorkspace';

/** The frame around every signed-in page: the workspace menu (top left), navigation, the account menu. */
export function Shell({ ws, children }: { ws?: string; children: React.ReactNode }) {
  const { user } = useSession();
  const [workspaces, setWorkspaces] = useState<Workspace[] | null>(null);
  // The role is kept with the workspace it was read for: another workspace's role never shows.
  const [roleOf, setRoleOf] = useState<{ ws: string; role: Role | null } | null>(null);
  const role = roleOf && roleOf.ws === ws ? roleOf.role : null;
  // Bumped by reload(), so the person's role is read again too (after they change their own).
  const [revision, setRevision] = useState(0);

  const loadWorkspaces = useCallback(async () => {
    try {
      setWorkspaces(await api.workspaces());
    } catch {
      setWorkspaces([]);
    }
  }, []);
  useEffect(() => {
    void loadWorkspaces();
  }, [loadWorkspaces]);
  const reload = useCallback(async () => {
    setRevision((r) => r + 1);
    await loadWorkspaces();
  }, [loadWorkspaces]);

  useEffect(() => {
    if (!ws || !user) return;
    localStorage.setItem(LAST_WS, ws);
    let live = true;
    api.members(ws).then(
      (m) => live && setRoleOf({ ws, role: m.find((x) => x.id === user.id)?.role ?? null }),
      () => live && setRoleOf({ ws, role: null }),
    );
    return () => {
      live = false;
    };
  }, [ws, user, revision]);

  const current = workspaces?.find((w) => w.id === ws) ?? null;

  // After a navigation inside the app, move focus to the new content (as a page load would), so
  // keyboard and screen reader users start at the top of the new screen.
  const { path } = useLocation();
  const firstPath = useRef(path);
  useEffect(() => {
    if (path === firstPath.current) return;
    firstPath.current = '';
    const main = document.getElementById('main');
    if (main && !main.contains(document.activeElement)) main.focus();
  }, [path]);

  return (
    <WorkspaceContext.Provider value={{ workspaces, current, role, reload }}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-left">
          <Link to="/" className="brand" aria-label="Gatehouse home">
            <svg viewBox="0 0 32 32" width="26" height="26" aria-hidden="true">
              <rect width="32" height="32" rx="8" fill="currentColor" />
              <path d="M9 24V13l7-5 7 5v11h-5v-6h-4v6z" fill="#fff" />
            </svg>
          </Link>
          <WorkspaceMenu workspaces={workspaces} current={current} />
          {ws && <WorkspaceNav ws={ws} />}
        </div>
        <AccountMenu />
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </WorkspaceContext.Provider>
  );
}

function WorkspaceNav({ ws }: { ws: string }) {
  const { path } = useLocation();
  const items = [
    { to: `/w/${ws}`, label: 'Projects', active: path === `/w/${ws}` || path.startsWith(`/w/${ws}/projects`) },
    { to: `/w/${ws}/activity`, label: 'Activity', active: path === `/w/${ws}/activity` },
    { to: `/w/${ws}/settings`, label: 'Workspace settings', active: path.startsWith(`/w/${ws}/settings`) },
  ];
  return (
    <nav aria-label="Workspace" className="topnav">
      {items.map((i) => (
        <Link key={i.to} to={i.to} className={i.active ? 'active' : ''} aria-current={i.active ? 'page' : undefined}>
          {i.label}
        </Link>
      ))}
    </nav>
  );
}

/** A disclosure menu: a button that opens a list of workspaces and "Create workspace". */
function WorkspaceMenu({ workspaces, current }: { workspaces: Workspace[] | null; current: Workspace | null }) {
  const [open, setOpen] = useState(false);
  const [creating, setCreating] = useState(false);
  const menuId = useId();
  const ref = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!open) return;
    const onDoc = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setOpen(false);
        button.current?.focus();
      }
    };
    document.addEventListener('mousedown', onDoc);
    document.addEventListener('keydown', onKey);
    ref.current?.querySelector<HTMLElement>('a,button.menu-item')?.focus();
    return () => {
      document.removeEventListener('mousedown', onDoc);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);
  const onMenuKey = (e: React.KeyboardEvent) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    e.preventDefault();
    const items = [...(ref.current?.querySelectorAll<HTMLElement>('.menu a, .menu button') ?? [])];
    const i = items.indexOf(document.activeElement as HTMLElement);
    items[(i + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length]?.focus();
  };
  return (
    <div className="ws-menu" ref={ref}>
      <button ref={button} type="button" className="ws-button" aria-expanded={open} aria-controls={menuId} onClick={() => setOpen((o) => !o)}>
        <span className="ws-label">Workspace</span>
        <span className="ws-name">{current?.name ?? 'Choose a workspace'}</span>
        <span aria-hidden="true" className="chev">
          ▾
        </span>
      </button>
      {open && (
        <div id={menuId} className="menu" onKeyDown={onMenuKey}>
          <ul aria-label="Your workspaces">
            {(workspaces ?? []).map((w) => (
              <li key={w.id}>
                <Link to={`/w/${w.id}`} aria-current={w.id === current?.id ? 'true' : undefined} onClick={() => setOpen(false)}>
                  {w.name}
                  {w.id === current?.id && <span className="sr-only"> (current)</span>}
                </Link>
              </li>
            ))}
          </ul>
          <button
            type="button"
            className="menu-item"
            onClick={() => {
              setOpen(false);
              setCreating(true);
            }}
          >
            + Create workspace
          </button>
        </div>
      )}
      {creating && <CreateWorkspaceDialog onClose={() => setCreating(false)} />}
    </div>
  );
}

export function CreateWorkspaceDialog({ onClose }: { onClose(): void }) {
  const [name, setName] = useState('');
  const { busy, error, run } = useAction();
  const id = useId();
  const { reload } = useWorkspace();
  return (
    <Dialog title="Create a workspace" onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const ws = await run(() => api.createWorkspace(name));
          if (ws) {
            await reload();
            onClose();
            navigate(`/w/${ws.id}`);
          }
        }}
      >
        <div className="field">
          <label htmlFor={id}>Workspace name</label>
          <input id={id} value={name} onChange={(e) => setName(e.target.value)} required maxLength={256} autoFocus placeholder="Acme Inc." />
        </div>
        <ErrorMessage>{error}</ErrorMessage>
        <FormActions onCancel={onClose} busy={busy} label="Create workspace" busyLabel="Creating…" />
      </form>
    </Dialog>
  );
}


function AccountMenu() {
  const { user, signedOut } = useSession();
  const { busy, run } = useAction();
  return (
    <div className="account">
      <Link to="/account" className="account-link" aria-label={`Account settings for ${user?.email}`}>
        <span className="avatar" aria-hidden="true">
          {(user?.name || user?.email || '?').slice(0, 1).toUpperCase()}
        </span>
        <span className="account-email">{user?.email}</span>
      </Link>
      <button
        type="button"
        className="btn ghost"
        disabled={busy}
        onClick={async () => {
          await run(() => api.signOut());
          signedOut();
        }}
      >
        Sign out
      </button>
    </div>
  );
}
