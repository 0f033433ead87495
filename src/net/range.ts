// Address ranges: the "10.0.0.0/24" and "10.0.0.10-10.0.0.20" entries of a
// pool, as inclusive [first, last] BigInt bounds. Sizes and counts are exact
// BigInt arithmetic, so an IPv6 /0 is as cheap as an IPv4 /32.

import { FAMILY_BITS, FAMILY_MAX, familyName, type Family } from './family.js';
import { formatIP, parseIPDetailed, type IP } from './ip.js';
import { formatPrefix, networkOf, parsePrefixLength, type Prefix } from './prefix.js';

export interface IPRange {
  readonly family: Family;
  readonly first: bigint;
  readonly last: bigint;
}

export type RangeParseCode = 'not-a-range' | 'reversed-range' | 'mixed-family-range';

export type RangeParse = { ok: true; range: IPRange } | { ok: false; code: RangeParseCode; message: string };

/**
 * Parses a CIDR ("198.51.100.0/24") or an inclusive range ("a-b", spaces
 * around the dash allowed). Like MetalLB (Go's net.ParseCIDR), a CIDR with
 * host bits set is accepted and means its whole network: "198.51.100.7/24"
 * is 198.51.100.0/24.
 */
export function parseRange(text: string): RangeParse {
  const bad = (detail: string): RangeParse => ({
    ok: false,
    code: 'not-a-range',
    message: `${JSON.stringify(text)} is not an IP range: ${detail}`,
  });
  const dash = text.indexOf('-');
  if (dash < 0) {
    const slash = text.indexOf('/');
    if (slash < 0) return bad('expected a CIDR (address/length) or a range (first-last)');
    const addr = parseIPDetailed(text.slice(0, slash));
    if (!addr.ok) return bad(`${JSON.stringify(text.slice(0, slash))}: ${addr.reason}`);
    const lenText = text.slice(slash + 1);
    const length = parsePrefixLength(addr.ip.family, lenText);
    if (length === undefined) return bad(`prefix length ${JSON.stringify(lenText)} is not 0 to ${FAMILY_BITS[addr.ip.family]}`);
    return { ok: true, range: prefixRange({ family: addr.ip.family, address: addr.ip.value, length }) };
  }
  const startText = text.slice(0, dash).trim();
  const endText = text.slice(dash + 1).trim();
  const start = parseIPDetailed(startText);
  if (!start.ok) return bad(`start ${JSON.stringify(startText)}: ${start.reason}`);
  const end = parseIPDetailed(endText);
  if (!end.ok) return bad(`end ${JSON.stringify(endText)}: ${end.reason}`);
  if (start.ip.family !== end.ip.family) {
    return {
      ok: false,
      code: 'mixed-family-range',
      message: `${JSON.stringify(text)} mixes ${familyName(start.ip.family)} and ${familyName(end.ip.family)}`,
    };
  }
  if (start.ip.value > end.ip.value) {
    return {
      ok: false,
      code: 'reversed-range',
      message: `${JSON.stringify(text)} is reversed: ${startText} is after ${endText}`,
    };
  }
  return { ok: true, range: { family: start.ip.family, first: start.ip.value, last: end.ip.value } };
}

/** The addresses a prefix covers (host bits of `address` are ignored). */
function prefixRange(p: Prefix): IPRange {
  const first = networkOf(p.family, p.address, p.length);
  return { family: p.family, first, last: first + (1n << BigInt(FAMILY_BITS[p.family] - p.length)) - 1n };
}

export function rangeSize(r: IPRange): bigint {
  return r.last - r.first + 1n;
}

export function rangeContains(r: IPRange, ip: IP): boolean {
  return r.family === ip.family && r.first <= ip.value && ip.value <= r.last;
}

/** "first-last", or "address/len" when the range is exactly one prefix. */
export function formatRange(r: IPRange): string {
  const prefixes = summarizeRange(r);
  const only = prefixes.length === 1 ? prefixes[0] : undefined;
  if (only) return formatPrefix(only);
  return `${formatIP({ family: r.family, value: r.first })}-${formatIP({ family: r.family, value: r.last })}`;
}

/**
 * The fewest prefixes that cover exactly the range (at most 2 x bits of
 * them): the largest aligned block that fits, repeatedly.
 */
export function summarizeRange(r: IPRange): Prefix[] {
  const bits = FAMILY_BITS[r.family];
  const out: Prefix[] = [];
  let cur = r.first;
  while (cur <= r.last) {
    // Largest block allowed by alignment of `cur`.
    let hostBits = 0;
    while (hostBits < bits && ((cur >> BigInt(hostBits)) & 1n) === 0n) hostBits++;
    // Shrink until it fits in what is left.
    while (hostBits > 0 && cur + (1n << BigInt(hostBits)) - 1n > r.last) hostBits--;
    out.push({ family: r.family, address: cur, length: bits - hostBits });
    const next = cur + (1n << BigInt(hostBits));
    if (next > FAMILY_MAX[r.family]) break;
    cur = next;
  }
  return out;
}

/** Orders by family (IPv4 first), then first address. */
export function compareRanges(a: IPRange, b: IPRange): number {
  return a.family - b.family || (a.first < b.first ? -1 : a.first > b.first ? 1 : 0);
}

/** Sorts by family then start and merges overlapping or adjacent ranges. */
export function normalizeRanges(ranges: readonly IPRange[]): IPRange[] {
  const sorted = [...ranges].sort(compareRanges);
  const out: IPRange[] = [];
  for (const r of sorted) {
    const prev = out[out.length - 1];
    if (prev && prev.family === r.family && r.first <= prev.last + 1n) {
      if (r.last > prev.last) out[out.length - 1] = { family: r.family, first: prev.first, last: r.last };
    } else {
      out.push(r);
    }
  }
  return out;
}
