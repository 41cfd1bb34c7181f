import { useEffect, useId, useState } from 'react';
import { api } from '../api';
import { useAction } from '../hooks';
import { Link, useLocation } from '../router';
import { useSession } from '../session';
import { ErrorMessage } from '../components/Dialog';
import { inviteFromNext } from '../invite-link';

function AuthFrame({ title, subtitle, children }: { title: string; subtitle: string; children: React.ReactNode }) {
  // When the first screen is on the page: measured by the end-to-end test.
  useEffect(() => {
    if (!performance.getEntriesByName('gatehouse:first-screen').length) performance.mark('gatehouse:first-screen');
  }, []);
  return (
    <main className="auth" id="main">
      <div className="auth-card">
        <div className="auth-brand" aria-hidden="true">
          <svg viewBox="0 0 32 32" width="40" height="40">
            <rect width="32" height="32" rx="8" fill="currentColor" />
            <path d="M9 24V13l7-5 7 5v11h-5v-6h-4v6z" fill="#fff" />
          </svg>
          <span>Gatehouse</span>
        </div>
        <h1>{title}</h1>
        <p className="muted">{subtitle}</p>
        {children}
      </div>
    </main>
  );
}

const withNext = (path: string, search: string) => {
  const next = new URLSearchParams(search).get('next');
  return next ? `${path}?next=${encodeURIComponent(next)}` : path;
};

export function SignIn() {
  const { signedIn } = useSession();
  const { search } = useLocation();
  // On the way to an invitation, the invited email is filled in (and can be changed).
  const invite = inviteFromNext(search);
  const [email, setEmail] = useState(invite?.email ?? '');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();
  const emailId = useId();
  const pwId = useId();
  return (
    <AuthFrame title="Sign in to the console" subtitle={invite ? 'You have been invited to a workspace. Sign in (or create an account) to accept.' : 'Manage your workspaces, projects and API keys.'}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const s = await run(() => api.signIn(email, password));
          if (s) signedIn(s.user, s.csrf_token);
        }}
      >
        <div className="field">
          <label htmlFor={emailId}>Email</label>
          <input id={emailId} type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required autoFocus={!invite?.email} />
        </div>
        <div className="field">
          <label htmlFor={pwId}>Password</label>
          <input id={pwId} type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required autoFocus={!!invite?.email} />
        </div>
        <ErrorMessage>{error}</ErrorMessage>
        <button type="submit" className="btn primary block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="auth-alt">
        New here? <Link to={withNext('/sign-up', search)}>Create an account</Link>
      </p>
    </AuthFrame>
  );
}

export function SignUp() {
  const { signedIn } = useSession();
  const { search } = useLocation();
  // On the way to an invitation, the invited email is filled in (and can be changed).
  const invite = inviteFromNext(search);
  const [name, setName] = useState('');
  const [email, setEmail] = useState(invite?.email ?? '');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();
  const nameId = useId();
  const emailId = useId();
  const pwId = useId();
  const pwHint = useId();
  return (
    <AuthFrame title="Create your account" subtitle={invite ? 'You have been invited to a workspace. Create an account (or sign in) to accept.' : 'Start managing identity projects in minutes.'}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const s = await run(() => api.signUp(email, password, name.trim() || undefined));
          if (s) signedIn(s.user, s.csrf_token);
        }}
      >
        <div className="field">
          <label htmlFor={nameId}>Name (optional)</label>
          <input id={nameId} autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} maxLength={256} />
        </div>
        <div className="field">
          <label htmlFor={emailId}>Email</label>
          <input id={emailId} type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required autoFocus={!invite?.email} />
        </div>
        <div className="field">
          <label htmlFor={pwId}>Password</label>
          <input id={pwId} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} required minLength={8} aria-describedby={pwHint} autoFocus={!!invite?.email} />
          <p id={pwHint} className="hint">
            At least 8 characters, not similar to your email, not a common password.
          </p>
        </div>
        <ErrorMessage>{error}</ErrorMessage>
        <button type="submit" className="btn primary block" disabled={busy}>
          {busy ? 'Creating account…' : 'Create account'}
        </button>
      </form>
      <p className="auth-alt">
        Already have an account? <Link to={withNext('/sign-in', search)}>Sign in</Link>
      </p>
    </AuthFrame>
  );
}
