import type { FlowConfig } from './config.js';
import type { RequestInfo } from './context.js';
import { returnToForbidden } from './errors.js';

/**
 * A requested `return_to` as the flow keeps it: null when none was asked for; a relative path or a
 * URL of the project's own origin or of an allowed one as given (URLs normalised). Throws
 * `returnToForbidden` for anything else.
 */
export function checkReturnTo(ri: RequestInfo, cfg: FlowConfig, raw: string | undefined): string | null {
  if (!raw) return null;
  if (raw.length > 2048) throw returnToForbidden(raw);
  // Browsers drop tabs and newlines inside URLs (`/\t/evil.example` becomes `//evil.example`), and
  // a control character cannot go into a Location header at all: refuse them, and backslashes.
  if (/[\u0000-\u001f\u007f\\]/.test(raw)) throw returnToForbidden(raw);
  if (raw.startsWith('/') && !raw.startsWith('//') && !raw.startsWith('/\\')) return raw;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw returnToForbidden(raw);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw returnToForbidden(raw);
  const own = new URL(ri.baseUrl);
  if (url.origin === own.origin) return url.toString();
  for (const allowed of cfg.allowedReturnUrls) {
    try {
      const a = new URL(allowed);
      if (a.origin === url.origin && url.pathname.startsWith(a.pathname)) return url.toString();
    } catch {
      // an unparsable allow-list entry allows nothing
    }
  }
  throw returnToForbidden(raw);
}
