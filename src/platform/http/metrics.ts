import client from 'prom-client';

const DURATION = 'gatehouse_http_request_duration_seconds';
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** One label set of the request-duration histogram: counts per bucket (not cumulative), sum, count. */
export class DurationSeries {
  readonly buckets = new Float64Array(BUCKETS.length);
  sum = 0;
  count = 0;

  constructor(readonly labels: { method: string; route: string; status: string }) {}

  /** Records one request of `elapsedMs` milliseconds. */
  observe(elapsedMs: number): void {
    const seconds = elapsedMs / 1000;
    let i = 0;
    while (i < BUCKETS.length && seconds > BUCKETS[i]) i++;
    if (i < BUCKETS.length) this.buckets[i]++;
    this.sum += seconds;
    this.count++;
  }
}

/**
 * The request-duration histogram, observed on every request. prom-client's Histogram hashes the
 * label object on each observation; this keeps one series per method/status/route and renders
 * prom-client's exposition shape only when scraped.
 */
class RequestDurations {
  readonly name = DURATION;
  readonly help = 'HTTP request duration by method, route template and status code.';
  readonly type = 'histogram' as unknown as client.MetricType;
  readonly aggregator: client.Aggregator = 'sum';
  /**
   * Found by route, then method, then status: route templates and method names are constant strings
   * whose hashes V8 keeps, so no key string is built per request.
   */
  private readonly series = new Map<string, Map<string, Map<number, DurationSeries>>>();

  seriesFor(method: string, route: string, status: number): DurationSeries {
    let byMethod = this.series.get(route);
    if (!byMethod) this.series.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let s = byStatus.get(status);
    if (!s) byStatus.set(status, (s = new DurationSeries({ method, route, status: String(status) })));
    return s;
  }

  private *all(): Iterable<DurationSeries> {
    for (const byMethod of this.series.values()) for (const byStatus of byMethod.values()) yield* byStatus.values();
  }

  get(): Omit<client.MetricObjectWithValues<client.MetricValueWithName<string>>, 'collect'> {
    const values: client.MetricValueWithName<string>[] = [];
    for (const s of this.all()) {
      let cumulative = 0;
      BUCKETS.forEach((le, i) => {
        cumulative += s.buckets[i];
        values.push({ metricName: `${DURATION}_bucket`, labels: { le, ...s.labels }, value: cumulative });
      });
      values.push({ metricName: `${DURATION}_bucket`, labels: { le: '+Inf', ...s.labels }, value: s.count });
      values.push({ metricName: `${DURATION}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${DURATION}_count`, labels: s.labels, value: s.count });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    for (const s of this.all()) {
      s.buckets.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}

/** Prometheus metrics of one process. A fresh registry per app keeps tests independent. */
export class Metrics {
  readonly registry = new client.Registry();
  private readonly durations = new RequestDurations();

  constructor() {
    client.collectDefaultMetrics({ register: this.registry, prefix: 'gatehouse_' });
    this.registry.registerMetric(this.durations as unknown as client.Metric);
  }

  /** `route` is the route template, never the raw URL, so label cardinality stays bounded. */
  observe(method: string, route: string, status: number, elapsedMs: number): void {
    this.durations.seriesFor(method, route, status).observe(elapsedMs);
  }

  /** The series of one method, route and status, for a caller that answers it often (the edge gate). */
  series(method: string, route: string, status: number): DurationSeries {
    return this.durations.seriesFor(method, route, status);
  }
}
