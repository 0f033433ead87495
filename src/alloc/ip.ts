// IP addresses as (family, BigInt) pairs. One representation for IPv4 and
// IPv6 keeps range arithmetic identical for both families and lets a /64
// cost exactly what a /28 costs: nothing is ever enumerated.
//
// Parsing is strict on purpose. Config and Service annotations are written by
// people; an address that only parses by accident (a zone id, an IPv4-mapped
// IPv6 address that Go would silently turn into IPv4, "010.0.0.1" that some
// libc read as octal) is rejected with the reason.

export type Family = 4 | 6;

export interface IP {
  readonly family: Family;
  readonly value: bigint;
}

export type IPParse = { ok: true; ip: IP } | { ok: false; reason: string };

export const FAMILY_BITS: Readonly<Record<Family, number>> = { 4: 32, 6: 128 };
export const FAMILY_MAX: Readonly<Record<Family, bigint>> = { 4: (1n << 32n) - 1n, 6: (1n << 128n) - 1n };

const V4_PART = /^(0|[1-9][0-9]{0,2})$/;
const V6_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseV4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0;
  for (const p of parts) {
    if (!V4_PART.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = v * 256 + n;
  }
  return BigInt(v);
}

/** Parses RFC 4291 text (one "::" at most, optional dotted IPv4 tail). */
function parseV6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (s: string): bigint[] | undefined => {
    if (s === '') return [];
    const out: bigint[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as string;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseV4(p);
        if (v4 === undefined) return undefined;
        out.push(v4 >> 16n, v4 & 0xffffn);
      } else {
        if (!V6_GROUP.test(p)) return undefined;
        out.push(BigInt(parseInt(p, 16)));
      }
    }
    return out;
  };
  const head = groupsOf(halves[0] as string);
  if (head === undefined) return undefined;
  let groups: bigint[];
  if (halves.length === 2) {
    const tail = groupsOf(halves[1] as string);
    if (tail === undefined) return undefined;
    // A dotted tail is only allowed at the very end of the address.
    if (head.length + tail.length > 7) return undefined;
    if ((halves[0] as string).includes('.')) return undefined;
    groups = [...head, ...new Array<bigint>(8 - head.length - tail.length).fill(0n), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return undefined;
  let v = 0n;
  for (const g of groups) v = (v << 16n) | g;
  return v;
}

/** Parses an IPv4 or IPv6 address, saying why it was refused. */
export function parseIPDetailed(text: string): IPParse {
  if (text.includes('%')) return { ok: false, reason: 'zone identifiers are not allowed' };
  if (text.includes(':')) {
    const v = parseV6(text);
    if (v === undefined) return { ok: false, reason: 'not an IP address' };
    if (v >> 32n === 0xffffn) {
      return { ok: false, reason: 'IPv4-mapped IPv6 addresses are not allowed, write the IPv4 address' };
    }
    return { ok: true, ip: { family: 6, value: v } };
  }
  const v = parseV4(text);
  if (v === undefined) return { ok: false, reason: 'not an IP address' };
  return { ok: true, ip: { family: 4, value: v } };
}

export function parseIP(text: string): IP | undefined {
  const r = parseIPDetailed(text);
  return r.ok ? r.ip : undefined;
}

/** Canonical text: dotted quad, or RFC 5952 (lower case, longest zero run as "::"). */
export function formatIP(ip: IP): string {
  return ip.family === 4 ? formatV4(ip.value) : formatV6(ip.value);
}

function formatV4(v: bigint): string {
  return formatV4Number(Number(v));
}

/** Dotted quad of an IPv4 address held as a number (0 to 2^32 - 1). */
export function formatV4Number(n: number): string {
  // join makes a flat string; concatenation makes a cons string, which V8
  // copies flat the first time it is hashed (the allocator keys maps by it)
  // and then keeps both.
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The eight 16-bit groups of an IPv6 address, most significant first. */
export function v6Groups(v: bigint): number[] {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  return groups;
}

function formatV6(v: bigint): string {
  return formatV6Groups(v6Groups(v));
}

// Reused by formatV6Plus: formatting is synchronous, so one buffer serves every call.
const sumGroups = [0, 0, 0, 0, 0, 0, 0, 0];

/**
 * RFC 5952 text of the IPv6 address `groups` + `offset`, without BigInt
 * arithmetic: the allocator formats addresses as a range's first address
 * plus a safe-integer offset. The sum must stay within the address space.
 */
export function formatV6Plus(groups: readonly number[], offset: number): string {
  let carry = offset;
  for (let i = 7; i >= 0; i--) {
    const low = carry % 65536;
    const sum = (groups[i] as number) + low;
    carry = (carry - low) / 65536 + (sum > 65535 ? 1 : 0);
    sumGroups[i] = sum & 65535;
  }
  return formatV6Groups(sumGroups);
}

/** RFC 5952 4.2: lower case, the longest run of two or more zero groups as "::", the first on a tie. */
function formatV6Groups(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  // Joined, not concatenated: join makes one flat string (see formatV4Number).
  const parts: string[] = [];
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      // An empty part on each side of the run joins into "::".
      if (i === 0) parts.push('');
      parts.push('');
      i += bestLen - 1;
      if (i === 7) parts.push('');
      continue;
    }
    parts.push((groups[i] as number).toString(16));
  }
  return parts.join(':');
}

/** Orders IPv4 before IPv6, then by value. */
export function compareIP(a: IP, b: IP): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/**
 * Addresses ending in .0 or .255 are dropped by some old consumer devices
 * (smurf protection gone wrong); pools with avoidBuggyIPs skip them. IPv4 only.
 */
export function isBuggyIPv4(ip: IP): boolean {
  if (ip.family !== 4) return false;
  const low = ip.value & 0xffn;
  return low === 0n || low === 255n;
}

export function familyName(f: Family): 'IPv4' | 'IPv6' {
  return f === 4 ? 'IPv4' : 'IPv6';
}
