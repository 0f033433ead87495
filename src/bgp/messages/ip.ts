// IP addresses and prefixes as BGP carries them: fixed-size byte strings
// and <length, prefix> NLRI encodings (RFC 4271 4.3, RFC 4760 5). Text forms
// are canonical (RFC 5952 for IPv6) so that equal prefixes have equal keys;
// text parsing and formatting is the project's one strict parser.

import { formatIP, parseIP } from '../../alloc/ip.js';

export type Family = 'ipv4' | 'ipv6';

export interface Prefix {
  readonly family: Family;
  /** Canonical text of the network address, host bits zeroed. */
  readonly address: string;
  readonly length: number;
}

export function addressBytes(family: Family): number {
  return family === 'ipv4' ? 4 : 16;
}

/** Big-endian bytes of an address value from the shared parser (src/alloc/ip.ts). */
function toBytes(value: bigint, size: number): Buffer {
  const b = Buffer.alloc(size);
  let v = value;
  for (let i = size - 1; i >= 0; i--) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return b;
}

function fromBytes(b: Buffer, off: number, size: number): bigint {
  let v = 0n;
  for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(b[off + i]!);
  return v;
}

/** Strict parse (no zone, no IPv4-mapped IPv6, no leading zeros) into wire bytes. */
export function parseAddress(s: string): { family: Family; bytes: Buffer } | undefined {
  const ip = parseIP(s);
  if (!ip) return undefined;
  return ip.family === 4 ? { family: 'ipv4', bytes: toBytes(ip.value, 4) } : { family: 'ipv6', bytes: toBytes(ip.value, 16) };
}

export function parseIPv4(s: string): Buffer | undefined {
  const a = parseAddress(s);
  return a?.family === 'ipv4' ? a.bytes : undefined;
}

export function parseIPv6(s: string): Buffer | undefined {
  const a = parseAddress(s);
  return a?.family === 'ipv6' ? a.bytes : undefined;
}

export function formatIPv4(b: Buffer, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** RFC 5952 text of 16 bytes. */
export function formatIPv6(b: Buffer, off = 0): string {
  return formatIP({ family: 6, value: fromBytes(b, off, 16) });
}

export function formatAddress(family: Family, b: Buffer, off = 0): string {
  return family === 'ipv4' ? formatIPv4(b, off) : formatIPv6(b, off);
}

/** Canonical text of an address, or undefined when it is not one. */
export function canonicalAddress(s: string): string | undefined {
  const a = parseAddress(s);
  return a ? formatAddress(a.family, a.bytes) : undefined;
}

/** "::ffff:192.0.2.1" as sockets report IPv4 peers on dual-stack listeners -> "192.0.2.1". */
export function unmapIPv4(s: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(s);
  return m ? m[1]! : s;
}

function maskInPlace(bytes: Buffer, length: number): void {
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, length - i * 8));
    bytes[i] = bytes[i]! & ((0xff << (8 - bits)) & 0xff);
  }
}

/**
 * "198.51.100.10/32", "2001:db8::/64", or a bare address (a host prefix).
 * Host bits must be zero: a prefix with them set is almost always a typo.
 */
export function parsePrefix(s: string): Prefix | { error: string } {
  const slash = s.indexOf('/');
  const addrText = slash < 0 ? s : s.slice(0, slash);
  const addr = parseAddress(addrText);
  if (!addr) return { error: `"${s}" is not an IPv4 or IPv6 prefix` };
  const max = addr.bytes.length * 8;
  let length = max;
  if (slash >= 0) {
    const lt = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lt) || Number(lt) > max) return { error: `"${s}" has a prefix length outside 0..${max}` };
    length = Number(lt);
  }
  const masked = Buffer.from(addr.bytes);
  maskInPlace(masked, length);
  if (!masked.equals(addr.bytes)) return { error: `"${s}" has host bits set beyond /${length}` };
  return { family: addr.family, address: formatAddress(addr.family, masked), length };
}

/** The prefix of the given length that contains address (MetalLB's aggregationLength), or undefined for a bad input. */
export function prefixContaining(address: string, length: number): Prefix | undefined {
  const a = parseAddress(address);
  if (!a || !Number.isInteger(length) || length < 0 || length > a.bytes.length * 8) return undefined;
  maskInPlace(a.bytes, length);
  return { family: a.family, address: formatAddress(a.family, a.bytes), length };
}

export function prefixKey(p: Prefix): string {
  return `${p.address}/${p.length}`;
}

/** Size in bytes of the NLRI encoding of a prefix of this length. */
export function nlriSize(length: number): number {
  return 1 + ((length + 7) >> 3);
}

export function writeNlri(p: Prefix, out: Buffer, off: number): number {
  const bytes = p.family === 'ipv4' ? parseIPv4(p.address)! : parseIPv6(p.address)!;
  out[off] = p.length;
  const n = (p.length + 7) >> 3;
  bytes.copy(out, off + 1, 0, n);
  return off + 1 + n;
}

export function encodeNlri(prefixes: readonly Prefix[]): Buffer {
  const out = Buffer.alloc(prefixes.reduce((s, p) => s + nlriSize(p.length), 0));
  let off = 0;
  for (const p of prefixes) off = writeNlri(p, out, off);
  return out;
}

/**
 * Decodes a run of <length, prefix> entries filling buf exactly. Returns an
 * error string (for the caller's NOTIFICATION) at the first entry that is
 * too long for the family or runs past the end. Host bits beyond the length
 * are ignored, as RFC 4271 says they are irrelevant.
 */
export function decodeNlri(family: Family, buf: Buffer): Prefix[] | { error: string } {
  const max = addressBytes(family) * 8;
  const out: Prefix[] = [];
  let off = 0;
  while (off < buf.length) {
    const length = buf[off]!;
    if (length > max) return { error: `prefix length ${length} over ${max} at offset ${off}` };
    const n = (length + 7) >> 3;
    if (off + 1 + n > buf.length) return { error: `prefix of length ${length} at offset ${off} runs past the end (${buf.length} bytes)` };
    const bytes = Buffer.alloc(addressBytes(family));
    buf.copy(bytes, 0, off + 1, off + 1 + n);
    maskInPlace(bytes, length);
    out.push({ family, address: formatAddress(family, bytes), length });
    off += 1 + n;
  }
  return out;
}
