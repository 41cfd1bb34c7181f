import { connect } from 'node:net';
import fc from 'fast-check';
import { generateApiKey } from '../../src/keys/format.js';
import { mountedUrl, type RouteSpec } from '../../src/platform/http/route-table.js';
import { credentialFor, pathFor } from './routes.js';
import type { Tenant } from './context.js';

// Generators of hostile HTTP requests over the route table, and a raw-socket client that sends them
// byte for byte (fetch and node:http refuse to send much of this) and tells an answer from a dropped
// connection. Used by test/platform/http/hostile-http.test.ts and by `npm run stress`.

/** A value that must never appear in a log line (sent as a password, a secret or a token). */
export const SECRET_MARKER = 'Hunter2-secret-marker-7f3a';

export interface HostileRequest {
  method: string;
  /** Request target as sent on the request line (path and query). */
  target: string;
  headers: [string, string][];
  body?: Buffer;
  /** For the report: which route it was aimed at. */
  route: string;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const HOSTILE_SEGMENTS = ['x', '0', '-1', '%00', '..%2F..%2Fetc%2Fpasswd', '%2e%2e', "'%20OR%201=1--", '%F0%9F%98%80', '%C3%28', '%FF%FE', '00000000-0000-0000-0000-000000000000', 'null', 'undefined', '__proto__', 'constructor'];
const HOSTILE_VALUES = ['', '-1', '0', '1.5', '1e309', 'NaN', 'Infinity', '99999999999999999999', '%00', '%F0%9F%92%A9', '%C3%28', '%%%', 'true', '[]', '{}', 'a'.repeat(3000), 'javascript:alert(1)', '..%2F..%2F', SECRET_MARKER];
const QUERY_NAMES = ['page', 'per_page', 'page_size', 'page_token', 'max-depth', 'flow', 'id', 'ids', 'return_to', 'token', 'namespace', 'object', 'relation', 'subject_id', 'credentials_identifier', 'include_credential', 'expand', 'active', 'client_id', 'tokenize_as', 'refresh', 'aal', '__proto__'];
const HEADER_NAMES = ['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'host', 'origin', 'referer', 'accept', 'accept-encoding', 'accept-language', 'if-none-match', 'range', 'x-session-token', 'x-csrf-token', 'cookie', 'content-encoding', 'expect', 'x-http-method-override', 'user-agent'];
const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'application/json; charset=utf-16', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain', 'application/xml', 'application/merge-patch+json', 'application/json-patch+json', '*/*', ';;;', ''];

/** A percent-encoded arbitrary string: what a client may put into a path or query component. */
const encoded = fc.string({ unit: 'binary', maxLength: 40 }).map((s) => encodeURIComponent(s));
const segment = fc.oneof(fc.constantFrom(...HOSTILE_SEGMENTS), encoded, fc.uuid());
const queryValue = fc.oneof(fc.constantFrom(...HOSTILE_VALUES), encoded, fc.integer().map(String));

const jsonBody = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  // Objects shaped like what routes read, with wrong or extreme values.
  fc.dictionary(fc.constantFrom('traits', 'schema_id', 'name', 'password', 'identifier', 'method', 'csrf_token', 'code', 'email', 'namespace', 'object', 'relation', 'subject_id', 'client_secret', 'grant_type', 'scope', 'credential', 'requests', 'op', 'path', 'value', 'state', 'metadata_public', 'services', '__proto__'), fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(SECRET_MARKER)), { maxKeys: 6 }).map((o) => JSON.stringify(o)),
  fc.constantFrom('{', '[', 'null', '"x"', '1e309', '{"__proto__":{"admin":true}}', '['.repeat(3000) + ']'.repeat(3000), `{"password":"${SECRET_MARKER}","traits":{"email":"a@b.c"}}`),
);
const formBody = fc.array(fc.tuple(fc.constantFrom('grant_type', 'client_id', 'client_secret', 'password', 'identifier', 'method', 'code', 'scope', 'token', 'csrf_token', 'redirect_uri'), queryValue), { maxLength: 6 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));
const body = fc.oneof(
  jsonBody.map((s) => Buffer.from(s)),
  formBody.map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)),
  fc.string({ unit: 'grapheme', maxLength: 200 }).map((s) => Buffer.from(s)),
);

/** A credential for the request: none, the right one, another tenant's, or a forgery. */
function credential(spec: RouteSpec, t: Tenant, other: Tenant) {
  return fc.oneof(
    fc.constant<[string, string][]>([]),
    fc.constant(Object.entries(credentialFor(spec, t))),
    fc.constant(Object.entries(credentialFor({ ...spec, credential: spec.credential === 'management' ? 'project' : 'management' } as RouteSpec, other))),
    fc.constantFrom(
      `Bearer ${generateApiKey('workspace')}`, `Bearer ${generateApiKey('project')}`, `Bearer ${t.workspaceKey.slice(0, -1)}${t.workspaceKey.endsWith('A') ? 'B' : 'A'}`,
      'Bearer ', 'Basic Og==', `Basic ${Buffer.from(`x:${SECRET_MARKER}`).toString('base64')}`, 'Bearer ory_pat_', `Bearer ${SECRET_MARKER}`, 'Negotiate abc', 'Bearer a b c',
    ).map((v) => [['authorization', v]] as [string, string][]),
    fc.constantFrom(`ory_st_${SECRET_MARKER}`, 'x'.repeat(2000), '').map((v) => [['x-session-token', v]] as [string, string][]),
    fc.constantFrom(`ory_kratos_session=${SECRET_MARKER}`, 'ory_kratos_session=%E0%A4%A', 'gatehouse_console=x; csrf_token=y', '=;=;=').map((v) => [['cookie', v]] as [string, string][]),
  );
}

/** A hostile request aimed at one route of the table (or, sometimes, at no route at all). */
export function hostileRequest(routes: RouteSpec[], t: Tenant, other: Tenant): fc.Arbitrary<HostileRequest> {
  return fc.integer({ min: 0, max: routes.length - 1 }).chain((i) => {
    const spec = routes[i];
    const method = fc.oneof({ weight: 8, arbitrary: fc.constant(spec.method) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'get') });
    const path = fc.oneof(
      { weight: 6, arbitrary: segment.map((s) => pathFor(spec, t, s)) },
      { weight: 1, arbitrary: fc.constant(pathFor(spec, other)) },
      { weight: 1, arbitrary: fc.array(segment, { minLength: 1, maxLength: 6 }).map((parts) => `/${parts.join('/')}`) },
      { weight: 1, arbitrary: fc.constantFrom('//', '/p/', `/p/${t.projectSlug}/..%2f..%2fprojects`, '/%2e%2e/%2e%2e/', '/p/%00/admin/identities', '*', '/' + 'a/'.repeat(600)) },
    );
    const query = fc.array(fc.tuple(fc.constantFrom(...QUERY_NAMES), queryValue), { maxLength: 5 }).map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : ''));
    const extraHeaders = fc.array(fc.tuple(fc.constantFrom(...HEADER_NAMES), fc.oneof(fc.constantFrom('', 'x'.repeat(4000), '127.0.0.1, 10.0.0.1, ::1', 'evil.example.com', '100-continue', 'gzip', 'bytes=0-1,5-', SECRET_MARKER), fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n\0]/g, '')))), { maxLength: 3 });
    const withBody = fc.option(fc.tuple(body, fc.constantFrom(...CONTENT_TYPES), fc.constantFrom('length', 'length', 'length', 'chunked')), { nil: undefined, freq: ['GET', 'HEAD', 'OPTIONS'].includes(spec.method) ? 3 : 1 });
    return fc.record({ method, path, query, cred: credential(spec, t, other), extraHeaders, withBody }).map(({ method, path, query, cred, extraHeaders, withBody }) => {
      const headers: [string, string][] = [['host', '127.0.0.1'], ...cred, ...extraHeaders];
      let payload: Buffer | undefined;
      if (withBody) {
        const [bytes, type, framing] = withBody;
        if (type) headers.push(['content-type', type]);
        if (framing === 'chunked') {
          headers.push(['transfer-encoding', 'chunked']);
          payload = bytes.length ? Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n0\r\n\r\n')]) : Buffer.from('0\r\n\r\n');
        } else {
          headers.push(['content-length', String(bytes.length)]);
          payload = bytes;
        }
      }
      return { method, target: `${path}${query}`, headers, body: payload, route: `${spec.method} ${mountedUrl(spec)}` };
    });
  });
}

/**
 * Sends one request on a fresh connection (`Connection: close`) and reads the answer to the end.
 * Rejects when the connection is reset or closed without an answer (a dropped connection), or after
 * `timeoutMs` (a hang).
 */
export function sendRaw(port: number, r: HostileRequest, timeoutMs = 10_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err) => {
      clearTimeout(timer);
      // A reset after the whole answer arrived (the server closing a connection that still had bytes
      // in flight) lost nothing; a reset before it is a dropped connection.
      const answer = parse(Buffer.concat(chunks), r.method);
      if (answer) resolve(answer);
      else reject(new Error(`connection dropped: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    });
    socket.on('end', () => {
      clearTimeout(timer);
      const answer = parse(Buffer.concat(chunks), r.method);
      if (answer) resolve(answer);
      else reject(new Error(`connection closed without an answer (${Buffer.concat(chunks).length} bytes)`));
    });
    const head = [`${r.method} ${r.target} HTTP/1.1`, ...r.headers.map(([n, v]) => `${n}: ${v}`), 'connection: close', '', ''].join('\r\n');
    socket.write(Buffer.concat([Buffer.from(head, 'latin1'), r.body ?? Buffer.alloc(0)]));
  });
}

/** The answer in `raw`, or null when it is incomplete (no head, or a body cut short). */
function parse(raw: Buffer, method: string): RawAnswer | null {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine, ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!m) return null;
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const status = Number(m[1]);
  // A HEAD answer and a 204 or 304 have no body, whatever their content-length says.
  if (method.toUpperCase() === 'HEAD' || status === 204 || status === 304) return { status, headers, body: '' };
  let body = raw.subarray(end + 4);
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (body.length < length) return null; // cut short
    body = body.subarray(0, length);
  }
  return { status, headers, body: body.toString('utf8') };
}

function dechunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(b.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(b.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}
