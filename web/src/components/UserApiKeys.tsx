import { useEffect, useId, useState } from 'react';
import { formatDate } from '../api';
import { errorText, useAction } from '../hooks';
import { REASON_SHORT, REVOCATION_REASONS, userKeysApi, type KeyStatus, type NewUserKey, type UserKey, type UserKeyFilter, type UserKeyKind } from '../user-keys-api';
import { ConfirmDialog, Dialog, ErrorMessage, FormActions } from './Dialog';
import { KeyPrompt } from './KeyPrompt';

const STATUS_WORD: Record<KeyStatus, string> = { KEY_STATUS_ACTIVE: 'Active', KEY_STATUS_EXPIRED: 'Expired', KEY_STATUS_REVOKED: 'Revoked', KEY_STATUS_UNSPECIFIED: 'Unknown' };
const STATUS_CLASS: Record<KeyStatus, string> = { KEY_STATUS_ACTIVE: 'active', KEY_STATUS_EXPIRED: 'expired', KEY_STATUS_REVOKED: 'revoked', KEY_STATUS_UNSPECIFIED: '' };

const TTLS: Array<[string, string]> = [['', 'Never'], ['24h', '1 day'], ['30d', '30 days'], ['90d', '90 days'], ['1y', '1 year']];
const WINDOWS: Array<[string, string]> = [['1s', 'requests per second'], ['60s', 'requests per minute'], ['3600s', 'requests per hour'], ['86400s', 'requests per day']];

/** A key's status as a badge a person reads at a glance, with why it was revoked. */
export function StatusBadge({ k }: { k: UserKey }) {
  const reason = k.status === 'KEY_STATUS_REVOKED' ? REASON_SHORT[k.revocation_reason ?? ''] : undefined;
  return (
    <span className="status-cell">
      <span className={`badge status ${STATUS_CLASS[k.status]}`}>{STATUS_WORD[k.status]}</span>
      {reason && <span className="muted small"> ({reason})</span>}
      {k.revocation_description && <span className="muted small block">{k.revocation_description}</span>}
    </span>
  );
}

/**
 * "API keys for your users": the keys a project issues to its own customers (Ory's ApiKeysApi),
 * listed with a filter and pages; issuing one (its secret shown once, in the key prompt), rotating
 * an issued one (the old one is revoked as superseded) and revoking one with a reason. A viewer sees
 * the list only; the server refuses their changes anyway.
 */
export default function UserApiKeys({ slug, canManage }: { slug: string; canManage: boolean }) {
  const keysApi = userKeysApi(slug);
  const [kind, setKind] = useState<UserKeyKind>('issued');
  const [status, setStatus] = useState<UserKeyFilter['status'] | ''>('');
  const [actor, setActor] = useState('');
  const [name, setName] = useState('');
  // Typed filters apply once the typing pauses; the selects at once.
  const [typed, setTyped] = useState({ actor: '', name: '' });
  useEffect(() => {
    const t = setTimeout(() => setTyped({ actor, name }), 300);
    return () => clearTimeout(t);
  }, [actor, name]);
  const [list, setList] = useState<{ keys: UserKey[]; next?: string; error?: string; loading: boolean }>({ keys: [], loading: true });
  const [revision, setRevision] = useState(0);
  const reload = () => setRevision((r) => r + 1);
  const [issuing, setIssuing] = useState(false);
  const [shown, setShown] = useState<{ name: string; secret: string } | null>(null);
  const [rotating, setRotating] = useState<UserKey | null>(null);
  const [revoking, setRevoking] = useState<UserKey | null>(null);
  const rotate = useAction();
  const ids = { kind: useId(), status: useId(), actor: useId(), name: useId(), heading: useId() };
  const filter: UserKeyFilter = { status: status || undefined, actor_id: typed.actor, name: typed.name };
  const filtered = !!(status || typed.actor.trim() || typed.name.trim());

  useEffect(() => {
    let live = true;
    setList((l) => ({ ...l, loading: true, error: undefined }));
    keysApi.list(kind, filter).then(
      (page) => live && setList({ keys: page.keys, next: page.next, loading: false }),
      (err) => live && setList({ keys: [], loading: false, error: errorText(err) }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [slug, kind, status, typed.actor, typed.name, revision]);

  const more = async () => {
    if (!list.next) return;
    setList((l) => ({ ...l, loading: true }));
    try {
      const page = await keysApi.list(kind, filter, list.next);
      setList((l) => ({ keys: [...l.keys, ...page.keys], next: page.next, loading: false }));
    } catch (err) {
      setList((l) => ({ ...l, loading: false, error: errorText(err) }));
    }
  };

  return (
    <section aria-labelledby={ids.heading} className="card">
      <div className="card-head">
        <div>
          <h2 id={ids.heading}>API keys for your users</h2>
          <p className="muted">Keys this project gives to its own customers. Your backend verifies them with the project’s API (<span className="mono">adminVerifyApiKey</span>).</p>
        </div>
        {canManage && (
          <button type="button" className="btn primary" onClick={() => setIssuing(true)}>
            Issue API key
          </button>
        )}
      </div>
      {!canManage && <p className="notice">Your role lets you see these keys but not issue, rotate or revoke them.</p>}
      <form className="filters" aria-label="Filter keys" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor={ids.kind}>Keys</label>
          <select id={ids.kind} value={kind} onChange={(e) => setKind(e.target.value as UserKeyKind)}>
            <option value="issued">Issued by this project</option>
            <option value="imported">Imported</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.status}>Status</label>
          <select id={ids.status} value={status} onChange={(e) => setStatus(e.target.value as UserKeyFilter['status'] | '')}>
            <option value="">Any status</option>
            <option value="KEY_STATUS_ACTIVE">Active</option>
            <option value="KEY_STATUS_EXPIRED">Expired</option>
            <option value="KEY_STATUS_REVOKED">Revoked</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.actor}>Actor</label>
          <input id={ids.actor} value={actor} onChange={(e) => setActor(e.target.value)} placeholder="exact actor ID" className="mono" />
        </div>
        <div className="field">
          <label htmlFor={ids.name}>Name starts with</label>
          <input id={ids.name} value={name} onChange={(e) => setName(e.target.value)} />
        </div>
      </form>
      <ErrorMessage>{list.error}</ErrorMessage>
      <p role="status" className="sr-only">
        {list.loading ? 'Loading keys…' : `${list.keys.length}${list.next ? ' or more' : ''} keys shown.`}
      </p>
      {!list.loading && !list.error && list.keys.length === 0 && <p className="empty">{filtered ? 'No keys match these filters.' : kind === 'issued' ? 'No keys issued yet.' : 'No keys imported yet.'}</p>}
      {list.keys.length > 0 && (
        <div className="table-wrap">
          <table aria-label="API keys for your users">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Actor</th>
                <th scope="col">Status</th>
                <th scope="col">Scopes</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">Created</th>
                {canManage && (
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {list.keys.map((k) => (
                <tr key={k.key_id} data-key-id={k.key_id}>
                  <td className="strong">{k.name || <span className="muted">(no name)</span>}</td>
                  <td className="mono">{k.actor_id}</td>
                  <td>
                    <StatusBadge k={k} />
                  </td>
                  <td className="mono">{k.scopes.length ? k.scopes.join(' ') : <span className="muted">none</span>}</td>
                  <td>{k.expire_time ? formatDate(k.expire_time) : 'Never'}</td>
                  <td>{k.last_used_time ? <time dateTime={k.last_used_time}>{formatDate(k.last_used_time)}</time> : 'Never'}</td>
                  <td>{formatDate(k.create_time)}</td>
                  {canManage && (
                    <td className="row-actions">
                      {k.status === 'KEY_STATUS_ACTIVE' && kind === 'issued' && (
                        <button type="button" className="btn small" onClick={() => setRotating(k)} aria-label={`Rotate key ${k.name}`}>
                          Rotate
                        </button>
                      )}
                      {k.status !== 'KEY_STATUS_REVOKED' && (
                        <button type="button" className="btn small danger-ghost" onClick={() => setRevoking(k)} aria-label={`Revoke key ${k.name}`}>
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
      {list.next && (
        <button type="button" className="btn" onClick={() => void more()} disabled={list.loading}>
          {list.loading ? 'Loading…' : 'Show more keys'}
        </button>
      )}
      {issuing && (
        <IssueKeyDialog
          onClose={() => setIssuing(false)}
          issue={async (input) => {
            const r = await keysApi.issue(input);
            setIssuing(false);
            setShown({ name: r.issued_api_key.name, secret: r.secret });
            reload();
          }}
        />
      )}
      {rotating && (
        <ConfirmDialog
          title="Rotate this key?"
          body={
            <p>
              A new key replaces <strong>{rotating.name}</strong> of <span className="mono">{rotating.actor_id}</span>, with the same scopes, limits and lifetime. The old key is revoked at once (superseded). The new one is shown once.
            </p>
          }
          confirmLabel="Rotate key"
          busy={rotate.busy}
          error={rotate.error}
          onClose={() => {
            setRotating(null);
            rotate.setError('');
          }}
          onConfirm={async () => {
            const r = await rotate.run(() => keysApi.rotate(rotating.key_id));
            if (r) {
              setRotating(null);
              setShown({ name: r.issued_api_key.name, secret: r.secret });
              reload();
            }
          }}
        />
      )}
      {revoking && (
        <RevokeKeyDialog
          apiKey={revoking}
          onClose={() => setRevoking(null)}
          revoke={async (reason, description) => {
            await keysApi.revoke(kind, revoking.key_id, reason, description);
            setRevoking(null);
            reload();
          }}
        />
      )}
      {shown && <KeyPrompt name={shown.name} value={shown.secret} onClose={() => setShown(null)} />}
    </section>
  );
}

function RevokeKeyDialog({ apiKey, onClose, revoke }: { apiKey: UserKey; onClose(): void; revoke(reason: string, description?: string): Promise<void> }) {
  const [reason, setReason] = useState('REVOCATION_REASON_KEY_COMPROMISE');
  const [description, setDescription] = useState('');
  const { busy, error, run } = useAction();
  const reasonId = useId();
  const descId = useId();
  const withdrawn = reason === 'REVOCATION_REASON_PRIVILEGE_WITHDRAWN';
  return (
    <Dialog title="Revoke this key?" onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          await run(() => revoke(reason, withdrawn ? description.trim() || undefined : undefined));
        }}
      >
        <p>
          The key <strong>{apiKey.name}</strong> of <span className="mono">{apiKey.actor_id}</span> stops verifying at once, on every node. It stays in the list, marked revoked. This cannot be undone.
        </p>
        <div className="field">
          <label htmlFor={reasonId}>Reason</label>
          <select id={reasonId} value={reason} onChange={(e) => setReason(e.target.value)} autoFocus>
            {REVOCATION_REASONS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        {withdrawn && (
          <div className="field">
            <label htmlFor={descId}>Why (optional, kept with the key)</label>
            <textarea id={descId} value={description} onChange={(e) => setDescription(e.target.value)} rows={2} maxLength={1024} />
          </div>
        )}
        <ErrorMessage>{error}</ErrorMessage>
        <div className="actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn danger" disabled={busy}>
            {busy ? 'Revoking…' : 'Revoke key'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function IssueKeyDialog({ onClose, issue }: { onClose(): void; issue(key: NewUserKey): Promise<void> }) {
  const [name, setName] = useState('');
  const [actor, setActor] = useState('');
  const [scopes, setScopes] = useState('');
  const [ttl, setTtl] = useState('');
  const [quota, setQuota] = useState('');
  const [per, setPer] = useState('60s');
  const [cidrs, setCidrs] = useState('');
  const [metadata, setMetadata] = useState('');
  const { busy, error, setError, run } = useAction();
  const ids = { name: useId(), actor: useId(), actorHint: useId(), scopes: useId(), scopesHint: useId(), ttl: useId(), quota: useId(), window: useId(), cidrs: useId(), cidrsHint: useId(), metadata: useId(), metadataHint: useId() };
  return (
    <Dialog title="Issue an API key" onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const input: NewUserKey = { name: name.trim(), actor_id: actor.trim() };
          const list = scopes.split(/[\s,]+/).filter(Boolean);
          if (list.length) input.scopes = list;
          if (ttl) input.ttl = ttl;
          if (quota.trim()) input.rate_limit_policy = { quota: quota.trim(), window: per };
          const ranges = cidrs.split(/[\s,]+/).filter(Boolean);
          if (ranges.length) input.ip_restriction = { allowed_cidrs: ranges };
          if (metadata.trim()) {
            let parsed: unknown;
            try {
              parsed = JSON.parse(metadata);
            } catch {
              return setError('Metadata is not valid JSON.');
            }
            if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return setError('Metadata must be a JSON object, such as {"plan": "pro"}.');
            input.metadata = parsed as Record<string, unknown>;
          }
          await run(() => issue(input));
        }}
      >
        <div className="field">
          <label htmlFor={ids.name}>Name</label>
          <input id={ids.name} value={name} onChange={(e) => setName(e.target.value)} required maxLength={256} autoFocus placeholder="e.g. ci" />
        </div>
        <div className="field">
          <label htmlFor={ids.actor}>Actor ID</label>
          <input id={ids.actor} value={actor} onChange={(e) => setActor(e.target.value)} required maxLength={256} aria-describedby={ids.actorHint} className="mono" placeholder="e.g. customer_42" />
          <p id={ids.actorHint} className="hint">
            Who holds the key in your product: verification answers with this ID.
          </p>
        </div>
        <div className="field">
          <label htmlFor={ids.scopes}>Scopes (optional)</label>
          <input id={ids.scopes} value={scopes} onChange={(e) => setScopes(e.target.value)} aria-describedby={ids.scopesHint} className="mono" placeholder="orders:read orders:write" />
          <p id={ids.scopesHint} className="hint">
            Your product’s own scopes, separated by spaces or commas.
          </p>
        </div>
        <div className="field">
          <label htmlFor={ids.ttl}>Expires after</label>
          <select id={ids.ttl} value={ttl} onChange={(e) => setTtl(e.target.value)}>
            {TTLS.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.quota}>Rate limit (optional)</label>
          <div className="inline">
            <input id={ids.quota} type="number" min={1} inputMode="numeric" value={quota} onChange={(e) => setQuota(e.target.value)} placeholder="e.g. 600" />
            <label htmlFor={ids.window} className="sr-only">
              per
            </label>
            <select id={ids.window} value={per} onChange={(e) => setPer(e.target.value)}>
              {WINDOWS.map(([v, l]) => (
                <option key={v} value={v}>
                  {l}
                </option>
              ))}
            </select>
          </div>
        </div>
        <div className="field">
          <label htmlFor={ids.cidrs}>Allowed addresses (optional)</label>
          <input id={ids.cidrs} value={cidrs} onChange={(e) => setCidrs(e.target.value)} aria-describedby={ids.cidrsHint} className="mono" placeholder="203.0.113.0/24" />
          <p id={ids.cidrsHint} className="hint">
            IP addresses or CIDR ranges the key may be used from; empty for anywhere.
          </p>
        </div>
        <div className="field">
          <label htmlFor={ids.metadata}>Metadata (optional)</label>
          <textarea id={ids.metadata} value={metadata} onChange={(e) => setMetadata(e.target.value)} rows={2} aria-describedby={ids.metadataHint} className="mono" placeholder='{"plan": "pro"}' spellCheck={false} />
          <p id={ids.metadataHint} className="hint">
            A JSON object (at most 4 KB) that verification returns with the key.
          </p>
        </div>
        <ErrorMessage>{error}</ErrorMessage>
        <FormActions onCancel={onClose} busy={busy} label="Issue key" busyLabel="Issuing…" />
      </form>
    </Dialog>
  );
}
