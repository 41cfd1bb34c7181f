import { lookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { AddressRanges } from './cidr.js';

/**
 * The SSRF guard of every request Gatehouse makes on a project's behalf (courier SMTP and HTTP
 * delivery, webhooks): a project admin chooses the target, so a target that resolves to a private,
 * loopback, link-local or otherwise non-public address is refused unless the operator allows its
 * range in server config (`OUTBOUND_ALLOW_NETWORKS`). The check is on the resolved address the
 * connection then uses, so a name that resolves to 127.0.0.1 is refused like the address itself.
 */
export class OutboundRefused extends Error {
  constructor(readonly host: string, readonly address: string) {
    super(`the target ${host} resolves to ${address}, which is not a public address; the server's OUTBOUND_ALLOW_NETWORKS does not allow it`);
    this.name = 'OutboundRefused';
  }
}

/** True when `address` may be connected to: public unicast, or in the operator's allowed ranges. */
export function outboundAllowed(address: string, allow: AddressRanges | null): boolean {
  if (!ipaddr.isValid(address)) return false;
  if (allow?.contains(address)) return true;
  return ipaddr.process(address).range() === 'unicast';
}

/** Resolves `host` to one address it is allowed to connect to, or throws `OutboundRefused`. */
export async function resolveOutbound(host: string, allow: AddressRanges | null): Promise<{ address: string; family: 4 | 6 }> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const found = ipaddr.isValid(bare) ? [{ address: bare, family: bare.includes(':') ? 6 : 4 }] : await lookup(bare, { all: true, verbatim: true });
  const refused = found.find((a) => !outboundAllowed(a.address, allow));
  // Every address a name has must be allowed: otherwise a name with one public and one private
  // address would reach the private one on some connections.
  if (refused || found.length === 0) throw new OutboundRefused(host, refused?.address ?? 'no address');
  return { address: found[0].address, family: found[0].family as 4 | 6 };
}

/** A `lookup` for `http.request`/`net.connect` that resolves through `resolveOutbound`. */
export function guardedLookup(allow: AddressRanges | null): LookupFunction {
  return (hostname, options, callback) => {
    resolveOutbound(hostname, allow).then(
      ({ address, family }) => {
        if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
        else callback(null, address, family);
      },
      (err: Error) => callback(err as NodeJS.ErrnoException, '', 4),
    );
  };
}
