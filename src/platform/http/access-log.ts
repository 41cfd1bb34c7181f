import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Metrics } from './metrics.js';

/** The path of a URL: query strings never reach a log line (flows and tokens travel there). */
const pathOf = (url: string): string => {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
};

/**
 * The end of every request: one metrics observation and one access-log line through the request's
 * pino logger (so it carries `request_id`). No header but Host, never a query string or a body.
 */
export class AccessLog extends LogController {
  constructor(private readonly metrics: Metrics) {
    super({ requestIdLogLabel: 'request_id' });
  }

  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    // `routeOptions` builds an object on every read: only routes outside the table pay for it.
    const route = request.routeTemplate ?? request.routeOptions.url ?? 'unmatched';
    const ms = reply.elapsedTime;
    this.metrics.observe(request.method, route, reply.statusCode, ms);
    const line = { method: request.method, path: pathOf(request.url), status: reply.statusCode, ms: Math.round(ms * 1000) / 1000, host: request.headers.host, ip: request.ip };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}
