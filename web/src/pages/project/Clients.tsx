import { useId, useMemo, useState } from 'react';
import { formatDate } from '../../api';
import { useAction, useLoad } from '../../hooks';
import { projectApi, type OAuth2Client } from '../../project-api';
import { ConfirmDialog, Dialog, ErrorMessage, FormActions } from '../../components/Dialog';
import { KeyPrompt } from '../../components/KeyPrompt';
import type { DataPageProps } from '../Project';

const GRANTS: Array<[string, string]> = [
  ['authorization_code', 'Authorization code'],
  ['refresh_token', 'Refresh token'],
  ['client_credentials', 'Client credentials'],
  ['urn:ietf:params:oauth:grant-type:device_code', 'Device code'],
  ['urn:ietf:params:oauth:grant-type:jwt-bearer', 'JWT bearer'],
];
const AUTH_METHODS: Array<[string, string]> = [
  ['client_secret_basic', 'Secret in the Authorization header (client_secret_basic)'],
  ['client_secret_post', 'Secret in the form body (client_secret_post)'],
  ['none', 'None: a public client (apps, single-page apps)'],
];

const grantLabel = (g: string) => GRANTS.find(([id]) => id === g)?.[1] ?? g;

/** The project's OAuth2 clients (Hydra's /admin/clients): list, create (secret shown once), edit, rotate the secret, delete. */
export default function Clients({ project, manage }: DataPageProps) {
  const api = useMemo(() => projectApi(project.slug), [project.slug]);
  const [tokens, setTokens] = useState<(string | undefined)[]>([undefined]);
  const list = useLoad(() => api.clients(tokens[tokens.length - 1]), [api, tokens]);
  const [editing, setEditing] = useState<OAuth2Client | 'new' | null>(null);
  const [rotating, setRotating] = useState<OAuth2Client | null>(null);
  const [deleting, setDeleting] = useState<OAuth2Client | null>(null);
  const [secret, setSecret] = useState<{ name: string; value: string } | null>(null);
  const act = useAction();
  const nameOf = (c: OAuth2Client) => c.client_name || c.client_id;

  return (
    <section className="card" aria-labelledby="clients-h">
      <div className="card-head">
        <div>
          <h2 id="clients-h">OAuth2 clients</h2>
          <p className="muted">Applications that get tokens from this project’s OAuth2 server.</p>
        </div>
        {manage && (
          <button type="button" className="btn primary" onClick={() => setEditing('new')}>
            Create client
          </button>
        )}
      </div>
      <ErrorMessage>{list.error}</ErrorMessage>
      {list.loading && !list.data && <p role="status">Loading clients…</p>}
      {list.data && list.data.clients.length === 0 && <p className="empty">No OAuth2 clients yet.</p>}
      {list.data && list.data.clients.length > 0 && (
        <div className="table-wrap">
          <table aria-label="OAuth2 clients">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Client ID</th>
                <th scope="col">Grants</th>
                <th scope="col">Redirect URIs</th>
                <th scope="col">Created</th>
                {manage && (
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {list.data.clients.map((c) => (
                <tr key={c.client_id}>
                  <td className="strong">{nameOf(c)}</td>
                  <td className="mono">{c.client_id}</td>
                  <td>{(c.grant_types ?? []).map(grantLabel).join(', ')}</td>
                  <td className="mono small">{(c.redirect_uris ?? []).join(' ') || '—'}</td>
                  <td>{formatDate(c.created_at)}</td>
                  {manage && (
                    <td className="row-actions">
                      <button type="button" className="btn small" onClick={() => setEditing(c)} aria-label={`Edit client ${nameOf(c)}`}>
                        Edit
                      </button>
                      {c.token_endpoint_auth_method !== 'none' && (
                        <button type="button" className="btn small" onClick={() => setRotating(c)} aria-label={`Rotate the secret of client ${nameOf(c)}`}>
                          Rotate secret
                        </button>
                      )}
                      <button type="button" className="btn small danger-ghost" onClick={() => setDeleting(c)} aria-label={`Delete client ${nameOf(c)}`}>
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
      <div className="pager">
        {tokens.length > 1 && (
          <button type="button" className="btn" onClick={() => setTokens(tokens.slice(0, -1))}>
            Previous page
          </button>
        )}
        {list.data?.next && (
          <button type="button" className="btn" onClick={() => setTokens([...tokens, list.data!.next])}>
            Next page
          </button>
        )}
      </div>
      {editing && (
        <ClientDialog
          client={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          save={async (fields) => {
            if (editing === 'new') {
              const created = await api.createClient(fields);
              if (created.client_secret) setSecret({ name: nameOf(created), value: created.client_secret });
            } else {
              await api.patchClient(editing.client_id, Object.entries(fields).map(([k, v]) => ({ op: 'add', path: `/${k}`, value: v })));
            }
            setEditing(null);
            void list.reload();
          }}
        />
      )}
      {rotating && (
        <ConfirmDialog
          title="Rotate the client secret?"
          body={<p>A new secret for {nameOf(rotating)} is shown once. The old one keeps working until you update the application and retire it, so nothing breaks in between.</p>}
          confirmLabel="Rotate secret"
          busy={act.busy}
          error={act.error}
          onClose={() => setRotating(null)}
          onConfirm={async () => {
            const c = await act.run(() => api.rotateClientSecret(rotating.client_id));
            if (c?.client_secret) {
              setRotating(null);
              setSecret({ name: nameOf(c), value: c.client_secret });
            }
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete this client?"
          body={<p>{nameOf(deleting)} can no longer get tokens, and its tokens stop working. This cannot be undone.</p>}
          confirmLabel="Delete client"
          busy={act.busy}
          error={act.error}
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            if (await act.run(async () => (await api.deleteClient(deleting.client_id), true))) {
              setDeleting(null);
              void list.reload();
            }
          }}
        />
      )}
      {secret && <KeyPrompt name={secret.name} value={secret.value} title={`Client secret of “${secret.name}”`} label="Client secret" onClose={() => setSecret(null)} />}
    </section>
  );
}

function ClientDialog({ client, onClose, save }: { client: OAuth2Client | null; onClose(): void; save(c: Partial<OAuth2Client>): Promise<void> }) {
  const [name, setName] = useState(client?.client_name ?? '');
  const [grants, setGrants] = useState<string[]>(client?.grant_types ?? ['authorization_code', 'refresh_token']);
  const [redirects, setRedirects] = useState((client?.redirect_uris ?? []).join('\n'));
  const [scope, setScope] = useState(client?.scope ?? 'openid offline_access');
  const [method, setMethod] = useState(client?.token_endpoint_auth_method ?? 'client_secret_basic');
  const { busy, error, run } = useAction();
  const ids = { name: useId(), redirects: useId(), redirectsHint: useId(), scope: useId(), method: useId() };
  return (
    <Dialog title={client ? 'Edit client' : 'Create an OAuth2 client'} onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const fields: Partial<OAuth2Client> = {
            client_name: name.trim(),
            grant_types: grants,
            response_types: grants.includes('authorization_code') ? ['code'] : [],
            redirect_uris: redirects.split(/\s+/).filter(Boolean),
            scope: scope.trim(),
          };
          if (!client) fields.token_endpoint_auth_method = method;
          await run(() => save(fields));
        }}
      >
        <div className="field">
          <label htmlFor={ids.name}>Client name</label>
          <input id={ids.name} value={name} onChange={(e) => setName(e.target.value)} required maxLength={256} autoFocus />
        </div>
        <fieldset className="field">
          <legend>Grant types</legend>
          {GRANTS.map(([g, label]) => (
            <label key={g}>
              <input type="checkbox" checked={grants.includes(g)} onChange={(e) => setGrants(e.target.checked ? [...grants, g] : grants.filter((x) => x !== g))} /> {label}
            </label>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor={ids.redirects}>Redirect URIs</label>
          <textarea id={ids.redirects} value={redirects} onChange={(e) => setRedirects(e.target.value)} rows={2} aria-describedby={ids.redirectsHint} className="mono" placeholder="https://app.example.com/callback" />
          <p id={ids.redirectsHint} className="hint">
            One a line; needed for the authorization code grant.
          </p>
        </div>
        <div className="field">
          <label htmlFor={ids.scope}>Scope</label>
          <input id={ids.scope} value={scope} onChange={(e) => setScope(e.target.value)} className="mono" />
        </div>
        {!client && (
          <div className="field">
            <label htmlFor={ids.method}>Client authentication</label>
            <select id={ids.method} value={method} onChange={(e) => setMethod(e.target.value)}>
              {AUTH_METHODS.map(([v, l]) => (
                <option key={v} value={v}>
                  {l}
                </option>
              ))}
            </select>
          </div>
        )}
        <ErrorMessage>{error}</ErrorMessage>
        <FormActions onCancel={onClose} busy={busy} label={client ? 'Save client' : 'Create client'} busyLabel="Saving…" />
      </form>
    </Dialog>
  );
}
