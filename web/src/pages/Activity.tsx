import { useEffect, useId, useState } from 'react';
import { api, formatDate } from '../api';
import { auditEvents, EVENT_LABELS, type AuditEvent, type AuditFilter } from '../audit-api';
import { errorText, useLoad } from '../hooks';
import { ErrorMessage } from '../components/Dialog';
import { useWorkspace } from '../session';

const RANGES = [
  { id: '', label: 'Any time' },
  { id: '1', label: 'Last 24 hours' },
  { id: '7', label: 'Last 7 days' },
  { id: '30', label: 'Last 30 days' },
];

const sinceOf = (days: string) => (days ? new Date(Date.now() - Number(days) * 24 * 3600 * 1000).toISOString() : undefined);

/** The workspace's audit log: who changed what, when and from where, newest first, with filters. */
export default function Activity({ ws }: { ws: string }) {
  const { current } = useWorkspace();
  const [event, setEvent] = useState('');
  const [actor, setActor] = useState('');
  const [range, setRange] = useState('');
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(false);
  // The actor filter offers the workspace's people and keys by name.
  const people = useLoad(() => api.members(ws).catch(() => []), [ws]);
  const keys = useLoad(() => api.workspaceKeys(ws).catch(() => []), [ws]);
  const ids = { event: useId(), actor: useId(), range: useId() };

  useEffect(() => {
    let live = true;
    const filter: AuditFilter = { event: event || undefined, actor: actor || undefined, since: sinceOf(range) };
    setLoading(true);
    setError('');
    auditEvents(ws, filter).then(
      (page) => {
        if (!live) return;
        setEvents(page.events);
        setNext(page.next);
        setLoading(false);
      },
      (err) => {
        if (!live) return;
        setEvents(null);
        setError(errorText(err));
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [ws, event, actor, range]);

  const loadMore = async () => {
    if (!next) return;
    setLoading(true);
    try {
      const page = await auditEvents(ws, {}, next);
      setEvents((e) => [...(e ?? []), ...page.events]);
      setNext(page.next);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setLoading(false);
    }
  };

  return (
    <section className="page">
      <div className="page-head">
        <div>
          <h1>Activity</h1>
          <p className="muted">{current ? `Changes to ${current.name}, its projects, members and API keys, newest first.` : ' '}</p>
        </div>
      </div>
      <form className="card activity-filters" aria-label="Filter activity" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor={ids.event}>Event</label>
          <select id={ids.event} value={event} onChange={(e) => setEvent(e.target.value)}>
            <option value="">All events</option>
            {Object.entries(EVENT_LABELS).map(([id, label]) => (
              <option key={id} value={id}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.actor}>Actor</label>
          <select id={ids.actor} value={actor} onChange={(e) => setActor(e.target.value)}>
            <option value="">Anyone</option>
            {(people.data ?? []).map((m) => (
              <option key={m.id} value={m.id}>
                {m.email}
              </option>
            ))}
            {(keys.data ?? []).map((k) => (
              <option key={k.id} value={k.id}>
                API key “{k.name}”
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.range}>Time</label>
          <select id={ids.range} value={range} onChange={(e) => setRange(e.target.value)}>
            {RANGES.map((r) => (
              <option key={r.id} value={r.id}>
                {r.label}
              </option>
            ))}
          </select>
        </div>
      </form>
      <ErrorMessage>{error}</ErrorMessage>
      {loading && !events && <p role="status">Loading activity…</p>}
      {events && events.length === 0 && (
        <div className="card empty-state">
          <h2>No activity</h2>
          <p>Nothing recorded matches these filters.</p>
        </div>
      )}
      {events && events.length > 0 && (
        <div className="card table-wrap">
          <table aria-label="Activity">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Actor</th>
                <th scope="col">Target</th>
                <th scope="col">From</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id}>
                  <td>
                    <time dateTime={e.occurred_at}>{formatDate(e.occurred_at)}</time>
                  </td>
                  <td>
                    {EVENT_LABELS[e.event] ?? e.event}
                    {e.outcome === 'refused' && <span className="badge"> refused</span>}
                  </td>
                  <td>{e.actor.kind === 'anonymous' ? 'Anonymous' : e.actor.kind === 'api_key' ? `API key “${e.actor.name ?? e.actor.id}”` : (e.actor.name ?? e.actor.id)}</td>
                  <td>
                    {e.target.type.replace('_', ' ')} {e.target.name ?? <span className="mono">{e.target.id}</span>}
                  </td>
                  <td className="mono">{e.client_address ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {next && (
        <button type="button" className="btn" onClick={() => void loadMore()} disabled={loading}>
          {loading ? 'Loading…' : 'Load older events'}
        </button>
      )}
    </section>
  );
}
