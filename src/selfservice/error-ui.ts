import { scoped } from '../platform/db/scoped.js';
import type { OryError } from '../platform/errors/errors.js';
import { newId } from '../platform/ids.js';
import type { Outcome } from './context.js';
import { FlowErrorStore } from './error-store.js';
import { flowNotFound, flowParamMissing } from './errors.js';
import type { FlowContext } from './flow-context.js';
import { withQuery } from './flow-kit.js';

// Errors of browser flows (Kratos's error UI): a browser that posted a form is sent to the project's
// error page with an id, and the page reads the error through `GET /self-service/errors?id=`.

function errorStore(ctx: FlowContext): FlowErrorStore {
  return new FlowErrorStore(scoped(ctx.ss.db, ctx.projectId));
}

/** `GET /self-service/errors?id=`: the project's stored error, or 404. */
export async function showFlowError(ctx: FlowContext, id: string | undefined): Promise<Outcome> {
  if (!id) throw flowParamMissing();
  const stored = await errorStore(ctx).get(id);
  if (!stored) throw flowNotFound();
  return { status: 200, body: stored };
}

/**
 * Renders an error of a browser form post: stored and redirected to the project's error UI when one
 * is configured (Kratos's behaviour), otherwise null (the caller answers with the JSON error).
 */
export async function browserError(ctx: FlowContext, err: OryError, requestId: string): Promise<Outcome | null> {
  const errorUi = ctx.cfg.uiUrl.error;
  if (!errorUi) return null;
  const id = newId();
  await errorStore(ctx).insert(id, err.toBody(requestId).error, ctx.iso());
  return { status: 303, redirect: withQuery(errorUi, 'id', id) };
}
