import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { api, setCsrfToken, setSignedOutHandler, type User } from './api';
import { match, navigate, RouterProvider, useLocation } from './router';
import { SessionContext } from './session';
import { Shell } from './components/Shell';

// The session check starts as soon as the script runs, not after the first render, and the small
// sign-in chunk downloads beside it: the first screen waits for one round trip, not three.
const sessionAtStart = api.session();
sessionAtStart.catch(() => {});
// It is rendered without Suspense once loaded, so React's reveal throttle does not delay it.
let Auth: typeof import('./pages/Auth') | null = null;
const authChunk = import('./pages/Auth').then((m) => (Auth = m));

// Each screen is its own chunk: the sign-in page never downloads the settings screens.
const InvitePage = lazy(() => import('./pages/Invite'));
const Home = lazy(() => import('./pages/Home'));
const Projects = lazy(() => import('./pages/Projects'));
const WorkspaceSettings = lazy(() => import('./pages/WorkspaceSettings'));
const ProjectPage = lazy(() => import('./pages/Project'));
const Account = lazy(() => import('./pages/Account'));

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
    sessionAtStart.then(
      (s) => signedIn(s.user, s.csrf_token),
      () => authChunk.then(signedOut, signedOut),
    );
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
  useEffect(() => {
    const t = titleFor(path);
    document.title = t ? `${t} · Gatehouse console` : 'Gatehouse console';
  }, [path]);

  if (user === undefined) return <Loading />;

  let page: React.ReactNode = null;
  let params: Record<string, string> | null;
  if (!user) {
    if (!Auth) return <Loading />;
    if (path === '/sign-in') page = <Auth.SignIn />;
    else if (path === '/sign-up') page = <Auth.SignUp />;
    else return <Loading />;
    return <SessionContext.Provider value={{ user: null, signedIn, signedOut }}>{page}</SessionContext.Provider>;
  }

  let ws: string | undefined;
  if (path === '/invite') page = <InvitePage token={decodeURIComponent(location.hash.slice(1))} />;
  else if (path === '/') page = <Home />;
  else if (path === '/account') page = <Account />;
  else if ((params = match('/w/:ws', path))) {
    ws = params.ws;
    page = <Projects ws={params.ws} />;
  } else if ((params = match('/w/:ws/settings/:tab', path)) || (params = match('/w/:ws/settings', path))) {
    ws = params.ws;
    page = <WorkspaceSettings ws={params.ws} tab={params.tab ?? 'general'} />;
  } else if ((params = match('/w/:ws/projects/:project/:tab', path)) || (params = match('/w/:ws/projects/:project', path))) {
    ws = params.ws;
    page = <ProjectPage ws={params.ws} projectId={params.project} tab={params.tab ?? 'general'} />;
  } else if (path === '/sign-in' || path === '/sign-up') return <Loading />;
  else page = <NotFound />;

  return (
    <SessionContext.Provider value={{ user, signedIn, signedOut }}>
      <Shell ws={ws}>
        <Suspense fallback={<Loading />}>{page}</Suspense>
      </Shell>
    </SessionContext.Provider>
  );
}

function titleFor(path: string): string {
  if (path === '/sign-in') return 'Sign in';
  if (path === '/sign-up') return 'Create your account';
  if (path === '/invite') return 'Workspace invitation';
  if (path === '/account') return 'Account';
  if (/^\/w\/[^/]+\/settings/.test(path)) return 'Workspace settings';
  if (/^\/w\/[^/]+\/projects\//.test(path)) return 'Project settings';
  if (/^\/w\/[^/]+\/?$/.test(path)) return 'Projects';
  return '';
}

function NotFound() {
  return (
    <section className="page">
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <a href="/">Go to your workspaces</a>.
      </p>
    </section>
  );
}
