// An invitation link carries its token and the invited email in the URL fragment
// (`/invite#token=…&email=…`): browsers never send a fragment, so no access log or Referer header
// holds either. The email only prefills the sign-up and sign-in forms; the token is what counts.
// Links made before the email was added (`/invite#<token>`) still work, without the prefill.

export interface InviteLink {
  token: string;
  /** The invited address, or '' when the link does not say. */
  email: string;
}

/** The link an owner sends to the invited person. */
export function inviteLink(origin: string, token: string, email: string): string {
  return `${origin}/invite#${new URLSearchParams({ token, email })}`;
}

/** Reads an invitation link's fragment (`#token=…&email=…`, or the older `#<token>`). */
export function parseInviteHash(hash: string): InviteLink {
  const raw = hash.replace(/^#/, '');
  // Tokens are base64url, which has no '=': a fragment without one is an older, token-only link.
  if (!raw.includes('=')) return { token: safeDecode(raw), email: '' };
  const p = new URLSearchParams(raw);
  return { token: p.get('token') ?? '', email: p.get('email') ?? '' };
}

/** The invitation a sign-in or sign-up page leads back to (its `?next=/invite#…`), if any. */
export function inviteFromNext(search: string): InviteLink | null {
  const next = new URLSearchParams(search).get('next') ?? '';
  return next.startsWith('/invite#') ? parseInviteHash(next.slice('/invite'.length)) : null;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
