import type { FastifyInstance } from 'fastify';

export interface ConsoleUser {
  userId: string;
  email: string;
  cookie: string;
  csrf: string;
  /** Headers for a state-changing management call as this user. */
  headers: Record<string, string>;
}

let seq = 0;
export const uniqueEmail = (label: string) => `${label}-${process.pid}-${Date.now()}-${seq++}@example.com`;

let addresses = 0;

/**
 * Signs a new person up through the console API and returns their session cookie and CSRF token.
 * Each sign-up comes from an address of its own: the per-address sign-up limit (30 in 15 minutes) is
 * kept in the store, which every test file of a PostgreSQL run shares.
 */
export async function signUp(app: FastifyInstance, label = 'person', password = 'correct horse battery'): Promise<ConsoleUser> {
  const email = uniqueEmail(label);
  const n = addresses++;
  const remoteAddress = `10.77.${(n >> 8) & 255}.${n & 255}`;
  const res = await app.inject({ method: 'POST', url: '/console/api/sign-up', payload: { email, password }, remoteAddress });
  if (res.statusCode !== 201) throw new Error(`sign-up failed: ${res.statusCode} ${res.body}`);
  return fromResponse(res, email);
}

export async function signIn(app: FastifyInstance, email: string, password: string): Promise<ConsoleUser> {
  const res = await app.inject({ method: 'POST', url: '/console/api/sign-in', payload: { email, password } });
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
  return fromResponse(res, email);
}

function fromResponse(res: { json(): any; cookies: { name: string; value: string }[] }, email: string): ConsoleUser {
  const c = res.cookies.find((x) => x.name === 'gatehouse_console_session');
  if (!c) throw new Error('no session cookie');
  const body = res.json();
  const cookie = `gatehouse_console_session=${c.value}`;
  return { userId: body.user.id, email, cookie, csrf: body.csrf_token, headers: { cookie, 'x-csrf-token': body.csrf_token } };
}
