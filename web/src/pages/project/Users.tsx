import { useEffect, useId, useMemo, useState } from 'react';
import { formatDate } from '../../api';
import { useAction, useLoad } from '../../hooks';
import { Link, navigate } from '../../router';
import { projectApi, type Identity, type IdentitySchema, type ProjectApi } from '../../project-api';
import { ConfirmDialog, Dialog, ErrorMessage, FormActions } from '../../components/Dialog';
import { CopyField } from '../../components/CopyField';
import type { DataPageProps } from '../Project';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PAGE_SIZE = 25;

/** How a person recognises an identity: its first login identifier, else an email-like trait, else its id. */
export function identifierOf(i: Identity): string {
  const ids = Object.values(i.credentials ?? {}).flatMap((c) => c.identifiers ?? []);
  if (ids[0]) return ids[0];
  const t = i.traits ?? {};
  const v = t.email ?? t.username ?? t.phone;
  return typeof v === 'string' ? v : i.id;
}

/** The project's users (identities): list and search, or one of them when `identityId` is set. */
export default function Users({ ws, project, manage, identityId }: DataPageProps) {
  const api = useMemo(() => projectApi(project.slug), [project.slug]);
  const base = `/w/${ws}/projects/${project.id}/users`;
  if (identityId) return <UserDetail key={identityId} api={api} base={base} identityId={identityId} manage={manage} />;
  return <UserList api={api} base={base} manage={manage} />;
}

function UserList({ api, base, manage }: { api: ProjectApi; base: string; manage: boolean }) {
  const [search, setSearch] = useState('');
  const [applied, setApplied] = useState('');
  // Keyset pages: the tokens of the pages before this one, for "Previous page".
  const [tokens, setTokens] = useState<(string | undefined)[]>([undefined]);
  const token = tokens[tokens.length - 1];
  const page = useLoad(() => api.identities({ pageToken: token, identifier: applied || undefined, pageSize: PAGE_SIZE }), [api, token, applied]);
  const [creating, setCreating] = useState(false);
  const searchId = useId();
  const hintId = useId();
  useEffect(() => {
    if (page.data) performance.mark('gatehouse:users-listed');
  }, [page.data]);

  return (
    <section className="card" aria-labelledby="users-h">
      <div className="card-head">
        <div>
          <h2 id="users-h">Users</h2>
          <p className="muted">The identities of this project: people who sign up and sign in to your product.</p>
        </div>
        {manage && (
          <button type="button" className="btn primary" onClick={() => setCreating(true)}>
            Create user
          </button>
        )}
      </div>
      <form
        className="filters"
        role="search"
        aria-label="Find users"
        onSubmit={(e) => {
          e.preventDefault();
          const s = search.trim();
          if (UUID.test(s)) return navigate(`${base}/${s.toLowerCase()}`);
          setTokens([undefined]);
          setApplied(s);
        }}
      >
        <div className="field">
          <label htmlFor={searchId}>Identifier or ID</label>
          <div className="copy-row">
            <input id={searchId} type="search" value={search} onChange={(e) => setSearch(e.target.value)} aria-describedby={hintId} placeholder="jane@example.com" />
            <button type="submit" className="btn">
              Search
            </button>
          </div>
          <p id={hintId} className="hint">
            The exact email or username someone signs in with, or a user’s ID.
          </p>
        </div>
      </form>
      <ErrorMessage>{page.error}</ErrorMessage>
      {page.loading && !page.data && <p role="status">Loading users…</p>}
      {page.data && page.data.identities.length === 0 && <p className="empty">{applied ? `No user signs in with “${applied}”.` : 'No users yet.'}</p>}
      {page.data && page.data.identities.length > 0 && (
        <div className="table-wrap">
          <table aria-label="Users">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">State</th>
                <th scope="col">Verified</th>
                <th scope="col">Schema</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {page.data.identities.map((i) => (
                <tr key={i.id}>
                  <td>
                    <Link to={`${base}/${i.id}`} className="strong">
                      {identifierOf(i)}
                    </Link>
                  </td>
                  <td>
                    <StateBadge state={i.state} />
                  </td>
                  <td>{(i.verifiable_addresses ?? []).length === 0 ? '—' : (i.verifiable_addresses ?? []).every((a) => a.verified) ? 'Yes' : 'No'}</td>
                  <td className="mono">{i.schema_id}</td>
                  <td>{formatDate(i.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="pager">
        {tokens.length > 1 && (
          <button type="button" className="btn" onClick={() => setTokens(tokens.slice(0, -1))}>
            Previous page
          </button>
        )}
        {page.data && (tokens.length > 1 || page.data.next) && <span className="muted">Page {tokens.length}</span>}
        {page.data?.next && (
          <button type="button" className="btn" onClick={() => setTokens([...tokens, page.data!.next])}>
            Next page
          </button>
        )}
      </div>
      {creating && (
        <IdentityDialog
          api={api}
          onClose={() => setCreating(false)}
          save={async (body) => {
            const created = await api.createIdentity(body);
            navigate(`${base}/${created.id}`);
          }}
        />
      )}
    </section>
  );
}

function StateBadge({ state }: { state: string }) {
  return <span className={`badge status ${state === 'active' ? 'active' : 'revoked'}`}>{state === 'active' ? 'Active' : 'Inactive'}</span>;
}

const json = (v: unknown) => (v === undefined || v === null ? '' : JSON.stringify(v, null, 2));

function UserDetail({ api, base, identityId, manage }: { api: ProjectApi; base: string; identityId: string; manage: boolean }) {
  const identity = useLoad(() => api.identity(identityId), [api, identityId]);
  const sessions = useLoad(() => api.sessions(identityId), [api, identityId]);
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [deactivating, setDeactivating] = useState(false);
  const [recovery, setRecovery] = useState<{ recovery_code: string; recovery_link: string; expires_at: string } | null>(null);
  const act = useAction();
  const del = useAction();
  const i = identity.data;
  const name = i ? identifierOf(i) : '';

  const setState = async (state: 'active' | 'inactive') => {
    const updated = await act.run(() => api.setState(identityId, state));
    if (updated) identity.setData(updated);
    setDeactivating(false);
  };

  return (
    <>
      <p>
        <Link to={base}>← All users</Link>
      </p>
      <ErrorMessage>{identity.error}</ErrorMessage>
      {identity.loading && !i && <p role="status">Loading the user…</p>}
      {i && (
        <>
          <section className="card" aria-labelledby="user-h">
            <div className="card-head">
              <div>
                <h2 id="user-h">
                  {name} <StateBadge state={i.state} />
                </h2>
                <p className="muted mono">{i.id}</p>
              </div>
              {manage && (
                <div className="row-actions">
                  <button type="button" className="btn" onClick={() => setEditing(true)}>
                    Edit
                  </button>
                  <button type="button" className="btn" disabled={act.busy} onClick={async () => setRecovery((await act.run(() => api.recoveryCode(identityId))) ?? null)}>
                    Send recovery code
                  </button>
                  {i.state === 'active' ? (
                    <button type="button" className="btn" onClick={() => setDeactivating(true)}>
                      Deactivate
                    </button>
                  ) : (
                    <button type="button" className="btn" disabled={act.busy} onClick={() => void setState('active')}>
                      Activate
                    </button>
                  )}
                  <button type="button" className="btn danger-ghost" onClick={() => setDeleting(true)}>
                    Delete
                  </button>
                </div>
              )}
            </div>
            <ErrorMessage>{act.error}</ErrorMessage>
            <dl className="meta">
              <div>
                <dt>Schema</dt>
                <dd className="mono">{i.schema_id}</dd>
              </div>
              <div>
                <dt>Created</dt>
                <dd>{formatDate(i.created_at)}</dd>
              </div>
              <div>
                <dt>Updated</dt>
                <dd>{formatDate(i.updated_at)}</dd>
              </div>
              {i.external_id && (
                <div>
                  <dt>External ID</dt>
                  <dd className="mono">{i.external_id}</dd>
                </div>
              )}
            </dl>
            <h3>Traits</h3>
            <dl className="kv" aria-label="Traits">
              {Object.entries(i.traits ?? {}).map(([k, v]) => (
                <div key={k}>
                  <dt className="mono">{k}</dt>
                  <dd>{typeof v === 'string' ? v : <code>{JSON.stringify(v)}</code>}</dd>
                </div>
              ))}
            </dl>
            <h3>Addresses</h3>
            {(i.verifiable_addresses ?? []).length === 0 && (i.recovery_addresses ?? []).length === 0 ? (
              <p className="empty">No addresses.</p>
            ) : (
              <div className="table-wrap">
                <table aria-label="Addresses">
                  <thead>
                    <tr>
                      <th scope="col">Address</th>
                      <th scope="col">Via</th>
                      <th scope="col">Used for</th>
                      <th scope="col">Verified</th>
                    </tr>
                  </thead>
                  <tbody>
                    {(i.verifiable_addresses ?? []).map((a) => (
                      <tr key={`v-${a.value}-${a.via}`}>
                        <td>{a.value}</td>
                        <td>{a.via}</td>
                        <td>Verification{(i.recovery_addresses ?? []).some((r) => r.value === a.value) ? ', recovery' : ''}</td>
                        <td>{a.verified ? `Yes${a.verified_at ? `, ${formatDate(a.verified_at)}` : ''}` : 'No'}</td>
                      </tr>
                    ))}
                    {(i.recovery_addresses ?? [])
                      .filter((r) => !(i.verifiable_addresses ?? []).some((a) => a.value === r.value))
                      .map((a) => (
                        <tr key={`r-${a.value}-${a.via}`}>
                          <td>{a.value}</td>
                          <td>{a.via}</td>
                          <td>Recovery</td>
                          <td>—</td>
                        </tr>
                      ))}
                  </tbody>
                </table>
              </div>
            )}
            <h3>Credentials</h3>
            {Object.keys(i.credentials ?? {}).length === 0 ? (
              <p className="empty">No credentials: this user cannot sign in yet (a recovery code lets them set a password).</p>
            ) : (
              <ul className="plain-list" aria-label="Credentials">
                {Object.entries(i.credentials ?? {}).map(([type, c]) => (
                  <li key={type}>
                    <span>
                      <span className="strong">{type}</span> <span className="muted">{(c.identifiers ?? []).join(', ')}</span>
                    </span>
                    <span className="muted">{c.updated_at ? `updated ${formatDate(c.updated_at)}` : ''}</span>
                  </li>
                ))}
              </ul>
            )}
            <h3>Metadata</h3>
            <div className="meta-json">
              <div>
                <p className="hint">Public (the user can read it)</p>
                <pre aria-label="Public metadata">{json(i.metadata_public) || '—'}</pre>
              </div>
              <div>
                <p className="hint">Admin only</p>
                <pre aria-label="Admin metadata">{json(i.metadata_admin) || '—'}</pre>
              </div>
            </div>
          </section>
          <section className="card" aria-labelledby="sessions-h">
            <h2 id="sessions-h">Sessions</h2>
            <ErrorMessage>{sessions.error}</ErrorMessage>
            {sessions.data && sessions.data.length === 0 && <p className="empty">No sessions.</p>}
            {sessions.data && sessions.data.length > 0 && (
              <div className="table-wrap">
                <table aria-label="Sessions">
                  <thead>
                    <tr>
                      <th scope="col">Signed in</th>
                      <th scope="col">Method</th>
                      <th scope="col">Device</th>
                      <th scope="col">Expires</th>
                      <th scope="col">State</th>
                      {manage && (
                        <th scope="col">
                          <span className="sr-only">Actions</span>
                        </th>
                      )}
                    </tr>
                  </thead>
                  <tbody>
                    {sessions.data.map((s) => (
                      <tr key={s.id}>
                        <td>{formatDate(s.authenticated_at)}</td>
                        <td>{(s.authentication_methods ?? []).map((m) => m.method).join(', ') || '—'}</td>
                        <td className="small">{[s.devices?.[0]?.ip_address, s.devices?.[0]?.user_agent].filter(Boolean).join(' · ') || '—'}</td>
                        <td>{formatDate(s.expires_at)}</td>
                        <td>
                          <span className={`badge status ${s.active ? 'active' : 'revoked'}`}>{s.active ? 'Active' : 'Ended'}</span>
                        </td>
                        {manage && (
                          <td className="row-actions">
                            {s.active && (
                              <button
                                type="button"
                                className="btn small danger-ghost"
                                aria-label={`Revoke session from ${formatDate(s.authenticated_at)}`}
                                onClick={async () => {
                                  if (await act.run(async () => (await api.revokeSession(s.id), true))) void sessions.reload();
                                }}
                              >
                                Revoke
                              </button>
                            )}
                          </td>
                        )}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
          {editing && (
            <IdentityDialog
              api={api}
              identity={i}
              onClose={() => setEditing(false)}
              save={async (body) => {
                identity.setData(await api.replaceIdentity(i.id, { ...body, state: i.state }));
                setEditing(false);
              }}
            />
          )}
          {deactivating && (
            <ConfirmDialog
              title="Deactivate this user?"
              body={<p>{name} can no longer sign in, and their sessions stop working. You can activate them again.</p>}
              confirmLabel="Deactivate"
              busy={act.busy}
              onClose={() => setDeactivating(false)}
              onConfirm={() => void setState('inactive')}
            />
          )}
          {deleting && (
            <ConfirmDialog
              title="Delete this user?"
              body={<p>{name}, their credentials and sessions are deleted for good. This cannot be undone.</p>}
              confirmLabel="Delete user"
              busy={del.busy}
              error={del.error}
              onClose={() => setDeleting(false)}
              onConfirm={async () => {
                if (await del.run(async () => (await api.deleteIdentity(i.id), true))) navigate(base, { replace: true });
              }}
            />
          )}
          {recovery && (
            <Dialog title="Recovery code created" onClose={() => setRecovery(null)}>
              <p>
                Give {name} this code and link; it lets them set a new password once, until {formatDate(recovery.expires_at)}. It is not shown again.
              </p>
              <CopyField label="Recovery code" value={recovery.recovery_code} autoFocusButton />
              <CopyField label="Recovery link" value={recovery.recovery_link} />
              <div className="actions">
                <button type="button" className="btn" onClick={() => setRecovery(null)}>
                  Done
                </button>
              </div>
            </Dialog>
          )}
        </>
      )}
    </>
  );
}

interface TraitField {
  key: string;
  label: string;
  type: 'string' | 'number' | 'integer' | 'boolean';
  format?: string;
  required: boolean;
}

/** The traits of a schema as form fields, when they are all flat values; null when a form cannot show them (JSON then). */
function traitFields(schema: any): TraitField[] | null {
  const traits = schema?.properties?.traits;
  const props = traits?.properties;
  if (!props || typeof props !== 'object') return null;
  const required: string[] = Array.isArray(traits.required) ? traits.required : [];
  const out: TraitField[] = [];
  for (const [key, p] of Object.entries<any>(props)) {
    if (!['string', 'number', 'integer', 'boolean'].includes(p?.type)) return null;
    out.push({ key, label: p.title || key, type: p.type, format: p.format, required: required.includes(key) });
  }
  return out;
}

function parseJson(label: string, text: string): { value?: unknown; error?: string } {
  if (!text.trim()) return { value: undefined };
  try {
    return { value: JSON.parse(text) };
  } catch {
    return { error: `${label} is not valid JSON.` };
  }
}

/** Creates a user, or edits one's traits and metadata, against the project's identity schemas. */
function IdentityDialog({ api, identity, onClose, save }: { api: ProjectApi; identity?: Identity; onClose(): void; save(body: { schema_id: string; traits: unknown; metadata_public?: unknown; metadata_admin?: unknown }): Promise<void> }) {
  const schemas = useLoad(() => api.schemas(), [api]);
  const [schemaId, setSchemaId] = useState(identity?.schema_id ?? '');
  const [values, setValues] = useState<Record<string, unknown>>(() => ({ ...(identity?.traits ?? {}) }));
  const [traitsJson, setTraitsJson] = useState(json(identity?.traits ?? {}));
  const [pub, setPub] = useState(json(identity?.metadata_public));
  const [adm, setAdm] = useState(json(identity?.metadata_admin));
  const { busy, error, setError, run } = useAction();
  const ids = { schema: useId(), traits: useId(), pub: useId(), adm: useId() };
  useEffect(() => {
    if (!schemaId && schemas.data?.[0]) setSchemaId(schemas.data[0].id);
  }, [schemas.data, schemaId]);
  const schema: IdentitySchema | undefined = schemas.data?.find((s) => s.id === schemaId);
  const fields = schema ? traitFields(schema.schema) : null;

  return (
    <Dialog title={identity ? 'Edit user' : 'Create a user'} onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          let traits: unknown;
          if (fields) {
            traits = Object.fromEntries(fields.filter((f) => values[f.key] !== '' && values[f.key] !== undefined).map((f) => [f.key, values[f.key]]));
          } else {
            const t = parseJson('Traits', traitsJson);
            if (t.error) return setError(t.error);
            traits = t.value ?? {};
          }
          const p = parseJson('Public metadata', pub);
          if (p.error) return setError(p.error);
          const a = parseJson('Admin metadata', adm);
          if (a.error) return setError(a.error);
          await run(() => save({ schema_id: schemaId, traits, metadata_public: p.value ?? null, metadata_admin: a.value ?? null }));
        }}
      >
        <ErrorMessage>{schemas.error}</ErrorMessage>
        <div className="field">
          <label htmlFor={ids.schema}>Identity schema</label>
          <select id={ids.schema} value={schemaId} onChange={(e) => setSchemaId(e.target.value)} disabled={!!identity}>
            {(schemas.data ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.id}
              </option>
            ))}
          </select>
        </div>
        {fields &&
          fields.map((f) => (
            <TraitInput key={`${schemaId}-${f.key}`} field={f} value={values[f.key]} onChange={(v) => setValues({ ...values, [f.key]: v })} />
          ))}
        {schema && !fields && (
          <div className="field">
            <label htmlFor={ids.traits}>Traits (JSON)</label>
            <textarea id={ids.traits} value={traitsJson} onChange={(e) => setTraitsJson(e.target.value)} rows={6} className="mono" spellCheck={false} />
          </div>
        )}
        <div className="field">
          <label htmlFor={ids.pub}>Public metadata (JSON, optional)</label>
          <textarea id={ids.pub} value={pub} onChange={(e) => setPub(e.target.value)} rows={2} className="mono" spellCheck={false} />
        </div>
        <div className="field">
          <label htmlFor={ids.adm}>Admin metadata (JSON, optional)</label>
          <textarea id={ids.adm} value={adm} onChange={(e) => setAdm(e.target.value)} rows={2} className="mono" spellCheck={false} />
        </div>
        <ErrorMessage>{error}</ErrorMessage>
        <FormActions onCancel={onClose} busy={busy} label={identity ? 'Save user' : 'Create user'} busyLabel="Saving…" />
      </form>
    </Dialog>
  );
}

function TraitInput({ field, value, onChange }: { field: TraitField; value: unknown; onChange(v: unknown): void }) {
  const id = useId();
  if (field.type === 'boolean') {
    return (
      <div className="check">
        <input id={id} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />
        <label htmlFor={id}>{field.label}</label>
      </div>
    );
  }
  const numeric = field.type === 'number' || field.type === 'integer';
  const type = numeric ? 'number' : field.format === 'email' ? 'email' : field.format === 'uri' ? 'url' : field.format === 'date' ? 'date' : 'text';
  return (
    <div className="field">
      <label htmlFor={id}>{field.label}</label>
      <input
        id={id}
        type={type}
        step={field.type === 'integer' ? 1 : undefined}
        required={field.required}
        value={value === undefined || value === null ? '' : String(value)}
        onChange={(e) => onChange(numeric ? (e.target.value === '' ? '' : Number(e.target.value)) : e.target.value)}
      />
    </div>
  );
}

