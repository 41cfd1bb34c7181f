import { Type } from '@sinclair/typebox';
import type { Registry } from '../registry.js';
import { defineRoute, type RouteSpec } from '../platform/http/route-table.js';
import { badRequest, endpointDisabled } from '../platform/errors/errors.js';
import { identityNotFound } from '../identity/http.js';
import { flowConfig } from './config.js';
import { parseGoDuration } from '../platform/duration.js';
import { requestInfo } from './routes.js';
import { FlowContext } from './flow-context.js';
import { createRecoveryCode } from './recovery.js';

// Kratos's admin recovery API (IdentityApi of @ory/client): an admin hands a user a way back into
// their account. Project plane, project key. Recovery here is by code only: there is no link strategy.

const CreateRecoveryCodeBody = Type.Object({
  identity_id: Type.String({ format: 'uuid' }),
  expires_in: Type.Optional(Type.String({ maxLength: 64 })),
  flow_type: Type.Optional(Type.String({ maxLength: 32 })),
});

/** Kratos's answer for the admin route of a disabled recovery method (`strategy.IsDisabled`). */
const methodDisabled = endpointDisabled;

/** Go's `time.Duration` limit (2^63 - 1 ns): longer values fail `time.ParseDuration`. */
const MAX_GO_DURATION_MS = 9_223_372_036_854;

/** `expires_in` as Go's `time.ParseDuration` reads it (sign, `0`, `1h30m`), in ms; null when it does not parse. */
function parseExpiresIn(raw: string): number | null {
  const sign = raw.startsWith('-') ? -1 : 1;
  const rest = raw.startsWith('-') || raw.startsWith('+') ? raw.slice(1) : raw;
  const ms = parseGoDuration(rest);
  return ms !== null && ms <= MAX_GO_DURATION_MS ? sign * ms : null;
}

export function selfServiceAdminRoutes(r: Registry): RouteSpec[] {
  return [
    defineRoute({
      method: 'POST', url: '/admin/recovery/code', plane: 'project', credential: 'project', scope: 'identities:write', operation: 'createRecoveryCodeForIdentity',
      schema: { body: CreateRecoveryCodeBody },
      handler: async (req, reply) => {
        const cfg = flowConfig(req.project);
        if (!cfg.codeEnabled) throw methodDisabled();
        const { identity_id: identityId, expires_in: expiresIn, flow_type: type = 'browser' } = req.body;
        let lifespanMs = cfg.lifespanMs.recovery;
        if (expiresIn) {
          const parsed = parseExpiresIn(expiresIn);
          if (parsed === null) throw badRequest(`Unable to parse "expires_in" whose format should match "[0-9]+(ns|us|ms|s|m|h)" but did not: ${expiresIn}`);
          lifespanMs = parsed;
        }
        if (lifespanMs <= 0) throw badRequest(`Value from "expires_in" must result to a future time: ${expiresIn ?? ''}`);
        if (type !== 'browser' && type !== 'api') throw badRequest(`Value from "flow_type" is not valid: ${JSON.stringify(type)}`);
        const made = await createRecoveryCode(new FlowContext(r.selfservice, requestInfo(req)), identityId, { type, lifespanMs });
        if (!made) throw identityNotFound();
        // The code is a credential: no cache may keep this answer.
        reply.header('cache-control', 'private, no-cache, no-store, must-revalidate');
        return reply.status(201).send({ recovery_link: made.link, recovery_code: made.code, expires_at: made.flow.expiresAt });
      },
    }),
    defineRoute({
      // Kratos serves this with its link strategy; Gatehouse has none, so it answers as Kratos does
      // when the link method is disabled, before reading the body.
      method: 'POST', url: '/admin/recovery/link', plane: 'project', credential: 'project', scope: 'identities:write', operation: 'createRecoveryLinkForIdentity',
      schema: { querystring: Type.Object({ return_to: Type.Optional(Type.String({ maxLength: 2048 })) }) },
      handler: async () => {
        throw methodDisabled();
      },
    }),
  ];
}
