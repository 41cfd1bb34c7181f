import type { FlowContext } from './flow-context.js';
import type { Flow } from './flow-store.js';
import type { WireIdentity, WireSession } from './ports.js';
import { revealPending } from './second-factor-forms.js';
import { scrubSecrets, setValue, type UiContainer } from './ui.js';

/**
 * The flow as @ory/client's `LoginFlow`/`RegistrationFlow`/... model. The form's `action` and CSRF
 * token are filled in here (they depend on how the client addressed the project and on its browser's
 * cookie); secrets in the stored form never go out.
 */
export function flowBody(ctx: FlowContext, flow: Flow, csrfSecret: string | null, identity?: WireIdentity): Record<string, unknown> {
  const { ri } = ctx;
  const ui: UiContainer = JSON.parse(JSON.stringify(flow.ui));
  ui.action = `${ri.baseUrl}/self-service/${flow.kind}?flow=${flow.id}`;
  scrubSecrets(ui);
  if (flow.kind === 'settings') revealPending(ctx, flow, ui, identity);
  setValue(ui, 'csrf_token', flow.type === 'browser' && csrfSecret ? ctx.ss.secrets.csrfToken(ctx.projectId, flow.id, csrfSecret) : '');
  if (!ui.messages || ui.messages.length === 0) delete ui.messages;
  const out: Record<string, unknown> = {
    id: flow.id,
    type: flow.type,
    expires_at: flow.expiresAt,
    issued_at: flow.issuedAt,
    request_url: flow.requestUrl,
    ui,
    state: flow.state,
    created_at: flow.createdAt,
    updated_at: flow.updatedAt,
  };
  if (flow.returnTo) out.return_to = flow.returnTo;
  if (flow.active) out.active = flow.active;
  switch (flow.kind) {
    case 'login':
      out.refresh = !!flow.extra.refresh;
      out.requested_aal = flow.extra.requested_aal ?? 'aal1';
      out.organization_id = null;
      if (flow.schemaId) out.identity_schema = flow.schemaId;
      break;
    case 'registration':
      out.organization_id = null;
      if (flow.schemaId) out.identity_schema = flow.schemaId;
      break;
    case 'settings':
      out.identity = identity && publicIdentity(identity);
      break;
  }
  if (Array.isArray(flow.extra.continue_with) && flow.extra.continue_with.length) out.continue_with = flow.extra.continue_with;
  return out;
}

/** An identity as an end user may see it: no credentials, no admin metadata. */
export function publicIdentity(identity: WireIdentity): WireIdentity {
  const { credentials: _c, metadata_admin: _m, ...rest } = identity as WireIdentity & { credentials?: unknown; metadata_admin?: unknown };
  return rest;
}

export function publicSession(session: WireSession): WireSession {
  return session.identity ? { ...session, identity: publicIdentity(session.identity) } : session;
}
