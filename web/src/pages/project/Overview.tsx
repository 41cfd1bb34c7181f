import { useId, useState } from 'react';
import { api, type Metric } from '../../api';
import { useLoad } from '../../hooks';
import { ErrorMessage } from '../../components/Dialog';
import { TimeChart } from '../../components/TimeChart';
import type { DataPageProps } from '../Project';
import { RANGES, windowOf, type Range } from './ranges';

const CHARTS: Array<{ metric: Metric; title: string; color: string }> = [
  { metric: 'signups', title: 'Sign-ups', color: '#4f46e5' },
  { metric: 'logins', title: 'Logins', color: '#0f7a4a' },
  { metric: 'active_sessions', title: 'Active sessions', color: '#b45309' },
  { metric: 'api_requests', title: 'API requests', color: '#2563eb' },
];

type Series = { time: string; count: number }[];

/** A project at a glance: sign-ups, logins, active sessions, API requests and the error rate over a chosen window. */
export default function Overview({ project }: DataPageProps) {
  const [rangeId, setRangeId] = useState('24h');
  const range = RANGES.find((r) => r.id === rangeId)!;
  const selectId = useId();
  const data = useLoad(async () => {
    const w = windowOf(range);
    const metrics: Metric[] = ['signups', 'logins', 'active_sessions', 'api_requests', 'api_errors'];
    const series = await Promise.all(metrics.map((m) => api.metrics(project.id, m, w.from, w.to, range.resolution)));
    return Object.fromEntries(metrics.map((m, i) => [m, series[i]])) as Record<Metric, Series>;
  }, [project.id, rangeId]);
  const d = data.data;
  const errorRate: Series | undefined = d && d.api_requests.map((p, i) => ({ time: p.time, count: p.count ? (100 * (d.api_errors[i]?.count ?? 0)) / p.count : 0 }));
  const totalReq = d ? sum(d.api_requests) : 0;
  const totalErr = d ? sum(d.api_errors) : 0;

  return (
    <section aria-labelledby="overview-h">
      <div className="card-head">
        <h2 id="overview-h">Overview</h2>
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
      <ErrorMessage>{data.error}</ErrorMessage>
      {data.loading && !d && <p role="status">Loading the figures…</p>}
      {d && (
        <div className="charts">
          {CHARTS.map((c) => (
            <Chart key={c.metric} title={c.title} points={d[c.metric]} range={range} color={c.color} summary={c.metric === 'active_sessions' ? `at most ${max(d[c.metric])} at once ${range.words}` : `${sum(d[c.metric])} ${range.words}`} />
          ))}
          <Chart title="Error rate" points={errorRate!} range={range} unit="%" color="#c81e1e" summary={totalReq ? `${((100 * totalErr) / totalReq).toFixed(1)}% of ${totalReq} requests failed ${range.words}` : `no requests ${range.words}`} />
        </div>
      )}
      <p className="hint">Counted per hour; the last few seconds may not show yet.</p>
    </section>
  );
}

const sum = (s: Series) => s.reduce((n, p) => n + p.count, 0);
const max = (s: Series) => s.reduce((n, p) => Math.max(n, p.count), 0);

function Chart({ title, points, range, summary, unit, color }: { title: string; points: Series; range: Range; summary: string; unit?: string; color: string }) {
  const daily = range.resolution === '1d';
  const fmt = (t: string) => new Date(t).toLocaleString(undefined, daily ? { month: 'short', day: 'numeric' } : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  return (
    <figure className="card chart-card" aria-label={title}>
      <figcaption>
        <span className="strong">{title}</span> <span className="muted">{summary}</span>
      </figcaption>
      <TimeChart points={points} label={title} unit={unit} color={color} daily={daily} />
      <details className="chart-data">
        <summary>Show the numbers</summary>
        <table aria-label={`${title} by ${daily ? 'day' : 'hour'}`}>
          <thead>
            <tr>
              <th scope="col">{daily ? 'Day' : 'Hour'}</th>
              <th scope="col">{title}</th>
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr key={p.time}>
                <td>{fmt(p.time)}</td>
                <td>{unit === '%' ? `${p.count.toFixed(1)}%` : p.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
