import client from 'prom-client';

/** Prometheus metrics of one process. A fresh registry per app keeps tests independent. */
export class Metrics {
  readonly registry = new client.Registry();
  private readonly duration: client.Histogram<'method' | 'route' | 'status'>;

  constructor() {
    client.collectDefaultMetrics({ register: this.registry, prefix: 'gatehouse_' });
    this.duration = new client.Histogram({
      name: 'gatehouse_http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status code.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
  }

  /** `route` is the route template, never the raw URL, so label cardinality stays bounded. */
  observe(method: string, route: string, status: number, elapsedMs: number): void {
    this.duration.observe({ method, route, status: String(status) }, elapsedMs / 1000);
  }
}
