import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from '../registry.js';
import { defineRoute, type RouteSpec } from '../platform/http/route-table.js';
import { endpointDisabled, OryError } from '../platform/errors/errors.js';
import type { ProjectRequest } from '../planes/contexts.js';
import { projectAddress } from '../platform/http/project-address.js';
import { sessionTokenHeader } from '../identity/http.js';
import type { Outcome, RequestInfo } from './context.js';
import type { FlowKind } from './flow-store.js';
import type { SelfService } from './service.js';
import { flowConfig } from './config.js';
import { FlowContext } from './flow-context.js';
import { createFlow, showFlow, submitFlow, type FlowModule } from './flow-kit.js';
import { browserError, showFlowError } from './error-ui.js';
import { loginFlow } from './login.js';
import { registrationFlow } from './registration.js';
import { settingsFlow } from './settings.js';
import { recoveryFlow } from './recovery.js';
import { verificationFlow } from './verification.js';
import { createLogoutUrl, logout, nativeLogout } from './logout.js';
import { WEBAUTHN_JS } from './webauthn-script.js';

// Ory Kratos's public self-service API (FrontendApi of @ory/client). Every route is on the project
// plane with credential `none`: the end user is identified by a session token or cookie, if at all.

/** The flows in the order their routes are registered. */
const FLOWS: FlowModule[] = [registrationFlow, loginFlow, settingsFlow, recoveryFlow, verificationFlow];
const OP_NAME: Record<FlowKind, string> = { registration: 'Registration', login: 'Login', settings: 'Settings', recovery: 'Recovery', verification: 'Verification' };

const Text = (max = 2048) => Type.Optional(Type.String({ maxLength: max }));
const CreateQuery = Type.Object(
  {
    return_to: Text(),
    refresh: Type.Optional(Type.Boolean()),
    aal: Text(16),
    identity_schema: Text(256),
    organization: Text(128),
    via: Text(128),
    login_challenge: Text(),
    return_session_token_exchange_code: Type.Optional(Type.Boolean()),
    after_verification_return_to: Text(),
    skip_settings: Text(16),
  },
  { additionalProperties: true },
);
const IdQuery = Type.Object({ id: Text(128) }, { additionalProperties: true });
const FlowQuery = Type.Object({ flow: Text(128), token: Text(1024) }, { additionalProperties: true });
const LogoutQuery = Type.Object({ token: Text(1024), return_to: Text() }, { additionalProperties: true });

/** The request facts a flow needs, read once. */
export function requestInfo(req: ProjectRequest): RequestInfo {
  const { project } = req;
  const { origin, base, onAlias } = projectAddress(req, project.slug);
  const accept = String(req.headers.accept ?? '');
  const contentType = String(req.headers['content-type'] ?? '');
  const jsonBody = contentType.includes('application/json');
  return {
    project,
    baseUrl: base,
    requestUrl: `${origin}${req.originalUrl}`,
    wantsJson: accept.includes('application/json') || jsonBody,
    jsonBody,
    cookies: (req.cookies ?? {}) as Record<string, string | undefined>,
    sessionToken: sessionTokenHeader(req.headers),
    csrfHeader: typeof req.headers['x-csrf-token'] === 'string' && req.headers['x-csrf-token'].length <= 200 ? req.headers['x-csrf-token'] : undefined,
    ip: req.ip,
    userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined,
    secure: req.protocol === 'https',
    cookiePath: onAlias ? `/p/${project.slug}` : '/',
  };
}

/**
 * A redirect target as a Location header value: anything outside printable ASCII (from a project's
 * configured URLs, say `https://ui.example/€`) is percent-encoded as UTF-8, since Node refuses such
 * header values outright (a 500) and browsers would read Latin-1 bytes wrongly.
 */
export function locationValue(target: string): string {
  return target.replace(/[^\x21-\x7e]+/g, (run) => {
    try {
      return encodeURI(run);
    } catch {
      return ''; // a lone surrogate has no UTF-8 form
    }
  });
}

/** Writes an Outcome: cookies (HttpOnly, scoped to the project), then a redirect, an error or a JSON body. */
export function send(req: FastifyRequest, reply: FastifyReply, ri: RequestInfo, out: Outcome): FastifyReply {
  for (const c of out.cookies ?? []) {
    const opts = { path: ri.cookiePath, httpOnly: true, secure: ri.secure || c.sameSite === 'None', sameSite: c.sameSite.toLowerCase() as 'lax' | 'strict' | 'none' };
    if (c.maxAge === 0) reply.clearCookie(c.name, opts);
    else reply.setCookie(c.name, c.value, c.maxAge === undefined ? opts : { ...opts, maxAge: c.maxAge });
  }
  reply.header('cache-control', 'private, no-cache, no-store, must-revalidate');
  if (out.redirect) return reply.redirect(locationValue(out.redirect), out.status);
  if (out.error) {
    if (out.error.headers) reply.headers(out.error.headers);
    return reply.status(out.error.code).type('application/json; charset=utf-8').send(out.error.toBody(req.id));
  }
  if (out.status === 204 || out.body === undefined) return reply.status(out.status).send();
  return reply.status(out.status).type('application/json; charset=utf-8').send(out.body);
}

/**
 * Runs a flow step. Errors of browser requests that want HTML go to the project's error UI when one is
 * configured (Kratos's behaviour); everything else is answered in Ory's JSON error shape.
 */
async function run(ss: SelfService, req: ProjectRequest, reply: FastifyReply, browser: boolean, step: (ctx: FlowContext) => Promise<Outcome>): Promise<FastifyReply> {
  const ri = requestInfo(req);
  const ctx = new FlowContext(ss, ri);
  try {
    return send(req, reply, ri, await step(ctx));
  } catch (err) {
    if (browser && !ri.wantsJson && err instanceof OryError) {
      const out = await browserError(ctx, err, req.id);
      if (out) return send(req, reply, ri, out);
    }
    throw err;
  }
}

export function selfServiceRoutes(r: Registry): RouteSpec[] {
  const svc = () => r.selfservice;
  const routes: RouteSpec[] = [];
  for (const flow of FLOWS) {
    const { kind } = flow;
    const op = OP_NAME[kind];
    routes.push(
      defineRoute({
        method: 'GET', url: `/self-service/${kind}/api`, plane: 'project', credential: 'none', operation: `createNative${op}Flow`,
        schema: { querystring: CreateQuery },
        handler: (req, reply) => run(svc(), req, reply, false, (ctx) => createFlow(ctx, flow, 'api', req.query)),
      }),
      defineRoute({
        method: 'GET', url: `/self-service/${kind}/browser`, plane: 'project', credential: 'none', operation: `createBrowser${op}Flow`,
        schema: { querystring: CreateQuery },
        handler: (req, reply) => run(svc(), req, reply, true, (ctx) => createFlow(ctx, flow, 'browser', req.query)),
      }),
      defineRoute({
        method: 'GET', url: `/self-service/${kind}/flows`, plane: 'project', credential: 'none', operation: `get${op}Flow`,
        schema: { querystring: IdQuery },
        handler: (req, reply) => run(svc(), req, reply, false, (ctx) => showFlow(ctx, flow, req.query.id)),
      }),
      defineRoute({
        method: 'POST', url: `/self-service/${kind}`, plane: 'project', credential: 'none', operation: `update${op}Flow`,
        schema: { querystring: FlowQuery },
        bodyLimit: 64 * 1024,
        handler: (req, reply) => run(svc(), req, reply, !String(req.headers['content-type'] ?? '').includes('json'), (ctx) => submitFlow(ctx, flow, req.query.flow, req.body)),
      }),
    );
  }
  routes.push(
    defineRoute({
      method: 'GET', url: '/self-service/logout/browser', plane: 'project', credential: 'none', operation: 'createBrowserLogoutFlow',
      schema: { querystring: Type.Object({ return_to: Text() }, { additionalProperties: true }) },
      handler: (req, reply) => run(svc(), req, reply, false, (ctx) => createLogoutUrl(ctx, req.query.return_to)),
    }),
    defineRoute({
      method: 'GET', url: '/self-service/logout', plane: 'project', credential: 'none', operation: 'updateLogoutFlow',
      schema: { querystring: LogoutQuery },
      handler: (req, reply) => run(svc(), req, reply, true, (ctx) => logout(ctx, req.query.token, req.query.return_to)),
    }),
    defineRoute({
      method: 'DELETE', url: '/self-service/logout/api', plane: 'project', credential: 'none', operation: 'performNativeLogout',
      bodyLimit: 8 * 1024,
      handler: (req, reply) => run(svc(), req, reply, false, (ctx) => nativeLogout(ctx, req.body)),
    }),
    defineRoute({
      // The W3C "change password URL": password managers are sent on to the settings UI, or, when the
      // project has none, to the endpoint that starts a browser settings flow.
      method: 'GET', url: '/.well-known/change-password', plane: 'project', credential: 'none', operation: 'getWellKnownChangePassword',
      handler: (req, reply) => {
        const ri = requestInfo(req);
        const target = flowConfig(ri.project).uiUrl.settings ?? `${ri.baseUrl}/self-service/settings/browser`;
        return reply.header('cache-control', 'private, no-cache, no-store, must-revalidate').redirect(locationValue(target), 303);
      },
    }),
    // The WebAuthn script is served while the project has security keys or passkeys switched on.
    defineRoute({
      method: 'GET', url: '/.well-known/ory/webauthn.js', plane: 'project', credential: 'none', operation: 'getWebAuthnJavaScript',
      handler: async (req, reply) => {
        const cfg = flowConfig(req.project);
        if (!cfg.webauthnEnabled && !cfg.passkeyEnabled) throw endpointDisabled();
        return reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(WEBAUTHN_JS);
      },
    }),
    defineRoute({
      method: 'GET', url: '/self-service/errors', plane: 'project', credential: 'none', operation: 'getFlowError',
      schema: { querystring: IdQuery },
      handler: (req, reply) => run(svc(), req, reply, false, (ctx) => showFlowError(ctx, req.query.id)),
    }),
  );
  return routes;
}
