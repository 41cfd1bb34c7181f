import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KeyService, VerifiedKey } from '../keys/key-service.js';
import type { Quotas, QuotaDecision } from '../platform/quota.js';
import type { Scope } from '../platform/http/route-table.js';
import { ErrorId, OryError, forbidden, tooManyRequests } from '../platform/errors/errors.js';
import type { Outcome } from './mount.js';

/** Why a valid key of the right tenant was still refused. */
export type KeyRefusal = 'scope' | 'client_address' | 'rate_limit';

export interface KeyPolicyOptions {
  keys: Pick<KeyService, 'noteAddress'>;
  quotas: Pick<Quotas, 'take'>;
  /** Told of every refusal, for the audit log; must not throw. */
  onRefused?: (key: VerifiedKey, reason: KeyRefusal, req: FastifyRequest, scope: Scope | undefined) => void;
  /** Told of every call a key was let through for, for its usage counts; must not throw. */
  onAllowed?: (key: VerifiedKey) => void;
}

const FROM_ELSEWHERE = forbidden('This API key may not be used from this client address.');

/** The refusal of a key that lacks `scope`, built once per scope. */
const lacking = new Map<string, OryError>();
function lacks(scope: Scope | undefined): OryError {
  const name = scope ?? 'full access';
  let error = lacking.get(name);
  if (!error) {
    const [resource] = name.split(':');
    const hint = scope ? `It needs a key with the scope ${scope}${scope.endsWith(':read') ? ` or ${resource}:write` : ''}.` : 'It needs a key without scopes.';
    error = new OryError(403, `The API key lacks the scope ${name}`, `This API key may not call this route. ${hint}`, ErrorId.forbidden, { required_scope: name });
    lacking.set(name, error);
  }
  return error;
}

/**
 * A key's own limits, checked after its tenant and plane: the client address, then the route's
 * scope, then the rate (a refused call spends none of the quota). A key made without them (every
 * key made before they existed) passes at the cost of three null checks and its address note.
 */
export function keyPolicy(o: KeyPolicyOptions) {
  const refuse = (key: VerifiedKey, reason: KeyRefusal, req: FastifyRequest, scope: Scope | undefined, error: Outcome): Outcome => {
    o.onRefused?.(key, reason, req, scope);
    return error;
  };
  const limited = (key: VerifiedKey, req: FastifyRequest, reply: FastifyReply, scope: Scope | undefined, d: QuotaDecision): Outcome => {
    reply.header('x-ratelimit-limit', d.limit);
    reply.header('x-ratelimit-remaining', d.remaining);
    // Epoch seconds, as GitHub's API writes it.
    reply.header('x-ratelimit-reset', Math.ceil(d.resetAtMs / 1000));
    if (d.allowed) {
      o.onAllowed?.(key);
      return null;
    }
    const wait = (d.resetAtMs - Date.now()) / 1000;
    return refuse(key, 'rate_limit', req, scope, tooManyRequests(wait, `This API key's rate limit of ${d.limit} requests per window is used up; retry after the window ends.`));
  };

  return (key: VerifiedKey, req: FastifyRequest, reply: FastifyReply, scope: Scope | undefined): Outcome | Promise<Outcome> => {
    if (key.allowedAddresses && !key.allowedAddresses.contains(req.ip)) return refuse(key, 'client_address', req, scope, FROM_ELSEWHERE);
    if (key.scopes && (scope === undefined || !key.scopes.has(scope))) {
      return refuse(key, 'scope', req, scope, lacks(scope));
    }
    o.keys.noteAddress(key, req.ip);
    if (!key.rateLimit) {
      o.onAllowed?.(key);
      return null;
    }
    return o.quotas.take(`key:${key.id}`, key.rateLimit).then((d) => limited(key, req, reply, scope, d));
  };
}

export type KeyPolicyCheck = ReturnType<typeof keyPolicy>;
