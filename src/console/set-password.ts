import type { Registry } from '../registry.js';
import { checkPasswordPolicy, hashPassword } from './account-service.js';

/**
 * Reads a password from standard input: the whole of a pipe (`--password-stdin`, without its final
 * newline), or one line typed at a terminal without echo. Never from argv, where `ps` would show it.
 */
export async function readPassword(prompt = 'New password: '): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  let out = '';
  try {
    return await new Promise<string>((resolve, reject) => {
      stdin.on('data', (buf: Buffer) => {
        for (const ch of buf.toString('utf8')) {
          if (ch === '\r' || ch === '\n') return resolve(out);
          if (ch === '\u0003') return reject(new Error('cancelled'));
          if (ch === '\u007f' || ch === '\b') out = out.slice(0, -1);
          else out += ch;
        }
      });
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

/** Sets the console password of the user with `email` (argon2id) and signs out their sessions. */
export async function setConsolePassword(r: Pick<Registry, 'tenancy' | 'db'>, email: string, password: string): Promise<{ email: string }> {
  const user = await r.tenancy.users.byEmail(email);
  if (!user) throw new Error(`no console user with the email ${email}; create one with \`gatehouse bootstrap\` or sign up in the console.`);
  checkPasswordPolicyForCli(password, user.email);
  await r.tenancy.users.setPasswordHash(user.id, await hashPassword(password));
  await r.db.deleteFrom('console_sessions').where('user_id', '=', user.id).execute();
  return { email: user.email };
}

function checkPasswordPolicyForCli(password: string, email: string): void {
  try {
    checkPasswordPolicy(password, email);
  } catch (err) {
    throw new Error((err as { reason?: string }).reason ?? 'the password does not meet the policy.');
  }
}
