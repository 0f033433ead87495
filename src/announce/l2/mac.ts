// MAC addresses, text <-> bytes. Text is the currency of the decoded
// messages (readable in tests and logs, lower case so equal addresses
// compare equal); Buffers are what goes on the wire. IP addresses are
// src/net's.

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
