import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorId, OryError } from '../errors/errors.js';

const asIs = (e: OryError): OryError => e;

/**
 * Renders any error in Ory's shape (or another, through `shape`). Unknown errors become a generic 500,
 * logged, never echoed.
 */
export function sendError(err: unknown, req: FastifyRequest, reply: FastifyReply, shape: (e: OryError) => OryError = asIs): FastifyReply {
  const ory = shape(toOryError(err));
  if (ory.code >= 500) req.log.error({ err }, 'unhandled error');
  if (ory.headers) reply.headers(ory.headers);
  return reply.status(ory.code).type('application/json; charset=utf-8').send(ory.toJson(req.id));
}

/** The OryError for anything thrown: ours as it is, the framework's as a 4xx that says what was wrong, the rest a 500. */
export function toOryError(err: unknown): OryError {
  if (err instanceof OryError) return err;
  const e = err as FastifyError & { validation?: unknown; validationContext?: string };
  if (e?.validation) {
    const where = e.validationContext ?? 'request';
    return new OryError(400, 'The request was malformed or contained invalid parameters', `${where}${e.message.replace(/^(body|querystring|params|headers)/, '')}`.trim(), ErrorId.validationFailed);
  }
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new OryError(413, 'The request body is too large', 'The request body exceeds the size limit.', ErrorId.payloadTooLarge);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new OryError(415, 'Unsupported media type', 'This content type is not accepted here; send application/json.', ErrorId.unsupportedMediaType);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new OryError(400, 'The request was malformed or contained invalid parameters', 'The JSON body is empty.', ErrorId.invalidJson);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new OryError(400, 'The request was malformed or contained invalid parameters', 'The body is not valid JSON.', ErrorId.invalidJson);
  }
  if (err instanceof SyntaxError || e?.statusCode === 400) {
    return new OryError(400, 'The request was malformed or contained invalid parameters', 'The body could not be parsed.', ErrorId.invalidJson);
  }
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new OryError(e.statusCode, 'The request could not be processed', e.code ?? 'client_error', ErrorId.badRequest);
  }
  return new OryError(500, 'An internal server error occurred, please contact the system administrator', undefined, ErrorId.internal);
}
