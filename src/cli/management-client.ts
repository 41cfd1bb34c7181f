// The CLI's HTTP side: it talks to a running Gatehouse with a workspace API key, as Ory's CLI
// talks to Ory Network (`ORY_WORKSPACE_API_KEY`), so it needs no access to the store.

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4000';

/** A refusal or failure, with the one line to print. */
export class CliError extends Error {}

export interface ManagementClient {
  endpoint: string;
  /** Calls the Management API; an answer that is not 2xx throws a CliError with the server's reason. */
  call<T>(method: string, path: string, body?: unknown): Promise<{ body: T; link: string | null }>;
}

/**
 * A client for `endpoint` (or `GATEHOUSE_URL`, or the local default) with the workspace key from
 * `ORY_WORKSPACE_API_KEY`. The key is sent only in the Authorization header, never printed.
 */
export function managementClient(endpoint: string | undefined, env: NodeJS.ProcessEnv = process.env): ManagementClient {
  const base = (endpoint ?? env.GATEHOUSE_URL ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(base)) throw new CliError(`the endpoint must be an http:// or https:// URL, got "${base}".`);
  const key = env.ORY_WORKSPACE_API_KEY?.trim();
  if (!key) throw new CliError('set ORY_WORKSPACE_API_KEY to a workspace API key (ory_wak_...).');
  return {
    endpoint: base,
    async call<T>(method: string, path: string, body?: unknown) {
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, {
          method,
          headers: { authorization: `Bearer ${key}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (err) {
        throw new CliError(`cannot reach ${base}: ${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message}`);
      }
      const text = await res.text();
      let parsed: unknown = undefined;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: reported below by status
      }
      if (!res.ok) {
        const e = (parsed as { error?: { reason?: string; message?: string } } | undefined)?.error;
        throw new CliError(`${res.status}: ${e?.reason ?? e?.message ?? res.statusText}`);
      }
      return { body: parsed as T, link: res.headers.get('link') };
    },
  };
}

/** The `next` page link of Ory's Link header, or null on the last page. */
export function nextLink(link: string | null): string | null {
  return link ? (/<([^>]+)>;\s*rel="next"/.exec(link)?.[1] ?? null) : null;
}
