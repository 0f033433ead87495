// IP addresses: one value type for both families, the one text parser, the
// one canonical text, and the byte forms the codecs put on the wire.
//
// An address is (family, BigInt): range arithmetic is the same for IPv4 and
// IPv6, and a /64 costs what a /28 costs since nothing is ever enumerated.
// Internally text is parsed to a 32-bit number or eight 16-bit groups, so
// the codecs' text <-> bytes paths never touch BigInt.
//
// Parsing is strict on purpose. Config, annotations and VIP files are
// written by people; an address that only parses by accident (a zone id, an
// IPv4-mapped IPv6 address that Go would silently turn into IPv4,
// "010.0.0.1" that some libc read as octal) is refused with the reason.
// Addresses off the wire or out of a socket may be IPv4-mapped; parsing them
// with { mapped: 'keep' } keeps them as the IPv6 addresses they are.
//
// Canonical text: dotted quad without leading zeros; IPv6 as RFC 5952 4
// (lower case, no leading zeros, the longest run of two or more zero groups
// as "::", the first on a tie, never a dotted tail). Equal addresses have
// equal text, so text can key maps.

import { FAMILY_BYTES, type Family } from './family.js';

export interface IP {
  readonly family: Family;
  readonly value: bigint;
}

export type IPParse = { ok: true; ip: IP } | { ok: false; reason: string };

export interface ParseOptions {
  /** IPv4-mapped IPv6 (::ffff:0:0/96): 'refuse' (the default: people write the IPv4 address) or 'keep' as IPv6. */
  readonly mapped?: 'refuse' | 'keep';
}

const NOT_AN_IP: IPParse = Object.freeze({ ok: false, reason: 'not an IP address' });
const ZONE: IPParse = Object.freeze({ ok: false, reason: 'zone identifiers are not allowed' });
const MAPPED: IPParse = Object.freeze({ ok: false, reason: 'IPv4-mapped IPv6 addresses are not allowed, write the IPv4 address' });

// ---- text -> numbers ---------------------------------------------------------

/** A dotted quad (four decimal octets, no leading zeros, as net.isIPv4) as a number, else undefined. */
function v4Number(text: string, from = 0, to = text.length): number | undefined {
  let parts = 0;
  let value = 0;
  let octet = 0;
  let digits = 0;
  for (let i = from; i <= to; i++) {
    const c = i < to ? text.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || parts === 4) return undefined;
      value = value * 256 + octet;
      parts++;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return undefined; // leading zero
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return undefined;
    } else {
      return undefined;
    }
  }
  return parts === 4 ? value : undefined;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Writes the groups of text[from, to), a colon-separated list of 1-4 hex
 * digit groups whose last entry may be a dotted quad (two groups), into
 * out[0..]. Returns how many, or -1 when the list is malformed or longer
 * than an address. An empty span is an empty list.
 */
function writeGroups(text: string, from: number, to: number, out: number[]): number {
  if (from === to) return 0;
  let n = 0;
  let start = from;
  for (let i = from; i <= to; i++) {
    if (i < to && text.charCodeAt(i) !== 58) continue;
    const dot = i === to ? text.indexOf('.', start) : -1;
    if (dot >= 0 && dot < to) {
      const v4 = v4Number(text, start, to);
      if (v4 === undefined || n > 6) return -1;
      out[n++] = v4 >>> 16;
      out[n++] = v4 & 0xffff;
      return n;
    }
    const len = i - start;
    if (len < 1 || len > 4 || n === 8) return -1;
    let g = 0;
    for (let k = start; k < i; k++) {
      const d = hexDigit(text.charCodeAt(k));
      if (d < 0) return -1;
      g = g * 16 + d;
    }
    out[n++] = g;
    start = i + 1;
  }
  return n;
}

/**
 * Scratch for v6Groups. Every caller reads the groups at once and keeps
 * none, so parsing, which the responders and the gratuitous frames do for
 * every address they write, allocates no arrays.
 */
const scratchGroups = [0, 0, 0, 0, 0, 0, 0, 0];
const scratchTail = [0, 0, 0, 0, 0, 0, 0, 0];

/**
 * RFC 4291 2.2 text (at most one "::", optional dotted-quad tail) as eight
 * groups, else undefined. The array is shared: read it before the next call.
 */
function v6Groups(text: string): readonly number[] | undefined {
  const groups = scratchGroups;
  const gap = text.indexOf('::');
  if (gap < 0) return writeGroups(text, 0, text.length, groups) === 8 ? groups : undefined;
  if (text.indexOf('::', gap + 1) >= 0) return undefined;
  // A dotted quad is only allowed at the very end.
  const dot = text.indexOf('.');
  if (dot >= 0 && dot < gap) return undefined;
  const head = writeGroups(text, 0, gap, groups);
  const tail = writeGroups(text, gap + 2, text.length, scratchTail);
  // "::" stands for at least one group.
  if (head < 0 || tail < 0 || head + tail > 7) return undefined;
  for (let i = head; i < 8 - tail; i++) groups[i] = 0;
  for (let i = 0; i < tail; i++) groups[8 - tail + i] = scratchTail[i]!;
  return groups;
}

function isMappedGroups(g: readonly number[]): boolean {
  return g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff;
}

function groupsValue(g: readonly number[]): bigint {
  let v = 0n;
  for (const x of g) v = (v << 16n) | BigInt(x);
  return v;
}

/** The eight 16-bit groups of an IPv6 address value, most significant first. */
export function ipv6Groups(value: bigint): number[] {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  return groups;
}

// ---- parsing ---------------------------------------------------------------

/** Parses an IPv4 or IPv6 address, saying why it was refused. */
export function parseIPDetailed(text: string, opts: ParseOptions = {}): IPParse {
  if (text.includes('%')) return ZONE;
  if (text.includes(':')) {
    const g = v6Groups(text);
    if (g === undefined) return NOT_AN_IP;
    if (opts.mapped !== 'keep' && isMappedGroups(g)) return MAPPED;
    return { ok: true, ip: { family: 6, value: groupsValue(g) } };
  }
  const n = v4Number(text);
  if (n === undefined) return NOT_AN_IP;
  return { ok: true, ip: { family: 4, value: BigInt(n) } };
}

export function parseIP(text: string, opts?: ParseOptions): IP | undefined {
  const r = parseIPDetailed(text, opts);
  return r.ok ? r.ip : undefined;
}

/** The family of address text, undefined when it is not one (IPv4-mapped text is IPv6; zones are refused). */
export function ipFamily(text: string): Family | undefined {
  return parseIP(text, { mapped: 'keep' })?.family;
}

/** The canonical text of address text, undefined when it is not an address. */
export function canonicalIP(text: string, opts?: ParseOptions): string | undefined {
  const ip = parseIP(text, opts);
  return ip && formatIP(ip);
}

/** The text to key an address by: its canonical text, or the text as given when it is no address (a host name, say). */
export function ipKey(text: string): string {
  return canonicalIP(text) ?? text;
}

/** "::ffff:192.0.2.1", as sockets report IPv4 peers of dual-stack listeners -> "192.0.2.1"; other text unchanged. */
export function unmapIPv4(text: string): string {
  if (!text.includes(':')) return text;
  const g = v6Groups(text);
  return g && isMappedGroups(g) ? formatIPv4Number((g[6]! << 16) + g[7]!) : text;
}

// ---- canonical text ----------------------------------------------------------

export function formatIP(ip: IP): string {
  return ip.family === 4 ? formatIPv4Number(Number(ip.value)) : formatIPv6Groups(ipv6Groups(ip.value));
}

/** Dotted quad of an IPv4 address held as a number (0 to 2^32 - 1). */
export function formatIPv4Number(n: number): string {
  // join makes a flat string; concatenation makes a cons string, which V8
  // copies flat the first time it is hashed (the allocator keys maps by it)
  // and then keeps both.
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

// Reused by formatIPv6Plus: formatting is synchronous, so one buffer serves every call.
const sumGroups = [0, 0, 0, 0, 0, 0, 0, 0];

/**
 * RFC 5952 text of the IPv6 address `groups` + `offset`, without BigInt
 * arithmetic: the allocator formats addresses as a range's first address
 * plus a safe-integer offset. The sum must stay within the address space.
 */
export function formatIPv6Plus(groups: readonly number[], offset: number): string {
  let carry = offset;
  for (let i = 7; i >= 0; i--) {
    const low = carry % 65536;
    const sum = (groups[i] as number) + low;
    carry = (carry - low) / 65536 + (sum > 65535 ? 1 : 0);
    sumGroups[i] = sum & 65535;
  }
  return formatIPv6Groups(sumGroups);
}

/** RFC 5952 4.2: lower case, the longest run of two or more zero groups as "::", the first on a tie. */
function formatIPv6Groups(groups: readonly number[]): string {
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
  // Joined, not concatenated: join makes one flat string (see formatIPv4Number).
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

// ---- bytes -----------------------------------------------------------------

/** The address in the FAMILY_BYTES[family] bytes at buf[offset]. */
export function ipFromBytes(family: Family, buf: Buffer, offset = 0): IP {
  if (family === 4) return { family, value: BigInt(buf.readUInt32BE(offset)) };
  return { family, value: (buf.readBigUInt64BE(offset) << 64n) | buf.readBigUInt64BE(offset + 8) };
}

/** Writes the address's FAMILY_BYTES[family] big-endian bytes at out[offset]. */
export function writeIP(ip: IP, out: Buffer, offset = 0): void {
  if (ip.family === 4) out.writeUInt32BE(Number(ip.value), offset);
  else {
    out.writeBigUInt64BE(ip.value >> 64n, offset);
    out.writeBigUInt64BE(ip.value & 0xffff_ffff_ffff_ffffn, offset + 8);
  }
}

export function ipBytes(ip: IP): Buffer {
  const out = Buffer.alloc(FAMILY_BYTES[ip.family]);
  writeIP(ip, out);
  return out;
}

// The layer-2 and BGP messages carry addresses as canonical text (readable in
// tests and logs). These convert that text to and from its bytes directly;
// the responders run them for every answer, so they avoid BigInt and
// intermediate strings.

/** Writes the 4 bytes of a dotted quad at out[offset]; throws TypeError on anything else. */
export function writeIPv4(text: string, out: Buffer, offset: number): void {
  const n = v4Number(text);
  if (n === undefined) throw new TypeError(`not an IPv4 address: "${text}"`);
  out.writeUInt32BE(n, offset);
}

export function parseIPv4(text: string): Buffer {
  const out = Buffer.allocUnsafe(4);
  writeIPv4(text, out, 0);
  return out;
}

export function formatIPv4(buf: Buffer, offset = 0): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
}

/** Writes the 16 bytes of IPv6 text (IPv4-mapped included) at out[offset]; throws TypeError on anything else, zones included. */
export function writeIPv6(text: string, out: Buffer, offset: number): void {
  const g = text.includes('%') ? undefined : v6Groups(text);
  if (g === undefined) throw new TypeError(`not an IPv6 address: "${text}"`);
  for (let i = 0; i < 8; i++) out.writeUInt16BE(g[i]!, offset + i * 2);
}

export function parseIPv6(text: string): Buffer {
  const out = Buffer.allocUnsafe(16);
  writeIPv6(text, out, 0);
  return out;
}

export function formatIPv6(buf: Buffer, offset = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(offset + i * 2));
  return formatIPv6Groups(groups);
}

/** An IPv6 address in fe80::/10, which needs a zone (interface) to be used as a destination. */
export function isLinkLocalIPv6(ip: IP): boolean {
  return ip.family === 6 && ip.value >> 118n === 0x3fan;
}

/** Whether the 16 bytes at buf[offset] are an IPv6 multicast address (ff00::/8). */
export function isMulticastIPv6(buf: Buffer, offset = 0): boolean {
  return buf[offset] === 0xff;
}
