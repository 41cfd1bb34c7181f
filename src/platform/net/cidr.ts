import ipaddr from 'ipaddr.js';

/** At most this many ranges on one allowlist: a list is for a few offices and clusters, not a geo database. */
export const MAX_CIDRS = 100;

/** A set of address ranges that can answer "is this client address in it?" without I/O. */
export interface AddressRanges {
  /** The ranges in canonical text form (`203.0.113.0/24`, `2001:db8::/32`), as stored and shown. */
  readonly cidrs: readonly string[];
  contains(address: string): boolean;
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * Parses one range (`203.0.113.0/24`, `2001:db8::/32`, or a bare address meaning one host) into its
 * canonical form, or returns why it is not one. Host bits must be zero, as `ip route` wants: a range
 * written `203.0.113.7/24` is more likely a mistake than a wish for the whole /24.
 */
export function parseCidr(text: unknown): { range: Range; cidr: string } | string {
  if (typeof text !== 'string' || text.length === 0 || text.length > 64) return 'an address range must be a string such as 203.0.113.0/24';
  const shown = JSON.stringify(text);
  let range: Range;
  try {
    range = text.includes('/') ? ipaddr.parseCIDR(text) : (() => { const a = ipaddr.parse(text); return [a, a.kind() === 'ipv4' ? 32 : 128] as Range; })();
  } catch {
    return `${shown} is not an IPv4 or IPv6 address range`;
  }
  // Only the strict forms: ipaddr.js also reads `10.1` or octal `010.0.0.1` as IPv4, which nobody means.
  if (range[0].kind() === 'ipv4' && !ipaddr.IPv4.isValidFourPartDecimal(text.split('/')[0])) return `${shown} is not an IPv4 or IPv6 address range`;
  const [address, prefix] = range;
  const network = address.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(`${address}/${prefix}`) : ipaddr.IPv6.networkAddressFromCIDR(`${address}/${prefix}`);
  if (network.toString() !== address.toString()) return `${shown} has host bits set; did you mean ${network.toString()}/${prefix}?`;
  return { range, cidr: `${network.toString()}/${prefix}` };
}

/** Parses an allowlist; the first problem is returned as text naming the bad entry. */
export function parseAddressRanges(list: readonly unknown[]): AddressRanges | string {
  if (list.length > MAX_CIDRS) return `at most ${MAX_CIDRS} address ranges are allowed`;
  const ranges: Range[] = [];
  const cidrs: string[] = [];
  for (const item of list) {
    const parsed = parseCidr(item);
    if (typeof parsed === 'string') return parsed;
    if (cidrs.includes(parsed.cidr)) continue;
    ranges.push(parsed.range);
    cidrs.push(parsed.cidr);
  }
  return { cidrs, contains: (address) => inRanges(address, ranges) };
}

function inRanges(address: string, ranges: readonly Range[]): boolean {
  if (!ipaddr.isValid(address)) return false;
  // `process` turns `::ffff:203.0.113.7`, how a dual-stack socket reports an IPv4 client, into IPv4.
  const a = ipaddr.process(address);
  return ranges.some(([net, bits]) => net.kind() === a.kind() && a.match(net as never, bits));
}
