// Prefixes: a network address and a length, host bits zero.

import { FAMILY_BITS, type Family } from './family.js';
import { formatIP, parseIP } from './ip.js';

export interface Prefix {
  readonly family: Family;
  /** The network address, host bits zero. */
  readonly address: bigint;
  readonly length: number;
}

export type PrefixParse = { ok: true; prefix: Prefix } | { ok: false; reason: string };

const PREFIX_LEN = /^(0|[1-9][0-9]{0,2})$/;

/** The value with every bit past the first `length` of a `family` address cleared. */
export function networkOf(family: Family, value: bigint, length: number): bigint {
  const hostBits = BigInt(FAMILY_BITS[family] - length);
  return (value >> hostBits) << hostBits;
}

/** Whether `length` is a prefix length of the family: an integer from 0 to the address width. */
function isPrefixLength(family: Family, length: number): boolean {
  return Number.isInteger(length) && length >= 0 && length <= FAMILY_BITS[family];
}

/** The text of a prefix length ("24", not "024") as a number, if it is one for the family. */
export function parsePrefixLength(family: Family, text: string): number | undefined {
  if (!PREFIX_LEN.test(text)) return undefined;
  const n = Number(text);
  return n <= FAMILY_BITS[family] ? n : undefined;
}

/**
 * "198.51.100.10/32", "2001:db8::/64", or a bare address (a host prefix).
 * Host bits must be zero: a prefix with them set is almost always a typo.
 */
export function parsePrefix(text: string): PrefixParse {
  const slash = text.indexOf('/');
  const ip = parseIP(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return { ok: false, reason: `"${text}" is not an IPv4 or IPv6 prefix` };
  let length = FAMILY_BITS[ip.family];
  if (slash >= 0) {
    const parsed = parsePrefixLength(ip.family, text.slice(slash + 1));
    if (parsed === undefined) return { ok: false, reason: `"${text}" has a prefix length outside 0..${FAMILY_BITS[ip.family]}` };
    length = parsed;
  }
  const address = networkOf(ip.family, ip.value, length);
  if (address !== ip.value) return { ok: false, reason: `"${text}" has host bits set beyond /${length}` };
  return { ok: true, prefix: { family: ip.family, address, length } };
}

/** The prefix of the given length that contains the address (MetalLB's aggregationLength); undefined for a bad length. */
export function prefixContaining(ip: { readonly family: Family; readonly value: bigint }, length: number): Prefix | undefined {
  if (!isPrefixLength(ip.family, length)) return undefined;
  return { family: ip.family, address: networkOf(ip.family, ip.value, length), length };
}

/** "198.51.100.0/24": the canonical text, which keys prefixes in maps. */
export function formatPrefix(p: Prefix): string {
  return `${formatIP({ family: p.family, value: p.address })}/${p.length}`;
}
