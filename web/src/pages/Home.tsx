import { useEffect, useState } from 'react';
import { navigate } from '../router';
import { useWorkspace } from '../session';
import { CreateWorkspaceDialog, LAST_WS } from '../components/Shell';

/** `/`: go to the last workspace used (or the first); with none, offer to create one. */
export default function Home() {
  const { workspaces } = useWorkspace();
  const [creating, setCreating] = useState(false);
  useEffect(() => {
    if (!workspaces || workspaces.length === 0) return;
    const last = localStorage.getItem(LAST_WS);
    const target = workspaces.find((w) => w.id === last) ?? workspaces[0];
    navigate(`/w/${target.id}`, { replace: true });
  }, [workspaces]);
  if (!workspaces) return <p role="status" className="page">Loading your workspaces…</p>;
  if (workspaces.length > 0) return null;
  return (
    <section className="page narrow">
      <div className="card hero">
        <h1>Welcome to Gatehouse</h1>
        <p>A workspace holds your projects, API keys and team. Create your first one to get started.</p>
        <button type="button" className="btn primary" onClick={() => setCreating(true)}>
          Create your first workspace
        </button>
      </div>
      {creating && <CreateWorkspaceDialog onClose={() => setCreating(false)} />}
    </section>
  );
}
