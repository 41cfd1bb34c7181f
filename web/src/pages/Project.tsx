import { useEffect, useId, useRef, useState } from 'react';
import { lazyComponent } from '../lazy';
import { api, can, ENV_LABEL, formatDate, type Organization, type Project } from '../api';
import { useAction, useLoad } from '../hooks';
import { navigate } from '../router';
import { useWorkspace } from '../session';
import { ConfirmDialog, Dialog, ErrorMessage, FormActions } from '../components/Dialog';
import { ApiKeys } from '../components/ApiKeys';
import { SubNav } from '../components/SubNav';
import { CopyField } from '../components/CopyField';
import { PROJECT_DATA_TABS, PROJECT_TABS } from '../settings-tabs';
import { Link } from '../router';

// Its own chunk: the settings screens that do not show it never download it.
const UserApiKeys = lazyComponent(() => import('../components/UserApiKeys'), <p role="status">Loading…</p>);
// The project's data: each its own chunk too.
const loadingData = <p role="status">Loading…</p>;
const DATA_PAGES: Record<string, ReturnType<typeof lazyComponent<DataPageProps>>> = {
  overview: lazyComponent(() => import('./project/Overview'), loadingData),
  users: lazyComponent(() => import('./project/Users'), loadingData),
  clients: lazyComponent(() => import('./project/Clients'), loadingData),
  relationships: lazyComponent(() => import('./project/Relationships'), loadingData),
  usage: lazyComponent(() => import('./project/KeysInUse'), loadingData),
};

/** What a page of the project's data is given. */
export interface DataPageProps {
  ws: string;
  project: Project;
  manage: boolean;
  /** The user open on the Users page (its address is /…/users/{id}). */
  identityId?: string;
}

type Patch = { op: string; path: string; value?: unknown }[];

/** `tab` is one of PROJECT_TABS: the router answers "Page not found" for any other. */
export default function ProjectPage({ ws, projectId, tab, identityId }: { ws: string; projectId: string; tab: string; identityId?: string }) {
  const { role } = useWorkspace();
  // A data page's chunk downloads beside the project it needs, not after it.
  void DATA_PAGES[tab]?.preload();
  if (tab === 'user-api-keys') void UserApiKeys.preload();
  const project = useLoad(() => api.project(projectId), [projectId]);
  const members = useLoad(() => api.members(ws), [ws]);
  const manage = can.manage(role);
  const p = project.data;

  const save = async (ops: Patch) => {
    const updated = await api.patchProject(projectId, ops);
    project.setData(updated);
  };

  return (
    <section className="page">
      <div className="page-head">
        <div>
          <p className="crumb">Project</p>
          <h1>{p?.name ?? 'Project'}</h1>
          {p && <p className="muted mono">{p.slug}</p>}
        </div>
      </div>
      <ErrorMessage>{project.error}</ErrorMessage>
      {project.loading && !p && <p role="status">Loading the project…</p>}
      {p && (
        <>
          <ProjectNav base={`/w/${ws}/projects/${projectId}`} current={tab} />
          {DATA_PAGES[tab] && <DataPage Page={DATA_PAGES[tab]} ws={ws} project={p} manage={manage} identityId={identityId} viewer={!manage && !!role} />}
          {!DATA_PAGES[tab] && <SubNav label="Project settings" base={`/w/${ws}/projects/${projectId}`} tabs={PROJECT_TABS} current={tab} />}
          {!DATA_PAGES[tab] && !manage && role && <p className="notice">You are a viewer: you can see this project’s settings but not change them.</p>}
          {tab === 'general' && <General project={p} manage={manage} save={save} />}
          {tab === 'api-keys' && (
            <ApiKeys
              kind="project"
              scopeKey={projectId}
              canManage={manage}
              members={members.data}
              list={() => api.projectKeys(projectId)}
              create={(key) => api.createProjectKey(projectId, key)}
              rotate={(id, grace) => api.rotateProjectKey(projectId, id, grace)}
              remove={(id) => api.deleteProjectKey(projectId, id)}
            />
          )}
          {tab === 'user-api-keys' && (
            <UserApiKeys slug={p.slug} canManage={manage} />
          )}
          {tab === 'identity' && <IdentitySettings key={p.id} project={p} manage={manage} save={save} />}
          {tab === 'oauth2' && <OAuth2Settings key={p.id} project={p} manage={manage} save={save} />}
          {tab === 'permissions' && <PermissionSettings key={p.id} project={p} manage={manage} save={save} />}
          {tab === 'organizations' && <Organizations projectId={projectId} manage={manage} />}
          {tab === 'danger' && <DeleteProject ws={ws} project={p} manage={manage} />}
        </>
      )}
    </section>
  );
}

/** The project's first row of navigation: its data, then its settings (whose own tabs are the second row). */
function ProjectNav({ base, current }: { base: string; current: string }) {
  const settings = !PROJECT_DATA_TABS.some((t) => t.id === current);
  return (
    <nav aria-label="Project" className="projectnav">
      {PROJECT_DATA_TABS.map((t) => (
        <Link key={t.id} to={`${base}/${t.id}`} className={t.id === current ? 'active' : ''} aria-current={t.id === current ? 'page' : undefined}>
          {t.label}
        </Link>
      ))}
      <Link to={base} className={settings ? 'active' : ''} aria-current={settings ? 'page' : undefined}>
        Settings
      </Link>
    </nav>
  );
}

function DataPage({ Page, viewer, ...props }: DataPageProps & { Page: React.ComponentType<DataPageProps>; viewer: boolean }) {
  return (
    <>
      {viewer && <p className="notice">You are a viewer: you can see this project’s data but not change it.</p>}
      <Page {...props} />
    </>
  );
}

/** A settings form: Save button, plain-words error, a "Saved" status announced politely. */
function SettingsForm({ title, description, manage, onSave, children }: { title: string; description?: string; manage: boolean; onSave(): Promise<void>; children: React.ReactNode }) {
  const { busy, error, run } = useAction();
  const [saved, setSaved] = useState(false);
  return (
    <form
      className="card"
      onSubmit={async (e) => {
        e.preventDefault();
        setSaved(false);
        if (await run(async () => (await onSave(), true))) setSaved(true);
      }}
    >
      <h2>{title}</h2>
      {description && <p className="muted">{description}</p>}
      <fieldset disabled={!manage} className="plain">
        {children}
      </fieldset>
      <ErrorMessage>{error}</ErrorMessage>
      <p role="status" className="success">
        {saved ? 'Saved. The change is live.' : ''}
      </p>
      {manage && (
        <button type="submit" className="btn primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save'}
        </button>
      )}
    </form>
  );
}

/**
 * A text input with its label and hint. `validate` returns what is wrong with the value ('' when
 * nothing is): it becomes the input's custom validity, so the form does not submit and the browser
 * focuses the field, and it is shown under the field (and tied to it) from the first attempt to
 * save, then follows the typing. (Not on blur: the message appearing would move the Save button
 * out from under a click.)
 */
function TextField({ label, value, onChange, hint, mono, required, validate }: { label: string; value: string; onChange(v: string): void; hint?: string; mono?: boolean; required?: boolean; validate?(v: string): string }) {
  const id = useId();
  const hintId = useId();
  const errorId = useId();
  const input = useRef<HTMLInputElement>(null);
  const [checked, setChecked] = useState(false);
  const problem = validate?.(value) ?? '';
  useEffect(() => input.current?.setCustomValidity(problem), [problem]);
  const shown = checked && problem !== '';
  const describedBy = [hint ? hintId : '', shown ? errorId : ''].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        ref={input}
        id={id}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        onInvalid={() => setChecked(true)}
        className={mono ? 'mono' : undefined}
        required={required}
        aria-invalid={shown || undefined}
        aria-describedby={describedBy || undefined}
      />
      {hint && (
        <p id={hintId} className="hint">
          {hint}
        </p>
      )}
      {shown && (
        <p id={errorId} className="field-error">
          {problem}
        </p>
      )}
    </div>
  );
}

const DURATION_HINT = 'A duration such as 30m, 1h or 72h.';
const DURATION_PART = /([0-9]+(?:\.[0-9]+)?)(ns|us|ms|s|m|h)/g;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

/** What is wrong with a lifespan (Go duration syntax, as Ory's config takes it), or ''. Zero is refused: nothing would live. */
function lifespanProblem(label: string) {
  return (value: string): string => {
    const v = value.trim();
    if (v === '0') return `${label} must be longer than zero, such as 30m, 1h or 72h.`;
    if (!/^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$/.test(v)) return `${label} must be a duration such as 30m, 1h or 72h (units: h, m, s, ms).`;
    let ms = 0;
    for (const [, n, unit] of v.matchAll(DURATION_PART)) ms += Number(n) * UNIT_MS[unit];
    if (!(ms > 0)) return `${label} must be longer than zero, such as 30m, 1h or 72h.`;
    return '';
  };
}

function General({ project, manage, save }: { project: Project; manage: boolean; save(ops: Patch): Promise<void> }) {
  const [name, setName] = useState(project.name);
  const base = `${location.origin}/p/${project.slug}`;
  return (
    <>
      <SettingsForm title="General" manage={manage} onSave={() => save([{ op: 'replace', path: '/name', value: name.trim() }])}>
        <TextField label="Project name" value={name} onChange={setName} required />
        <dl className="meta">
          <div>
            <dt>Environment</dt>
            <dd>{ENV_LABEL[project.environment] ?? project.environment}</dd>
          </div>
          <div>
            <dt>Project ID</dt>
            <dd className="mono">{project.id}</dd>
          </div>
          <div>
            <dt>State</dt>
            <dd>{project.state}</dd>
          </div>
        </dl>
      </SettingsForm>
      <section className="card" aria-label="Endpoints">
        <h2>Endpoints</h2>
        <p className="muted">Point the Ory SDK at this address; admin calls need a project API key.</p>
        <CopyField label="API base URL" value={base} />
      </section>
    </>
  );
}

interface SchemaEntry {
  id: string;
  url: string;
}

/** The sign-in methods a project switches on (`selfservice.methods.{key}.enabled`), off by default. */
const OPTIONAL_METHODS = [
  { key: 'totp', label: 'Authenticator app (TOTP): a second factor people link in their settings' },
  { key: 'lookup_secret', label: 'Recovery codes: single-use second-factor codes people keep somewhere safe' },
  { key: 'webauthn', label: 'Security keys (WebAuthn): a hardware key as the second factor' },
  { key: 'passkey', label: 'Passkeys: sign in with the device’s passkey instead of a password' },
] as const;

function IdentitySettings({ project, manage, save }: { project: Project; manage: boolean; save(ops: Patch): Promise<void> }) {
  const cfg = project.services.identity.config ?? {};
  const [schemas, setSchemas] = useState<SchemaEntry[]>(() => (Array.isArray(cfg.identity?.schemas) ? cfg.identity.schemas.map((s: any) => ({ id: String(s.id ?? ''), url: typeof s.url === 'string' ? s.url : JSON.stringify(s.schema ?? {}) })) : []));
  const [defaultId, setDefaultId] = useState<string>(cfg.identity?.default_schema_id ?? schemas[0]?.id ?? '');
  const [password, setPassword] = useState<boolean>(cfg.selfservice?.methods?.password?.enabled !== false);
  const [methods, setMethods] = useState<Record<string, boolean>>(() => Object.fromEntries(OPTIONAL_METHODS.map((m) => [m.key, cfg.selfservice?.methods?.[m.key]?.enabled === true])));
  const [lifespan, setLifespan] = useState<string>(cfg.session?.lifespan ?? '72h');
  const [adding, setAdding] = useState(false);
  const defId = useId();
  const pwId = useId();
  return (
    <SettingsForm
      title="Identity"
      description="Identity schemas, sign-in methods and sessions of this project’s users."
      manage={manage}
      onSave={() =>
        save([
          { op: 'replace', path: '/services/identity/config/identity/schemas', value: schemas },
          { op: 'replace', path: '/services/identity/config/identity/default_schema_id', value: defaultId },
          { op: 'replace', path: '/services/identity/config/selfservice/methods/password/enabled', value: password },
          ...OPTIONAL_METHODS.map((m) => ({ op: 'replace' as const, path: `/services/identity/config/selfservice/methods/${m.key}/enabled`, value: methods[m.key] })),
          { op: 'replace', path: '/services/identity/config/session/lifespan', value: lifespan.trim() },
        ])
      }
    >
      <h3>Identity schemas</h3>
      <ul className="plain-list" aria-label="Identity schemas">
        {schemas.map((s, i) => (
          <li key={`${s.id}-${i}`}>
            <span>
              <span className="strong mono">{s.id}</span> <span className="muted mono truncate">{s.url.length > 60 ? `${s.url.slice(0, 60)}…` : s.url}</span>
            </span>
            {manage && (
              <button type="button" className="btn small danger-ghost" aria-label={`Remove schema ${s.id}`} disabled={schemas.length === 1} onClick={() => setSchemas(schemas.filter((_, j) => j !== i))}>
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      {manage && (
        <button type="button" className="btn small" onClick={() => setAdding(true)}>
          Add schema
        </button>
      )}
      <div className="field">
        <label htmlFor={defId}>Default schema for new identities</label>
        <select id={defId} value={defaultId} onChange={(e) => setDefaultId(e.target.value)}>
          {schemas.map((s) => (
            <option key={s.id} value={s.id}>
              {s.id}
            </option>
          ))}
        </select>
      </div>
      <h3>Sign-in methods</h3>
      <div className="check">
        <input id={pwId} type="checkbox" checked={password} onChange={(e) => setPassword(e.target.checked)} />
        <label htmlFor={pwId}>Password: people sign up and sign in with an identifier and a password</label>
      </div>
      {OPTIONAL_METHODS.map((m) => (
        <div className="check" key={m.key}>
          <input id={`${pwId}-${m.key}`} type="checkbox" checked={methods[m.key]} onChange={(e) => setMethods({ ...methods, [m.key]: e.target.checked })} />
          <label htmlFor={`${pwId}-${m.key}`}>{m.label}</label>
        </div>
      ))}
      <h3>Sessions</h3>
      <TextField label="Session lifespan" value={lifespan} onChange={setLifespan} hint={DURATION_HINT} validate={lifespanProblem('Session lifespan')} required />
      {adding && (
        <AddSchemaDialog
          onClose={() => setAdding(false)}
          onAdd={(entry) => {
            setSchemas([...schemas.filter((s) => s.id !== entry.id), entry]);
            setAdding(false);
          }}
        />
      )}
    </SettingsForm>
  );
}

function AddSchemaDialog({ onClose, onAdd }: { onClose(): void; onAdd(e: SchemaEntry): void }) {
  const [id, setId] = useState('');
  const [json, setJson] = useState('{\n  "$schema": "http://json-schema.org/draft-07/schema#",\n  "type": "object",\n  "properties": {\n    "traits": {\n      "type": "object",\n      "properties": {\n        "email": {\n          "type": "string",\n          "format": "email",\n          "ory.sh/kratos": { "credentials": { "password": { "identifier": true } } }\n        }\n      },\n      "required": ["email"]\n    }\n  }\n}');
  const [error, setError] = useState('');
  const idId = useId();
  const jsonId = useId();
  return (
    <Dialog title="Add an identity schema" onClose={onClose}>
      <div>
        <div className="field">
          <label htmlFor={idId}>Schema ID</label>
          <input id={idId} value={id} onChange={(e) => setId(e.target.value)} required autoFocus className="mono" placeholder="customer" />
        </div>
        <div className="field">
          <label htmlFor={jsonId}>JSON Schema</label>
          <textarea id={jsonId} value={json} onChange={(e) => setJson(e.target.value)} rows={12} className="mono" spellCheck={false} />
        </div>
        <ErrorMessage>{error}</ErrorMessage>
        <div className="actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="btn primary"
            onClick={() => {
              if (!id.trim()) return setError('Give the schema an ID.');
              try {
                JSON.parse(json);
              } catch {
                return setError('The schema is not valid JSON.');
              }
              const b64 = btoa(String.fromCharCode(...new TextEncoder().encode(json)));
              onAdd({ id: id.trim(), url: `base64://${b64}` });
            }}
          >
            Add schema
          </button>
        </div>
      </div>
    </Dialog>
  );
}

function OAuth2Settings({ project, manage, save }: { project: Project; manage: boolean; save(ops: Patch): Promise<void> }) {
  const ttl = project.services.oauth2.config?.ttl ?? {};
  const fields = [
    ['access_token', 'Access token lifespan', '1h'],
    ['refresh_token', 'Refresh token lifespan', '720h'],
    ['id_token', 'ID token lifespan', '1h'],
    ['auth_code', 'Authorization code lifespan', '10m'],
  ] as const;
  const [values, setValues] = useState<Record<string, string>>(() => Object.fromEntries(fields.map(([k, , d]) => [k, ttl[k] ?? d])));
  return (
    <SettingsForm
      title="OAuth2 token lifespans"
      description="How long tokens issued by this project’s OAuth2 server stay valid."
      manage={manage}
      onSave={() => save(fields.map(([k]) => ({ op: 'replace', path: `/services/oauth2/config/ttl/${k}`, value: values[k].trim() })))}
    >
      {fields.map(([k, label]) => (
        <TextField key={k} label={label} value={values[k]} onChange={(v) => setValues({ ...values, [k]: v })} hint={DURATION_HINT} validate={lifespanProblem(label)} required />
      ))}
    </SettingsForm>
  );
}

function PermissionSettings({ project, manage, save }: { project: Project; manage: boolean; save(ops: Patch): Promise<void> }) {
  const ns = project.services.permission.config?.namespaces;
  const isList = Array.isArray(ns) || ns === undefined;
  const [names, setNames] = useState<string[]>(() => (Array.isArray(ns) ? ns.map((n: any) => String(n?.name ?? '')) : []));
  const [next, setNext] = useState('');
  const addId = useId();
  if (!isList) {
    return (
      <section className="card">
        <h2>Permission namespaces</h2>
        <p>This project defines its namespaces in an Ory Permission Language file. Edit it through the Management API or the Ory CLI.</p>
      </section>
    );
  }
  const add = () => {
    const n = next.trim();
    if (n && !names.includes(n)) setNames([...names, n]);
    setNext('');
  };
  return (
    <SettingsForm
      title="Permission namespaces"
      description="Namespaces group relation tuples (for example documents, folders, groups)."
      manage={manage}
      onSave={() => save([{ op: 'replace', path: '/services/permission/config/namespaces', value: names.map((name, id) => ({ id, name })) }])}
    >
      {names.length === 0 && <p className="empty">No namespaces yet.</p>}
      <ul className="plain-list" aria-label="Namespaces">
        {names.map((n) => (
          <li key={n}>
            <span className="mono strong">{n}</span>
            {manage && (
              <button type="button" className="btn small danger-ghost" aria-label={`Remove namespace ${n}`} onClick={() => setNames(names.filter((x) => x !== n))}>
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      {manage && (
        <div className="field inline">
          <label htmlFor={addId}>New namespace</label>
          <div className="copy-row">
            <input
              id={addId}
              value={next}
              onChange={(e) => setNext(e.target.value)}
              className="mono"
              pattern="[A-Za-z_][A-Za-z0-9_]*"
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  add();
                }
              }}
            />
            <button type="button" className="btn" onClick={add}>
              Add
            </button>
          </div>
        </div>
      )}
    </SettingsForm>
  );
}

function Organizations({ projectId, manage }: { projectId: string; manage: boolean }) {
  const orgs = useLoad(() => api.organizations(projectId), [projectId]);
  const [editing, setEditing] = useState<Organization | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Organization | null>(null);
  const del = useAction();
  return (
    <section className="card" aria-labelledby="orgs-h">
      <div className="card-head">
        <div>
          <h2 id="orgs-h">B2B SSO organizations</h2>
          <p className="muted">People whose email belongs to an organization’s domains sign in through that organization.</p>
        </div>
        {manage && (
          <button type="button" className="btn primary" onClick={() => setEditing('new')}>
            Add organization
          </button>
        )}
      </div>
      <ErrorMessage>{orgs.error}</ErrorMessage>
      {orgs.data && orgs.data.length === 0 && <p className="empty">No organizations yet.</p>}
      {orgs.data && orgs.data.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Organizations</caption>
            <thead>
              <tr>
                <th scope="col">Label</th>
                <th scope="col">Domains</th>
                <th scope="col">Created</th>
                {manage && (
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {orgs.data.map((o) => (
                <tr key={o.id}>
                  <td className="strong">{o.label}</td>
                  <td className="mono">{o.domains.join(', ') || '—'}</td>
                  <td>{formatDate(o.created_at)}</td>
                  {manage && (
                    <td className="row-actions">
                      <button type="button" className="btn small" onClick={() => setEditing(o)} aria-label={`Edit organization ${o.label}`}>
                        Edit
                      </button>
                      <button type="button" className="btn small danger-ghost" onClick={() => setDeleting(o)} aria-label={`Delete organization ${o.label}`}>
                        Delete
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {editing && (
        <OrganizationDialog
          org={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSave={async (label, domains) => {
            if (editing === 'new') await api.createOrganization(projectId, label, domains);
            else await api.updateOrganization(projectId, editing.id, label, domains);
            setEditing(null);
            void orgs.reload();
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete this organization?"
          body={<p>People of {deleting.domains.join(', ') || 'this organization'} will no longer sign in through {deleting.label}.</p>}
          confirmLabel="Delete organization"
          busy={del.busy}
          error={del.error}
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            if (await del.run(async () => (await api.deleteOrganization(projectId, deleting.id), true))) {
              setDeleting(null);
              void orgs.reload();
            }
          }}
        />
      )}
    </section>
  );
}

function OrganizationDialog({ org, onClose, onSave }: { org: Organization | null; onClose(): void; onSave(label: string, domains: string[]): Promise<void> }) {
  const [label, setLabel] = useState(org?.label ?? '');
  const [domains, setDomains] = useState(org?.domains.join(', ') ?? '');
  const { busy, error, run } = useAction();
  const a = useId();
  const b = useId();
  const hint = useId();
  return (
    <Dialog title={org ? 'Edit organization' : 'Add an organization'} onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const list = domains.split(/[\s,]+/).map((d) => d.trim().toLowerCase()).filter(Boolean);
          await run(() => onSave(label.trim(), list));
        }}
      >
        <div className="field">
          <label htmlFor={a}>Label</label>
          <input id={a} value={label} onChange={(e) => setLabel(e.target.value)} required autoFocus maxLength={256} />
        </div>
        <div className="field">
          <label htmlFor={b}>Domains</label>
          <input id={b} value={domains} onChange={(e) => setDomains(e.target.value)} aria-describedby={hint} className="mono" placeholder="acme.com, acme.org" />
          <p id={hint} className="hint">
            Separate domains with commas.
          </p>
        </div>
        <ErrorMessage>{error}</ErrorMessage>
        <FormActions onCancel={onClose} busy={busy} label="Save organization" busyLabel="Saving…" />
      </form>
    </Dialog>
  );
}

function DeleteProject({ ws, project, manage }: { ws: string; project: Project; manage: boolean }) {
  const [typed, setTyped] = useState('');
  const { busy, error, run } = useAction();
  const id = useId();
  const hint = useId();
  useEffect(() => setTyped(''), [project.id]);
  return (
    <section className="card danger-zone" aria-labelledby="del-h">
      <h2 id="del-h">Delete project</h2>
      <p>
        Deleting <strong>{project.name}</strong> stops its APIs at once, revokes its API keys and deletes its identities, sessions, OAuth2 clients and permissions. This cannot be undone.
      </p>
      {!manage ? (
        <p className="notice">Your role cannot delete projects.</p>
      ) : (
        // Typing the name is the confirmation; a second "are you sure?" would only train people to click through.
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            if (typed !== project.name) return;
            if (await run(async () => (await api.deleteProject(project.id), true))) navigate(`/w/${ws}`, { replace: true });
          }}
        >
          <div className="field">
            <label htmlFor={id}>Type the project name to confirm</label>
            <input id={id} value={typed} onChange={(e) => setTyped(e.target.value)} aria-describedby={hint} autoComplete="off" />
            <p id={hint} className="hint">
              Type <span className="mono">{project.name}</span> exactly.
            </p>
          </div>
          <ErrorMessage>{error}</ErrorMessage>
          <button type="submit" className="btn danger" disabled={typed !== project.name || busy}>
            {busy ? 'Deleting…' : 'Delete this project'}
          </button>
        </form>
      )}
    </section>
  );
}
