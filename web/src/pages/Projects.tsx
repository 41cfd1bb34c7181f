import { useId, useState } from 'react';
import { api, can, ENV_LABEL, formatDate } from '../api';
import { useAction, useLoad } from '../hooks';
import { Link, navigate } from '../router';
import { useWorkspace } from '../session';
import { Dialog, ErrorMessage, FormActions } from '../components/Dialog';

export default function Projects({ ws }: { ws: string }) {
  const { current, role } = useWorkspace();
  const projects = useLoad(() => api.projects(ws), [ws]);
  const [creating, setCreating] = useState(false);
  return (
    <section className="page">
      <div className="page-head">
        <div>
          <h1>Projects</h1>
          <p className="muted">{current ? `Identity projects in ${current.name}.` : ' '}</p>
        </div>
        {can.manage(role) && (
          <button type="button" className="btn primary" onClick={() => setCreating(true)}>
            Create project
          </button>
        )}
      </div>
      {role === 'viewer' && <p className="notice">You are a viewer in this workspace: you can look at everything but not change it.</p>}
      <ErrorMessage>{projects.error}</ErrorMessage>
      {projects.loading && !projects.data && <p role="status">Loading projects…</p>}
      {projects.data && projects.data.length === 0 && (
        <div className="card empty-state">
          <h2>No projects yet</h2>
          <p>A project is one identity deployment: its users, sessions, OAuth2 clients and permissions.</p>
        </div>
      )}
      {projects.data && projects.data.length > 0 && (
        <ul className="project-grid" aria-label="Projects">
          {projects.data.map((p) => (
            <li key={p.id} className="project-card">
              <Link to={`/w/${ws}/projects/${p.id}`} className="project-link">
                <span className="project-name">{p.name}</span>
                <span className={`badge env-${p.environment}`}>{ENV_LABEL[p.environment]}</span>
              </Link>
              <dl className="meta">
                <div>
                  <dt>Slug</dt>
                  <dd className="mono">{p.slug}</dd>
                </div>
                <div>
                  <dt>Created</dt>
                  <dd>{formatDate(p.created_at)}</dd>
                </div>
              </dl>
            </li>
          ))}
        </ul>
      )}
      {creating && <CreateProjectDialog ws={ws} onClose={() => setCreating(false)} />}
    </section>
  );
}

function CreateProjectDialog({ ws, onClose }: { ws: string; onClose(): void }) {
  const [name, setName] = useState('');
  const [env, setEnv] = useState('dev');
  const { busy, error, run } = useAction();
  const nameId = useId();
  const envId = useId();
  return (
    <Dialog title="Create a project" onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const p = await run(() => api.createProject(ws, name.trim(), env));
          if (p) {
            onClose();
            navigate(`/w/${ws}/projects/${p.id}`);
          }
        }}
      >
        <div className="field">
          <label htmlFor={nameId}>Project name</label>
          <input id={nameId} value={name} onChange={(e) => setName(e.target.value)} required maxLength={256} autoFocus placeholder="e.g. Customer login" />
        </div>
        <div className="field">
          <label htmlFor={envId}>Environment</label>
          <select id={envId} value={env} onChange={(e) => setEnv(e.target.value)}>
            <option value="dev">Development</option>
            <option value="stage">Staging</option>
            <option value="prod">Production</option>
          </select>
        </div>
        <ErrorMessage>{error}</ErrorMessage>
        <FormActions onCancel={onClose} busy={busy} label="Create project" busyLabel="Creating…" />
      </form>
    </Dialog>
  );
}
