// Who may talk to the status endpoint. The endpoint tells anyone who asks
// the whole topology (members and their addresses, who announces which
// service IP, BGP peers), so besides binding to the node's address rather
// than every address, a speaker can narrow the sources it answers to a list
// of CIDRs (--status-allow). Connections from the host itself always pass:
// loopback, and a source equal to the address it connected to (the kubelet
// probing the pod IP of a host-network pod from the node); Linux drops
// packets that arrive from outside with one of the host's own addresses as
// their source, so that second rule cannot be borrowed by a remote sender.
import { parseIP, parseRange, rangeContains, unmapIPv4, type IP, type IPRange } from '../net/index.js';

export interface AllowList {
  /** The CIDRs as given, for status and logs. */
  readonly cidrs: readonly string[];
  /** Whether a connection from `remote` to `local` may be served. */
  admits(remote: string | undefined, local: string | undefined): boolean;
}

const LOOPBACK: readonly IPRange[] = ['127.0.0.0/8', '::1/128'].map((c) => {
  const r = parseRange(c);
  if (!r.ok) throw new Error(r.message);
  return r.range;
});

/** A socket's address as an IP; "::ffff:192.0.2.1" (an IPv4 peer of a dual-stack socket) is the IPv4 address. */
export function socketIP(address: string | undefined): IP | undefined {
  if (!address) return undefined;
  return parseIP(unmapIPv4(address));
}

/**
 * Parses CIDRs ("192.0.2.0/24", "2001:db8::/32"); an empty list admits every
 * source. Throws naming the first entry that is not a CIDR.
 */
export function parseAllowList(cidrs: readonly string[], what = '--status-allow'): AllowList {
  const ranges: IPRange[] = [];
  for (const c of cidrs) {
    if (!c.includes('/')) throw new Error(`${what}: ${JSON.stringify(c)} is not a CIDR (address/length)`);
    const r = parseRange(c.trim());
    if (!r.ok) throw new Error(`${what}: ${r.message}`);
    ranges.push(r.range);
  }
  return {
    cidrs: [...cidrs],
    admits(remote, local) {
      if (ranges.length === 0) return true;
      const ip = socketIP(remote);
      if (!ip) return false;
      if (LOOPBACK.some((r) => rangeContains(r, ip))) return true;
      const own = socketIP(local);
      if (own && own.family === ip.family && own.value === ip.value) return true;
      return ranges.some((r) => rangeContains(r, ip));
    },
  };
}
