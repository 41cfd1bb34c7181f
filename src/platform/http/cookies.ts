import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parse, serialize, type SerializeOptions } from 'cookie';

export type CookieOptions = Omit<SerializeOptions, 'encode'>;

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's cookies, parsed on first read (most requests never read them). */
    readonly cookies: Record<string, string | undefined>;
    parsedCookies: Record<string, string | undefined> | null;
  }
  interface FastifyReply {
    /** Adds a `Set-Cookie` header; `SameSite=Lax` unless the options say otherwise. */
    setCookie(name: string, value: string, options?: CookieOptions): FastifyReply;
    /** Expires the cookie in the browser (path `/` unless the options say otherwise). */
    clearCookie(name: string, options?: CookieOptions): FastifyReply;
  }
}

/**
 * Cookies for the few routes that use them (browser flows, console sessions), parsed lazily and
 * written straight into the reply's headers: no hook runs on the requests that never touch a cookie.
 */
export function registerCookies(app: FastifyInstance): void {
  app.decorateRequest('parsedCookies', null);
  app.decorateRequest('cookies', {
    getter(this: FastifyRequest) {
      return (this.parsedCookies ??= this.headers.cookie ? parse(this.headers.cookie) : {});
    },
  });
  app.decorateReply('setCookie', function (this: FastifyReply, name: string, value: string, options?: CookieOptions) {
    // Fastify appends repeated `set-cookie` headers rather than replacing them.
    return this.header('set-cookie', serialize(name, value, { sameSite: 'lax', ...options }));
  });
  app.decorateReply('clearCookie', function (this: FastifyReply, name: string, options?: CookieOptions) {
    return this.setCookie(name, '', { path: '/', ...options, expires: new Date(0), maxAge: 0 });
  });
}
