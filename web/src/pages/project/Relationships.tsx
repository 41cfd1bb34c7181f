import { useId, useMemo, useState } from 'react';
import { errorText, useAction, useLoad } from '../../hooks';
import { projectApi, type ExpandTree, type Tuple } from '../../project-api';
import { ConfirmDialog, Dialog, ErrorMessage, FormActions } from '../../components/Dialog';
import type { DataPageProps } from '../Project';

/** A tuple's subject as Keto writes it: an id, or `namespace:object#relation`. */
const subjectText = (t: Tuple) => (t.subject_set ? `${t.subject_set.namespace}:${t.subject_set.object}${t.subject_set.relation ? `#${t.subject_set.relation}` : ''}` : (t.subject_id ?? ''));
const tupleText = (t: Tuple) => `${t.namespace}:${t.object}#${t.relation}@${subjectText(t)}`;

/** Reads a subject typed as Keto writes it: `namespace:object#relation` is a subject set, anything else a subject id. */
function parseSubject(s: string): Pick<Tuple, 'subject_id' | 'subject_set'> {
  const m = /^([^:#@\s]+):([^#@\s]+)(?:#([^#@\s]*))?$/.exec(s.trim());
  return m ? { subject_set: { namespace: m[1], object: m[2], relation: m[3] ?? '' } } : { subject_id: s.trim() };
}

/** The project's relation tuples (Keto's RelationshipApi): browse and filter, add, delete; and a permission check with its expand tree. */
export default function Relationships({ project, manage }: DataPageProps) {
  const api = useMemo(() => projectApi(project.slug), [project.slug]);
  const namespaces = useLoad(() => api.namespaces(), [api]);
  const [draft, setDraft] = useState({ namespace: '', object: '', relation: '', subject_id: '' });
  const [query, setQuery] = useState(draft);
  const [tokens, setTokens] = useState<(string | undefined)[]>([undefined]);
  const list = useLoad(() => api.tuples(query, tokens[tokens.length - 1]), [api, query, tokens]);
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState<Tuple | null>(null);
  const del = useAction();
  const ids = { ns: useId(), obj: useId(), rel: useId(), sub: useId() };
  const nsOptions = namespaces.data ?? [];

  return (
    <>
      <section className="card" aria-labelledby="tuples-h">
        <div className="card-head">
          <div>
            <h2 id="tuples-h">Relationships</h2>
            <p className="muted">Who has which relation to what: the relation tuples permission checks are answered from.</p>
          </div>
          {manage && (
            <button type="button" className="btn primary" onClick={() => setAdding(true)} disabled={nsOptions.length === 0}>
              Add relationship
            </button>
          )}
        </div>
        {namespaces.data && nsOptions.length === 0 && <p className="notice">This project has no namespaces yet: add them under Settings → Permissions.</p>}
        <form
          className="filters"
          aria-label="Filter relationships"
          onSubmit={(e) => {
            e.preventDefault();
            setTokens([undefined]);
            setQuery({ ...draft });
          }}
        >
          <div className="field">
            <label htmlFor={ids.ns}>Namespace</label>
            <select id={ids.ns} value={draft.namespace} onChange={(e) => setDraft({ ...draft, namespace: e.target.value })}>
              <option value="">Any namespace</option>
              {nsOptions.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={ids.obj}>Object</label>
            <input id={ids.obj} value={draft.object} onChange={(e) => setDraft({ ...draft, object: e.target.value })} className="mono" />
          </div>
          <div className="field">
            <label htmlFor={ids.rel}>Relation</label>
            <input id={ids.rel} value={draft.relation} onChange={(e) => setDraft({ ...draft, relation: e.target.value })} className="mono" />
          </div>
          <div className="field">
            <label htmlFor={ids.sub}>Subject ID</label>
            <input id={ids.sub} value={draft.subject_id} onChange={(e) => setDraft({ ...draft, subject_id: e.target.value })} className="mono" />
          </div>
          <div className="field filter-submit">
            <button type="submit" className="btn">
              Filter
            </button>
          </div>
        </form>
        <ErrorMessage>{list.error}</ErrorMessage>
        {list.data && list.data.tuples.length === 0 && <p className="empty">No relationships match.</p>}
        {list.data && list.data.tuples.length > 0 && (
          <div className="table-wrap">
            <table aria-label="Relationships">
              <thead>
                <tr>
                  <th scope="col">Namespace</th>
                  <th scope="col">Object</th>
                  <th scope="col">Relation</th>
                  <th scope="col">Subject</th>
                  {manage && (
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {list.data.tuples.map((t) => (
                  <tr key={tupleText(t)}>
                    <td className="mono">{t.namespace}</td>
                    <td className="mono">{t.object}</td>
                    <td className="mono">{t.relation}</td>
                    <td className="mono">{subjectText(t)}</td>
                    {manage && (
                      <td className="row-actions">
                        <button type="button" className="btn small danger-ghost" onClick={() => setDeleting(t)} aria-label={`Delete ${tupleText(t)}`}>
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
      </section>
      <CheckBox api={api} namespaces={nsOptions} />
      {adding && (
        <TupleDialog
          namespaces={nsOptions}
          onClose={() => setAdding(false)}
          save={async (t) => {
            await api.createTuple(t);
            setAdding(false);
            void list.reload();
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete this relationship?"
          body={<p className="mono">{tupleText(deleting)}</p>}
          confirmLabel="Delete relationship"
          busy={del.busy}
          error={del.error}
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            if (await del.run(async () => (await api.deleteTuple(deleting), true))) {
              setDeleting(null);
              void list.reload();
            }
          }}
        />
      )}
    </>
  );
}

function TupleFields({ namespaces, value, onChange, subjectLabel = 'Subject' }: { namespaces: string[]; value: { namespace: string; object: string; relation: string; subject: string }; onChange(v: typeof value): void; subjectLabel?: string }) {
  const ids = { ns: useId(), obj: useId(), rel: useId(), sub: useId(), hint: useId() };
  return (
    <>
      <div className="field">
        <label htmlFor={ids.ns}>Namespace</label>
        <select id={ids.ns} value={value.namespace} onChange={(e) => onChange({ ...value, namespace: e.target.value })} required>
          {namespaces.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.obj}>Object</label>
        <input id={ids.obj} value={value.object} onChange={(e) => onChange({ ...value, object: e.target.value })} required className="mono" placeholder="readme.md" />
      </div>
      <div className="field">
        <label htmlFor={ids.rel}>Relation</label>
        <input id={ids.rel} value={value.relation} onChange={(e) => onChange({ ...value, relation: e.target.value })} required className="mono" placeholder="viewer" />
      </div>
      <div className="field">
        <label htmlFor={ids.sub}>{subjectLabel}</label>
        <input id={ids.sub} value={value.subject} onChange={(e) => onChange({ ...value, subject: e.target.value })} required className="mono" aria-describedby={ids.hint} placeholder="user_42 or groups:admins#member" />
        <p id={ids.hint} className="hint">
          A subject ID, or a subject set written namespace:object#relation.
        </p>
      </div>
    </>
  );
}

function TupleDialog({ namespaces, onClose, save }: { namespaces: string[]; onClose(): void; save(t: Tuple): Promise<void> }) {
  const [v, setV] = useState({ namespace: namespaces[0] ?? '', object: '', relation: '', subject: '' });
  const { busy, error, run } = useAction();
  return (
    <Dialog title="Add a relationship" onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          await run(() => save({ namespace: v.namespace, object: v.object.trim(), relation: v.relation.trim(), ...parseSubject(v.subject) }));
        }}
      >
        <TupleFields namespaces={namespaces} value={v} onChange={setV} />
        <ErrorMessage>{error}</ErrorMessage>
        <FormActions onCancel={onClose} busy={busy} label="Add relationship" busyLabel="Adding…" />
      </form>
    </Dialog>
  );
}

/** "Is subject allowed relation on object?": the answer, and the expand tree of who has that relation. */
function CheckBox({ api, namespaces }: { api: ReturnType<typeof projectApi>; namespaces: string[] }) {
  const [v, setV] = useState({ namespace: '', object: '', relation: '', subject: '' });
  const [result, setResult] = useState<{ allowed: boolean; tree?: ExpandTree; asked: string; treeError?: string } | null>(null);
  const { busy, error, run } = useAction();
  const ns = v.namespace || namespaces[0] || '';
  return (
    <section className="card" aria-labelledby="check-h">
      <h2 id="check-h">Check a permission</h2>
      <form
        className="check-form"
        onSubmit={async (e) => {
          e.preventDefault();
          const t: Tuple = { namespace: ns, object: v.object.trim(), relation: v.relation.trim(), ...parseSubject(v.subject) };
          await run(async () => {
            const allowed = await api.check(t);
            let tree: ExpandTree | undefined;
            let treeError: string | undefined;
            try {
              tree = await api.expand({ namespace: t.namespace, object: t.object, relation: t.relation });
            } catch (err) {
              treeError = errorText(err);
            }
            setResult({ allowed, tree, treeError, asked: tupleText(t) });
          });
        }}
      >
        <div className="filters">
          <TupleFields namespaces={namespaces} value={{ ...v, namespace: ns }} onChange={setV} />
        </div>
        <button type="submit" className="btn primary" disabled={busy || !ns}>
          {busy ? 'Checking…' : 'Check'}
        </button>
      </form>
      <ErrorMessage>{error}</ErrorMessage>
      <div role="status" aria-live="polite">
        {result && (
          <p className={`verdict ${result.allowed ? 'allowed' : 'denied'}`}>
            <span className="strong">{result.allowed ? 'Allowed' : 'Not allowed'}</span> <span className="mono small">{result.asked}</span>
          </p>
        )}
      </div>
      {result?.tree && (
        <>
          <h3>Who has this relation (expand tree)</h3>
          <ul className="tree" aria-label="Expand tree">
            <TreeNode node={result.tree} />
          </ul>
        </>
      )}
      {result?.treeError && <p className="muted">The expand tree could not be shown: {result.treeError}</p>}
    </section>
  );
}

function TreeNode({ node }: { node: ExpandTree }) {
  const t = node.tuple;
  const label = !t ? node.type : node.type === 'leaf' ? subjectText(t) || `${t.namespace}:${t.object}#${t.relation}` : `${t.namespace}:${t.object}#${t.relation}`;
  return (
    <li>
      <span className="mono">{label}</span> {node.type !== 'leaf' && <span className="muted small">({node.type})</span>}
      {node.children && node.children.length > 0 && (
        <ul>
          {node.children.map((c, i) => (
            <TreeNode key={i} node={c} />
          ))}
        </ul>
      )}
    </li>
  );
}
