import { useId, useState } from 'react';
import { formatDate, type ApiKey, type Member } from '../api';
import { useAction, useLoad } from '../hooks';
import { ConfirmDialog, Dialog, ErrorMessage, FormActions } from './Dialog';
import { KeyPrompt } from './KeyPrompt';

/**
 * API keys of a workspace or a project: the list (name, last characters, creator, dates), creating
 * one (shown once in the key prompt) and deleting one after confirmation.
 */
export function ApiKeys(props: {
  kind: 'workspace' | 'project';
  canManage: boolean;
  members: Member[] | undefined;
  list(): Promise<ApiKey[]>;
  create(name: string, expiresAt?: string): Promise<ApiKey>;
  remove(id: string): Promise<void>;
  scopeKey: string;
}) {
  const keys = useLoad(props.list, [props.scopeKey]);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<ApiKey | null>(null);
  const [deleting, setDeleting] = useState<ApiKey | null>(null);
  const del = useAction();
  const creator = (id: string) => props.members?.find((m) => m.id === id)?.email ?? 'a former member';
  const headingId = useId();
  const what = props.kind === 'workspace' ? 'Workspace API keys act on the Management API for this workspace: they create projects and manage keys and members.' : 'Project API keys call this project’s admin APIs (identities, sessions, OAuth2 clients, permissions).';

  return (
    <section aria-labelledby={headingId} className="card">
      <div className="card-head">
        <div>
          <h2 id={headingId}>API keys</h2>
          <p className="muted">{what}</p>
        </div>
        {props.canManage && (
          <button type="button" className="btn primary" onClick={() => setCreating(true)}>
            Create new API key
          </button>
        )}
      </div>
      {!props.canManage && <p className="notice">Your role lets you see these keys but not create or delete them.</p>}
      <ErrorMessage>{keys.error}</ErrorMessage>
      {keys.data && keys.data.length === 0 && <p className="empty">No API keys yet.</p>}
      {keys.data && keys.data.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Created by</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                {props.canManage && (
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {keys.data.map((k) => (
                <tr key={k.id}>
                  <td className="strong">{k.name}</td>
                  <td className="mono" aria-label={`ending in ${k.last_characters}`}>
                    …{k.last_characters}
                  </td>
                  <td>{creator(k.owner_id)}</td>
                  <td>{formatDate(k.created_at)}</td>
                  <td>
                    {k.expires_at ? formatDate(k.expires_at) : 'Never'}
                    {isExpired(k) && (
                      <>
                        {' '}
                        <span className="badge expired">Expired</span>
                      </>
                    )}
                  </td>
                  <td>{k.last_used_at ? formatDate(k.last_used_at) : 'Never'}</td>
                  {props.canManage && (
                    <td className="row-actions">
                      <button type="button" className="btn small danger-ghost" onClick={() => setDeleting(k)} aria-label={`Delete API key ${k.name}`}>
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
      {creating && (
        <CreateKeyDialog
          onClose={() => setCreating(false)}
          create={async (name, expiresAt) => {
            const key = await props.create(name, expiresAt);
            setCreating(false);
            setCreated(key);
            void keys.reload();
          }}
        />
      )}
      {created?.value && <KeyPrompt name={created.name} value={created.value} onClose={() => setCreated(null)} />}
      {deleting && (
        <ConfirmDialog
          title="Delete this API key?"
          body={
            <p>
              The key <strong>{deleting.name}</strong> (ending in <span className="mono">{deleting.last_characters}</span>) {isExpired(deleting) ? 'has expired; deleting it removes it from this list.' : 'stops working at once. Anything that still uses it will be refused.'} This cannot be undone.
            </p>
          }
          confirmLabel="Delete API key"
          busy={del.busy}
          error={del.error}
          onClose={() => {
            setDeleting(null);
            del.setError('');
          }}
          onConfirm={async () => {
            const ok = await del.run(async () => {
              await props.remove(deleting.id);
              return true;
            });
            if (ok) {
              setDeleting(null);
              void keys.reload();
            }
          }}
        />
      )}
    </section>
  );
}

/** An expired key is refused by the API; the list says so in words, not only by its past date. */
const isExpired = (k: ApiKey) => !!k.expires_at && Date.parse(k.expires_at) <= Date.now();

function CreateKeyDialog({ onClose, create }: { onClose(): void; create(name: string, expiresAt?: string): Promise<void> }) {
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('');
  const { busy, error, run } = useAction();
  const nameId = useId();
  const expId = useId();
  const hintId = useId();
  const tomorrow = new Date(Date.now() + 86400_000).toISOString().slice(0, 10);
  return (
    <Dialog title="Create new API key" onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          // A chosen date expires at the end of that day, local time.
          const expiresAt = expires ? new Date(`${expires}T23:59:59`).toISOString() : undefined;
          await run(() => create(name.trim(), expiresAt));
        }}
      >
        <div className="field">
          <label htmlFor={nameId}>Name</label>
          <input id={nameId} value={name} onChange={(e) => setName(e.target.value)} required maxLength={256} autoFocus placeholder="e.g. backend production" />
        </div>
        <div className="field">
          <label htmlFor={expId}>Expires on (optional)</label>
          <input id={expId} type="date" value={expires} min={tomorrow} onChange={(e) => setExpires(e.target.value)} aria-describedby={hintId} />
          <p id={hintId} className="hint">
            Leave empty for a key that does not expire.
          </p>
        </div>
        <ErrorMessage>{error}</ErrorMessage>
        <FormActions onCancel={onClose} busy={busy} label="Create" busyLabel="Creating…" />
      </form>
    </Dialog>
  );
}
