import { useId, useState } from 'react';
import { api, formatDate } from '../../api';
import { useLoad } from '../../hooks';
import { Link } from '../../router';
import { ErrorMessage } from '../../components/Dialog';
import { userKeysApi, type UserKey } from '../../user-keys-api';
import type { DataPageProps } from '../Project';
import { RANGES, windowOf } from './ranges';

interface Row {
  id: string;
  name: string;
  kind: 'Workspace key' | 'Project key' | 'User key';
  detail: string;
  lastUsed?: string;
  requests: number;
  refusals: number;
}

/** Every Gatehouse project key and user key of the project: last use, requests per day and refusals in a window. */
export default function KeysInUse({ ws, project }: DataPageProps) {
  const [rangeId, setRangeId] = useState('7d');
  const range = RANGES.find((r) => r.id === rangeId)!;
  const selectId = useId();
  const rows = useLoad(async (): Promise<Row[]> => {
    const w = windowOf(range);
    const users = userKeysApi(project.slug);
    const [projectKeys, usage, issued, imported, workspaceKeys, workspaceUsage] = await Promise.all([
      api.projectKeys(project.id),
      api.projectKeyUsage(project.id, w.from, w.to),
      allUserKeys(users, 'issued'),
      allUserKeys(users, 'imported'),
      // Workspace keys act on every project of the workspace.
      api.workspaceKeys(ws),
      api.workspaceKeyUsage(ws, w.from, w.to),
    ]);
    const use = new Map([...usage, ...workspaceUsage].map((u) => [u.key_id, u]));
    const of = (id: string) => ({ requests: use.get(id)?.requests ?? 0, refusals: use.get(id)?.refusals ?? 0 });
    const out: Row[] = [
      ...workspaceKeys.map((k) => ({ id: k.id, name: k.name, kind: 'Workspace key' as const, detail: `…${k.last_characters}`, lastUsed: k.last_used_at, ...of(k.id) })),
      ...projectKeys.map((k) => ({ id: k.id, name: k.name, kind: 'Project key' as const, detail: `…${k.last_characters}`, lastUsed: k.last_used_at, ...of(k.id) })),
      ...[...issued, ...imported].map((k) => ({ id: k.key_id, name: k.name || '(no name)', kind: 'User key' as const, detail: k.actor_id, lastUsed: k.last_used_time, ...of(k.key_id) })),
    ];
    // The busiest first; keys without use in the window by their last use.
    return out.sort((a, b) => b.requests - a.requests || b.refusals - a.refusals || (b.lastUsed ?? '').localeCompare(a.lastUsed ?? ''));
  }, [project.id, rangeId]);

  return (
    <section className="card" aria-labelledby="usage-h">
      <div className="card-head">
        <div>
          <h2 id="usage-h">Keys in use</h2>
          <p className="muted">
            This project’s API keys, the workspace’s keys and the keys the project issued to its users: how much each is used and how often it is refused. Who changed a key, and when, is in the workspace’s <Link to={`/w/${ws}/activity`}>Activity</Link>.
          </p>
        </div>
        <div className="field inline-field">
          <label htmlFor={selectId}>Period</label>
          <select id={selectId} value={rangeId} onChange={(e) => setRangeId(e.target.value)}>
            {RANGES.map((r) => (
              <option key={r.id} value={r.id}>
                {r.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ErrorMessage>{rows.error}</ErrorMessage>
      {rows.loading && !rows.data && <p role="status">Loading…</p>}
      {rows.data && rows.data.length === 0 && <p className="empty">This project has no keys yet.</p>}
      {rows.data && rows.data.length > 0 && (
        <div className="table-wrap">
          <table aria-label="Keys in use">
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Kind</th>
                <th scope="col">Last used</th>
                <th scope="col">Requests</th>
                <th scope="col">Per day</th>
                <th scope="col">Refusals</th>
              </tr>
            </thead>
            <tbody>
              {rows.data.map((r) => (
                <tr key={r.id}>
                  <td>
                    <span className="strong">{r.name}</span> <span className="muted mono small">{r.detail}</span>
                  </td>
                  <td>{r.kind}</td>
                  <td>{r.lastUsed ? formatDate(r.lastUsed) : 'Never'}</td>
                  <td>{r.requests}</td>
                  <td>{perDay(r.requests, range.days)}</td>
                  <td className={r.refusals ? 'refusals' : undefined}>{r.refusals}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

const perDay = (n: number, days: number) => (n === 0 ? '0' : (n / days).toFixed(n / days < 10 ? 1 : 0));

/** Every user key of a kind (pages of 50; a project with thousands of them would want a search instead). */
async function allUserKeys(users: ReturnType<typeof userKeysApi>, kind: 'issued' | 'imported'): Promise<UserKey[]> {
  const out: UserKey[] = [];
  let token: string | undefined;
  for (let i = 0; i < 20; i++) {
    const page = await users.list(kind, {}, token);
    out.push(...page.keys);
    if (!page.next) break;
    token = page.next;
  }
  return out;
}
