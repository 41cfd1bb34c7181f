import { Type } from '@sinclair/typebox';
import type { Registry } from '../registry.js';
import { defineRoute, type RouteSpec } from '../platform/http/route-table.js';
import { aal2Required, badRequest, notFound } from '../platform/errors/errors.js';
import { schemaIdCandidates } from './schemas.js';
import { tokenizerTemplate } from './tokenizer.js';
import { projectPublicBase } from './public-url.js';
import { SessionResponse } from './response-schemas.js';
import { noActiveSession, requireSession, sessionTokenOf } from './http.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, decodePageToken, encodePageToken, pageParams, setLinkHeader, setPageLinks } from '../platform/http/pagination.js';

const PageQuery = {
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE })),
  per_page: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE })),
  page: Type.Optional(Type.Integer({ minimum: 0 })),
  page_token: Type.Optional(Type.String({ maxLength: 512 })),
};

/** Public (frontend) identity routes: schemas and the caller's own sessions. */
export function identityFrontendRoutes(r: Registry): RouteSpec[] {
  const { schemas, sessions, tokenizer, secondFactors } = r;
  return [
    defineRoute({
      method: 'GET', url: '/schemas', plane: 'project', credential: 'none', operation: 'listIdentitySchemas',
      schema: { querystring: Type.Object(PageQuery) },
      handler: async (req, reply) => {
        const all = schemas.list(req.project.services.identity.config).map((s) => ({ id: s.id, schema: s.schema }));
        // Schema lists are short; the page token is the position, encoded like every other token.
        const size = req.query.page_size ?? req.query.per_page ?? DEFAULT_PAGE_SIZE;
        const start = req.query.page_token ? Number(decodePageToken(req.query.page_token)) : 0;
        if (!Number.isInteger(start) || start < 0) throw badRequest('The page_token is not valid.');
        const page = all.slice(start, start + size);
        setLinkHeader(req, reply, size, start + size < all.length ? encodePageToken(String(start + size)) : undefined);
        return page;
      },
    }),
    defineRoute({
      method: 'GET', url: '/schemas/:id', plane: 'project', credential: 'none', operation: 'getIdentitySchema',
      schema: { params: Type.Object({ id: Type.String({ maxLength: 1024 }) }) },
      handler: async (req) => {
        const cfg = req.project.services.identity.config;
        for (const id of schemaIdCandidates(req.params.id)) {
          const s = schemas.get(cfg, id);
          if (s) return s.schema;
        }
        throw notFound('The requested resource could not be found: no identity schema with this id.');
      },
    }),
    defineRoute({
      method: 'GET', url: '/sessions/whoami', plane: 'project', credential: 'none', operation: 'toSession',
      schema: { querystring: Type.Object({ tokenize_as: Type.Optional(Type.String({ maxLength: 128 })) }), response: { 200: SessionResponse } },
      handler: async (req, reply) => {
        const token = sessionTokenOf(req);
        // Served as it is (the response schema serialises it), so the shared cached object is fine.
        const session = token ? await sessions.byToken(req.project, token, { cached: true }) : null;
        if (!session) throw noActiveSession();
        if (session.authenticator_assurance_level !== 'aal2') {
          if (await secondFactors.needsAal2(req.project.services.identity.config, req.project.id, session.identity!.id, session.authenticator_assurance_level, 'whoami')) {
            throw aal2Required(`${projectPublicBase(r.config, req.project.slug)}/self-service/login/browser?aal=aal2`);
          }
        }
        reply.header('x-kratos-authenticated-identity-id', session.identity!.id).header('cache-control', 'private, no-cache, no-store, must-revalidate');
        const name = req.query.tokenize_as;
        if (!name) return reply.send(session);
        const template = tokenizerTemplate(req.project.services.identity.config, name);
        if (!template) throw badRequest(`No tokenizer template "${name}" is configured in session.whoami.tokenizer.templates.`);
        const tokenized = await tokenizer.tokenize(req.project.id, projectPublicBase(r.config, req.project.slug), session, template);
        return reply.send({ ...session, tokenized });
      },
    }),
    defineRoute({
      // Kratos hands out exchange codes only when a native app finishes a social sign-in in a browser;
      // Gatehouse has no social sign-in, so no code ever has a session, and the answers are Kratos's own.
      method: 'GET', url: '/sessions/token-exchange', plane: 'project', credential: 'none', operation: 'exchangeSessionToken',
      schema: { querystring: Type.Object({ init_code: Type.Optional(Type.String({ maxLength: 1024 })), return_to_code: Type.Optional(Type.String({ maxLength: 1024 })) }) },
      handler: async (req) => {
        if (!req.query.init_code || !req.query.return_to_code) throw badRequest('"init_code" and "return_to_code" query params must be set');
        throw notFound('no session yet for this "code"');
      },
    }),
    defineRoute({
      method: 'GET', url: '/sessions', plane: 'project', credential: 'none', operation: 'listMySessions',
      schema: { querystring: Type.Object(PageQuery) },
      handler: async (req, reply) => {
        const current = await requireSession(sessions, req.project, req);
        const { size, after, offset } = pageParams(req.query);
        const { sessions: page, hasMore } = await sessions.list(req.project.id, {
          pageSize: size, after, offset, identityId: current.identity!.id, active: true, exceptSessionId: current.id, expandIdentity: true, expandDevices: true, publicIdentity: true,
        });
        setPageLinks(req, reply, size, page, hasMore);
        return page;
      },
    }),
    defineRoute({
      method: 'DELETE', url: '/sessions', plane: 'project', credential: 'none', operation: 'disableMyOtherSessions',
      handler: async (req) => {
        const current = await requireSession(sessions, req.project, req);
        const count = await sessions.revokeAllOfIdentity(req.project.id, current.identity!.id, current.id);
        return { count };
      },
    }),
    defineRoute({
      method: 'DELETE', url: '/sessions/:id', plane: 'project', credential: 'none', operation: 'disableMySession',
      schema: { params: Type.Object({ id: Type.String({ maxLength: 128 }) }) },
      handler: async (req, reply) => {
        const current = await requireSession(sessions, req.project, req);
        if (req.params.id === current.id) throw badRequest('You can not revoke the current session; use the logout flow instead.');
        // Someone else's session looks exactly like one that does not exist.
        if ((await sessions.ownerOf(req.project.id, req.params.id)) !== current.identity!.id) throw notFound('Unable to locate the resource');
        await sessions.revoke(req.project.id, req.params.id);
        return reply.status(204).send();
      },
    }),
  ];
}
