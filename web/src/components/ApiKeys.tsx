import { useId, useState } from 'react';
import { formatDate, type ApiKey, type Member, type NewApiKey } from '../api';
import { useAction, useLoad } from '../hooks';
import { ConfirmDialog, Dialog, ErrorMessage, FormActions } from './Dialog';
import { KeyPrompt } from './KeyPrompt';

/** The resources a key of each kind can be scoped to, as the server names them (src/keys/scopes.ts). */
const RESOURCES: Record<'workspace' | 'project', Array<[string, string]>> = {
  workspace: [['workspace', 'Workspace'], ['projects', 'Projects and their config'], ['members', 'Members and invites'], ['organizations', 'Organizations (SSO)'], ['api_keys', 'API keys']],
  project: [['identities', 'Identities'], ['sessions', 'Sessions'], ['oauth2', 'OAuth2 clients and flows'], ['relationships', 'Permissions (relationships)'], ['courier', 'Courier messages'], ['api_keys', 'API keys for your users']],
};

const GRACE_PERIODS: Array<[string, string]> = [['0s', 'None: the old key stops now'], ['1h', '1 hour'], ['24h', '24 hours'], ['168h', '7 days'], ['720h', '30 days']];

/** "Full access", or the scopes in words: `identities:write` as "Identities (write)". */
function accessOf(kind: 'workspace' | 'project', k: ApiKey): string {
  if (!k.scopes) return 'Full access';
  const label = (r: string) => RESOURCES[kind].find(([id]) => id === r)?.[1] ?? r;
  return k.scopes.map((s) => { const [r, level] = s.split(':'); return `${label(r)} (${level})`; }).join(', ') || 'No access';
}

function limitsOf(k: ApiKey): string {
  const parts: string[] = [];
  if (k.allowed_cidrs) parts.push(`From ${k.allowed_cidrs.join(', ')}`);
  if (k.rate_limit) parts.push(`${k.rate_limit.requests} requests per ${k.rate_limit.per}`);
  return parts.join('; ') || 'None';
}

/**
 * API keys of a workspace or a project: the list (name, last characters, access, limits, creator,
 * dates), creating one with optional scopes, addresses and rate limit (shown once in the key prompt),
 * rotating one with a grace period, and deleting one after confirmation.
 */
export function ApiKeys(props: {
  kind: 'workspace' | 'project';
  canManage: boolean;
  members: Member[] | undefined;
  list(): Promise<ApiKey[]>;
  create(key: NewApiKey): Promise<ApiKey>;
  rotate(id: string, gracePeriod: string): Promise<ApiKey>;
  remove(id: string): Promise<void>;
  scopeKey: string;
}) {
  const keys = useLoad(props.list, [props.scopeKey]);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<ApiKey | null>(null);
  const [deleting, setDeleting] = useState<ApiKey | null>(null);
  const [rotating, setRotating] = useState<ApiKey | null>(null);
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
                <th scope="col">Access</th>
                <th scope="col">Limits</th>
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
                  <td>{accessOf(props.kind, k)}</td>
                  <td>{limitsOf(k)}</td>
                  <td>{creator(k.owner_id)}</td>
                  <td>{formatDate(k.created_at)}</td>
                  <td>
                    {k.expires_at ? formatDate(k.expires_at) : 'Never'}
                    {k.replaced_by && !isExpired(k) && (
                      <>
                        {' '}
                        <span className="badge">Rotated</span>
                      </>
                    )}
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
                      {!k.replaced_by && !isExpired(k) && (
                        <button type="button" className="btn small" onClick={() => setRotating(k)} aria-label={`Rotate API key ${k.name}`}>
                          Rotate
                        </button>
                      )}
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
      {rotating && (
        <RotateKeyDialog
          apiKey={rotating}
          onClose={() => setRotating(null)}
          rotate={async (grace) => {
            const key = await props.rotate(rotating.id, grace);
            setRotating(null);
            setCreated(key);
            void keys.reload();
          }}
        />
      )}
      {creating && (
        <CreateKeyDialog
          kind={props.kind}
          onClose={() => setCreating(false)}
          create={async (input) => {
            const key = await props.create(input);
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

function RotateKeyDialog({ apiKey, onClose, rotate }: { apiKey: ApiKey; onClose(): void; rotate(grace: string): Promise<void> }) {
  const [grace, setGrace] = useState('24h');
  const { busy, error, run } = useAction();
  const id = useId();
  return (
    <Dialog title="Rotate this API key?" onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          await run(() => rotate(grace));
        }}
      >
        <p>
          A new key replaces <strong>{apiKey.name}</strong> (ending in <span className="mono">{apiKey.last_characters}</span>) with the same name, access and limits. It is shown once.
        </p>
        <div className="field">
          <label htmlFor={id}>Keep the old key working for</label>
          <select id={id} value={grace} onChange={(e) => setGrace(e.target.value)}>
            {GRACE_PERIODS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <ErrorMessage>{error}</ErrorMessage>
        <FormActions onCancel={onClose} busy={busy} label="Rotate" busyLabel="Rotating…" />
      </form>
    </Dialog>
  );
}

type Level = 'none' | 'read' | 'write';

function CreateKeyDialog({ kind, onClose, create }: { kind: 'workspace' | 'project'; onClose(): void; create(key: NewApiKey): Promise<void> }) {
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('');
  const [restricted, setRestricted] = useState(false);
  const [levels, setLevels] = useState<Record<string, Level>>({});
  const [cidrs, setCidrs] = useState('');
  const [requests, setRequests] = useState('');
  const [per, setPer] = useState('1m');
  const cidrId = useId();
  const rateId = useId();
  const perId = useId();
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
          const input: NewApiKey = { name: name.trim() };
          if (expires) input.expires_at = new Date(`${expires}T23:59:59`).toISOString();
          if (restricted) input.scopes = Object.entries(levels).filter(([, l]) => l !== 'none').map(([r, l]) => `${r}:${l}`);
          const ranges = cidrs.split(/[\s,]+/).filter(Boolean);
          if (ranges.length > 0) input.allowed_cidrs = ranges;
          if (requests.trim()) input.rate_limit = { requests: Number(requests), per };
          await run(() => create(input));
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
        <fieldset className="field">
          <legend>Access</legend>
          <label>
            <input type="radio" name="access" checked={!restricted} onChange={() => setRestricted(false)} /> Full access
          </label>
          <label>
            <input type="radio" name="access" checked={restricted} onChange={() => setRestricted(true)} /> Only what I choose
          </label>
          {restricted && (
            <table className="scopes">
              <caption className="sr-only">Scopes</caption>
              <tbody>
                {RESOURCES[kind].map(([resource, label]) => (
                  <tr key={resource}>
                    <th scope="row">{label}</th>
                    <td>
                      <select aria-label={`${label} access`} value={levels[resource] ?? 'none'} onChange={(e) => setLevels({ ...levels, [resource]: e.target.value as Level })}>
                        <option value="none">No access</option>
                        <option value="read">Read</option>
                        <option value="write">Read and write</option>
                      </select>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </fieldset>
        <div className="field">
          <label htmlFor={cidrId}>Allowed addresses (optional)</label>
          <textarea id={cidrId} value={cidrs} onChange={(e) => setCidrs(e.target.value)} rows={2} placeholder="203.0.113.0/24, 2001:db8::/32" />
          <p className="hint">IP addresses or CIDR ranges, separated by commas or lines. Leave empty to allow any address.</p>
        </div>
        <div className="field">
          <label htmlFor={rateId}>Rate limit (optional)</label>
          <div className="inline">
            <input id={rateId} type="number" min={1} inputMode="numeric" value={requests} onChange={(e) => setRequests(e.target.value)} placeholder="e.g. 1000" />
            <label htmlFor={perId} className="sr-only">
              per
            </label>
            <select id={perId} value={per} onChange={(e) => setPer(e.target.value)}>
              <option value="1s">requests per second</option>
              <option value="1m">requests per minute</option>
              <option value="1h">requests per hour</option>
              <option value="24h">requests per day</option>
            </select>
          </div>
        </div>
        <ErrorMessage>{error}</ErrorMessage>
        <FormActions onCancel={onClose} busy={busy} label="Create" busyLabel="Creating…" />
      </form>
    </Dialog>
  );
}
