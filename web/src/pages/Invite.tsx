import { api } from '../api';
import { useAction, useLoad } from '../hooks';
import { navigate } from '../router';
import { useSession, useWorkspace } from '../session';
import { ErrorMessage } from '../components/Dialog';

export default function InvitePage({ token }: { token: string }) {
  const { user } = useSession();
  const { reload } = useWorkspace();
  const invite = useLoad(() => api.invite(token), [token]);
  const { busy, error, run } = useAction();
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
          {invite.data.email !== user?.email && (
            <p className="notice">
              The invitation was sent to {invite.data.email}; you are signed in as {user?.email}. Accepting adds {user?.email} to the workspace.
            </p>
          )}
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
        </div>
      )}
    </section>
  );
}
