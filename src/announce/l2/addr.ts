// Text <-> bytes for the three address kinds layer 2 deals in. Strings are
// the currency of the decoded messages (readable in tests and logs); Buffers
// are what goes on the wire. IPv6 text output follows RFC 5952 (lower case,
// longest zero run compressed) so that equal addresses compare equal as
// strings and can key maps.

import { isIPv4, isIPv6 } from 'node:net';

import { formatIP, type Family } from '../../alloc/ip.js';

/** "aa:bb:cc:dd:ee:ff", lower case. */
export type MacAddress = string;

export const BROADCAST_MAC: MacAddress = 'ff:ff:ff:ff:ff:ff';
export const ZERO_MAC: MacAddress = '00:00:00:00:00:00';

// The responders run these for every answer, so they avoid regular
// expressions and intermediate strings: with cold caches (one request every
// few milliseconds) those cost tens of microseconds per call.
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

/** Writes the 6 bytes of "aa:bb:cc:dd:ee:ff" at out[offset]. */
export function writeMac(text: string, out: Buffer, offset: number): void {
  const bad = (): TypeError => new TypeError(`not a MAC address: "${text}" (expected aa:bb:cc:dd:ee:ff)`);
  if (text.length !== 17) throw bad();
  for (let i = 0; i < 6; i++) {
    const hi = hexDigit(text.charCodeAt(i * 3));
    const lo = hexDigit(text.charCodeAt(i * 3 + 1));
    if (hi < 0 || lo < 0 || (i < 5 && text.charCodeAt(i * 3 + 2) !== 58)) throw bad();
    out[offset + i] = (hi << 4) | lo;
  }
}

export function parseMac(text: string): Buffer {
  const out = Buffer.allocUnsafe(6);
  writeMac(text, out, 0);
  return out;
}

export function formatMac(buf: Buffer, offset = 0): MacAddress {
  return `${HEX[buf[offset]!]}:${HEX[buf[offset + 1]!]}:${HEX[buf[offset + 2]!]}:${HEX[buf[offset + 3]!]}:${HEX[buf[offset + 4]!]}:${HEX[buf[offset + 5]!]}`;
}

/** Writes the 4 bytes of a dotted quad at out[offset]; no leading zeros, as net.isIPv4. */
export function writeIPv4(text: string, out: Buffer, offset: number): void {
  const bad = (): TypeError => new TypeError(`not an IPv4 address: "${text}"`);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || part > 3) throw bad();
      out[offset + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) throw bad(); // leading zero
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) throw bad();
    } else {
      throw bad();
    }
  }
  if (part !== 4) throw bad();
}

export function parseIPv4(text: string): Buffer {
  const out = Buffer.allocUnsafe(4);
  writeIPv4(text, out, 0);
  return out;
}

export function formatIPv4(buf: Buffer, offset = 0): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
}

/** Parses IPv6 text (with optional trailing dotted quad); zone ids are refused. */
export function parseIPv6(text: string): Buffer {
  if (text.includes('%') || !isIPv6(text)) throw new TypeError(`not an IPv6 address: "${text}"`);
  let head = text;
  let tailV4: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = parseIPv4(text.slice(lastColon + 1));
    tailV4 = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    head = text.slice(0, lastColon + 1);
    // "::1.2.3.4" leaves "::", "a::1.2.3.4" leaves "a::", "a:b:...:1.2.3.4" leaves a trailing ":".
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const toNums = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const gap = head.indexOf('::');
  let groups: number[];
  if (gap >= 0) {
    const left = toNums(head.slice(0, gap));
    const right = [...toNums(head.slice(gap + 2)), ...tailV4];
    groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  } else {
    groups = [...toNums(head), ...tailV4];
  }
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** RFC 5952 text, by the same formatter the allocator uses. */
export function formatIPv6(buf: Buffer, offset = 0): string {
  const value = (buf.readBigUInt64BE(offset) << 64n) | buf.readBigUInt64BE(offset + 8);
  return formatIP({ family: 6, value });
}

export type IpFamily = Family;

/** 4, 6, or undefined for anything that is not a plain address (zones refused). */
export function ipFamily(text: string): IpFamily | undefined {
  if (isIPv4(text)) return 4;
  if (isIPv6(text) && !text.includes('%')) return 6;
  return undefined;
}

/** The canonical text of an address, so "2001:DB8::0100" and "2001:db8::100" key the same entry. */
export function canonicalIp(text: string): string {
  const family = ipFamily(text);
  if (family === 4) return formatIPv4(parseIPv4(text));
  if (family === 6) return formatIPv6(parseIPv6(text));
  throw new TypeError(`not an IP address: "${text}"`);
}

/** IPv6 addresses in fe80::/10 need a zone (interface) to be used as a destination. */
export function isLinkLocalIPv6(text: string): boolean {
  const b = parseIPv6(text);
  return b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
}

export function isMulticastIPv6(buf: Buffer, offset = 0): boolean {
  return buf[offset] === 0xff;
}
