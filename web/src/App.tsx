import { useCallback, useEffect, useState } from 'react';
import { lazyComponent } from './lazy';
import { api, setCsrfToken, setSignedOutHandler, type User } from './api';
import { Link, match, navigate, RouterProvider, useLocation } from './router';
import { SessionContext } from './session';
import { Shell } from './components/Shell';
import { parseInviteHash } from './invite-link';
import { isTab, PROJECT_DATA_TABS, PROJECT_TABS, WORKSPACE_TABS } from './settings-tabs';

// The session check starts as soon as the script runs, not after the first render, and the small
// sign-in chunk downloads beside it: the first screen waits for one round trip, not three.
const sessionAtStart = api.session();
sessionAtStart.catch(() => {});
// It is rendered without Suspense once loaded, so React's reveal throttle does not delay it.
let Auth: typeof import('./pages/Auth') | null = null;
const authChunk = import('./pages/Auth').then((m) => (Auth = m));

// Each screen is its own chunk: the sign-in page never downloads the settings screens.
const InvitePage = lazyComponent(() => import('./pages/Invite'), <Loading />);
const Home = lazyComponent(() => import('./pages/Home'), <Loading />);
const Projects = lazyComponent(() => import('./pages/Projects'), <Loading />);
const WorkspaceSettings = lazyComponent(() => import('./pages/WorkspaceSettings'), <Loading />);
const ProjectPage = lazyComponent(() => import('./pages/Project'), <Loading />);
const Account = lazyComponent(() => import('./pages/Account'), <Loading />);
const Activity = lazyComponent(() => import('./pages/Activity'), <Loading />);
// A deep link to a project downloads its screen beside the session check, not after it.
if (/^\/w\/[^/]+\/projects\/[^/]+/.test(location.pathname)) void ProjectPage.preload();

export function App() {
  return (
    <RouterProvider>
      <Root />
    </RouterProvider>
  );
}

function Loading() {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>Loading…</span>
    </div>
  );
}

function Root() {
  const { path, search } = useLocation();
  const [user, setUser] = useState<User | null | undefined>(undefined);

  const signedIn = useCallback((u: User, csrf: string) => {
    setCsrfToken(csrf);
    setUser(u);
  }, []);
  const signedOut = useCallback(() => {
    setCsrfToken('');
    setUser(null);
  }, []);

  useEffect(() => {
    setSignedOutHandler(signedOut);
    const showSignIn = () => authChunk.then(signedOut, signedOut);
    sessionAtStart.then((s) => (s ? signedIn(s.user, s.csrf_token) : showSignIn()), showSignIn);
  }, [signedIn, signedOut]);

  useEffect(() => {
    if (user === undefined) return;
    const isPublic = path === '/sign-in' || path === '/sign-up';
    if (!user && !isPublic) {
      // The invitation token travels in the fragment (never sent to the server, so never logged).
      const next = path + search + (path === '/invite' ? location.hash : '');
      const target = path === '/invite' ? '/sign-up' : '/sign-in';
      navigate(`${target}${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}`, { replace: true });
    } else if (user && isPublic) {
      const next = new URLSearchParams(search).get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    }
  }, [user, path, search]);

  // Each screen has its own title: it is what a screen reader announces after a navigation.
  const route = routeFor(path);
  useEffect(() => {
    document.title = route.title ? `${route.title} · Gatehouse console` : 'Gatehouse console';
  }, [route.title]);

  if (user === undefined) return <Loading />;

  if (!user) {
    let page: React.ReactNode;
    if (!Auth) return <Loading />;
    if (path === '/sign-in') page = <Auth.SignIn />;
    else if (path === '/sign-up') page = <Auth.SignUp />;
    else return <Loading />;
    return <SessionContext.Provider value={{ user: null, signedIn, signedOut }}>{page}</SessionContext.Provider>;
  }

  if (route.public) return <Loading />;
  return (
    <SessionContext.Provider value={{ user, signedIn, signedOut }}>
      <Shell ws={route.ws}>
        {route.page()}
      </Shell>
    </SessionContext.Provider>
  );
}

interface Route {
  /** The document title ('' for the console's own name). */
  title: string;
  /** The workspace the page belongs to (the shell shows its navigation). */
  ws?: string;
  /** Sign-in and sign-up: shown only when signed out. */
  public?: boolean;
  page(): React.ReactNode;
}

const notFound = (ws?: string, back?: { to: string; label: string }): Route => ({ title: 'Page not found', ws, page: () => <NotFound back={back} /> });

/** What a path shows when signed in. A settings tab that does not exist is not found, like any other unknown address. */
function routeFor(path: string): Route {
  let params: Record<string, string> | null;
  if (path === '/sign-in') return { title: 'Sign in', public: true, page: () => null };
  if (path === '/sign-up') return { title: 'Create your account', public: true, page: () => null };
  if (path === '/invite') return { title: 'Workspace invitation', page: () => <InvitePage token={parseInviteHash(location.hash).token} /> };
  if (path === '/') return { title: '', page: () => <Home /> };
  if (path === '/account') return { title: 'Account', page: () => <Account /> };
  if ((params = match('/w/:ws', path))) {
    const { ws } = params;
    return { title: 'Projects', ws, page: () => <Projects ws={ws} /> };
  }
  if ((params = match('/w/:ws/activity', path))) {
    const { ws } = params;
    return { title: 'Activity', ws, page: () => <Activity ws={ws} /> };
  }
  if ((params = match('/w/:ws/settings/:tab', path) ?? match('/w/:ws/settings', path))) {
    const { ws, tab = 'general' } = params;
    if (!isTab(WORKSPACE_TABS, tab)) return notFound(ws, { to: `/w/${ws}/settings`, label: 'Go to the workspace settings' });
    return { title: 'Workspace settings', ws, page: () => <WorkspaceSettings ws={ws} tab={tab} /> };
  }
  if ((params = match('/w/:ws/projects/:project/users/:identity', path))) {
    const { ws, project, identity } = params;
    return { title: 'User', ws, page: () => <ProjectPage ws={ws} projectId={project} tab="users" identityId={identity} /> };
  }
  if ((params = match('/w/:ws/projects/:project/:tab', path) ?? match('/w/:ws/projects/:project', path))) {
    const { ws, project, tab = 'general' } = params;
    const data = PROJECT_DATA_TABS.find((t) => t.id === tab);
    if (data) return { title: data.label, ws, page: () => <ProjectPage ws={ws} projectId={project} tab={tab} /> };
    if (!isTab(PROJECT_TABS, tab)) return notFound(ws, { to: `/w/${ws}/projects/${project}`, label: 'Go to the project settings' });
    return { title: 'Project settings', ws, page: () => <ProjectPage ws={ws} projectId={project} tab={tab} /> };
  }
  return notFound();
}

function NotFound({ back }: { back?: { to: string; label: string } }) {
  return (
    <section className="page">
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. {back ? <Link to={back.to}>{back.label}</Link> : <a href="/">Go to your workspaces</a>}.
      </p>
    </section>
  );
}
