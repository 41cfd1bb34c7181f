import { api } from '../api';
import { useAction, useLoad } from '../hooks';
import { navigate } from '../router';
import { useSession, useWorkspace } from '../session';
import { ErrorMessage } from '../components/Dialog';

/** Emails compare without regard to case, as the server compares them. */
const sameEmail = (a: string | undefined, b: string | undefined) => !!a && !!b && a.toLowerCase() === b.toLowerCase();

export default function InvitePage({ token }: { token: string }) {
  if (!token) {
    return (
      <section className="page narrow">
        <h1>Workspace invitation</h1>
        <p className="error" role="alert">
          This invitation link is incomplete. Open the whole link you were sent (it ends with <span className="mono">#token=…</span>), or ask an owner of the workspace for a new one.
        </p>
      </section>
    );
  }
  return <Invitation token={token} />;
}

function Invitation({ token }: { token: string }) {
  const { user, signedOut } = useSession();
  const { reload } = useWorkspace();
  const invite = useLoad(() => api.invite(token), [token]);
  const { busy, error, run } = useAction();
  const signOut = useAction();
  const forSomeoneElse = !!invite.data && !sameEmail(invite.data.email, user?.email);
  return (
    <section className="page narrow">
      <h1>Workspace invitation</h1>
      {invite.loading && <p role="status">Loading the invitation…</p>}
      <ErrorMessage>{invite.error}</ErrorMessage>
      {invite.data && (
        <div className="card">
          <p>
            You have been invited to join <strong>{invite.data.workspace_name}</strong> as <strong>{invite.data.role}</strong>.
          </p>
          {forSomeoneElse ? (
            <>
              {/* Only the invited person can accept (the server answers 403 to anyone else): say so, and offer the way there. */}
              <p className="notice">
                This invitation is for <strong>{invite.data.email}</strong>, and you are signed in as <strong>{user?.email}</strong>. Only {invite.data.email} can accept it: sign out, then sign in or create an account with that email.
              </p>
              <ErrorMessage>{signOut.error}</ErrorMessage>
              <div className="actions start">
                <button
                  type="button"
                  className="btn primary"
                  disabled={signOut.busy}
                  onClick={async () => {
                    // Signed out on /invite, the console goes on to the sign-up form with this link as `next`, the email filled in.
                    if (await signOut.run(async () => (await api.signOut(), true))) signedOut();
                  }}
                >
                  {signOut.busy ? 'Signing out…' : `Sign out and continue as ${invite.data.email}`}
                </button>
                <button type="button" className="btn" onClick={() => navigate('/')}>
                  Not now
                </button>
              </div>
            </>
          ) : (
            <>
              <ErrorMessage>{error}</ErrorMessage>
              <div className="actions start">
                <button
                  type="button"
                  className="btn primary"
                  disabled={busy}
                  onClick={async () => {
                    const res = await run(() => api.acceptInvite(token));
                    if (res) {
                      await reload();
                      navigate(`/w/${res.workspace_id}`, { replace: true });
                    }
                  }}
                >
                  {busy ? 'Joining…' : `Join ${invite.data.workspace_name}`}
                </button>
                <button type="button" className="btn" onClick={() => navigate('/')}>
                  Not now
                </button>
              </div>
            </>
          )}
        </div>
      )}
    </section>
  );
}
