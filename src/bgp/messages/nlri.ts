// Prefixes as BGP carries them: the <length, prefix> NLRI encoding of RFC
// 4271 4.3 and RFC 4760 5, with the fewest octets that hold the length.

import { FAMILY_BITS, FAMILY_BYTES, ipFromBytes, networkOf, writeIP, type Family, type Prefix } from '../../net/index.js';
import { decoded, refused, type Decoded } from '../../util/decoded.js';

/** Size in bytes of the NLRI encoding of a prefix of this length. */
export function nlriSize(length: number): number {
  return 1 + ((length + 7) >> 3);
}

// Encoding and decoding are synchronous, so one scratch buffer serves every call.
const scratch = Buffer.alloc(16);

export function writeNlri(p: Prefix, out: Buffer, off: number): number {
  writeIP({ family: p.family, value: p.address }, scratch);
  out[off] = p.length;
  const n = (p.length + 7) >> 3;
  scratch.copy(out, off + 1, 0, n);
  return off + 1 + n;
}

export function encodeNlri(prefixes: readonly Prefix[]): Buffer {
  const out = Buffer.alloc(prefixes.reduce((s, p) => s + nlriSize(p.length), 0));
  let off = 0;
  for (const p of prefixes) off = writeNlri(p, out, off);
  return out;
}

/**
 * Decodes a run of <length, prefix> entries filling buf exactly. Refuses,
 * with the reason for the caller's NOTIFICATION, the first entry that is
 * too long for the family or runs past the end. Host bits beyond the length
 * are ignored, as RFC 4271 says they are irrelevant.
 */
export function decodeNlri(family: Family, buf: Buffer): Decoded<Prefix[], string> {
  const max = FAMILY_BITS[family];
  const out: Prefix[] = [];
  let off = 0;
  while (off < buf.length) {
    const length = buf[off]!;
    if (length > max) return refused(`prefix length ${length} over ${max} at offset ${off}`);
    const n = (length + 7) >> 3;
    if (off + 1 + n > buf.length) return refused(`prefix of length ${length} at offset ${off} runs past the end (${buf.length} bytes)`);
    scratch.fill(0, 0, FAMILY_BYTES[family]);
    buf.copy(scratch, 0, off + 1, off + 1 + n);
    out.push({ family, address: networkOf(family, ipFromBytes(family, scratch).value, length), length });
    off += 1 + n;
  }
  return decoded(out);
}
