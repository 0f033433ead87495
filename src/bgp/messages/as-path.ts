// AS_PATH and AS4_PATH values (RFC 4271 4.3, RFC 6793): segments of type
// (1 octet), count (1 octet), then count AS numbers of 2 or 4 octets.

import { decoded, refused, type Decoded } from '../../util/decoded.js';
import { AS_TRANS, SegmentType } from './constants.js';

export interface AsPathSegment {
  /** SegmentType: AS_SET, AS_SEQUENCE, or the confederation ones (RFC 5065). */
  readonly type: number;
  readonly asns: readonly number[];
}

export type AsWidth = 2 | 4;

/** Splits segments longer than 255 AS numbers, as the one-octet count demands. */
function chunked(segments: readonly AsPathSegment[]): AsPathSegment[] {
  const out: AsPathSegment[] = [];
  for (const s of segments) {
    for (let i = 0; i < s.asns.length; i += 255) out.push({ type: s.type, asns: s.asns.slice(i, i + 255) });
  }
  return out;
}

/** With width 2, four-octet AS numbers become AS_TRANS (RFC 6793 4.2.2). */
export function encodeAsPath(segments: readonly AsPathSegment[], width: AsWidth): Buffer {
  const segs = chunked(segments);
  const out = Buffer.alloc(segs.reduce((n, s) => n + 2 + s.asns.length * width, 0));
  let off = 0;
  for (const s of segs) {
    out[off] = s.type;
    out[off + 1] = s.asns.length;
    off += 2;
    for (const asn of s.asns) {
      if (width === 4) out.writeUInt32BE(asn >>> 0, off);
      else out.writeUInt16BE(asn > 0xffff ? AS_TRANS : asn, off);
      off += width;
    }
  }
  return out;
}

/**
 * RFC 7606 7.2: malformed when a segment type is unknown, a segment has a
 * count of zero, a count overruns the value, or a lone octet is left over.
 */
export function decodeAsPath(buf: Buffer, width: AsWidth): Decoded<AsPathSegment[], string> {
  const out: AsPathSegment[] = [];
  let off = 0;
  while (off < buf.length) {
    if (off + 2 > buf.length) return refused(`segment header at offset ${off} needs 2 bytes, 1 left`);
    const type = buf[off]!;
    const count = buf[off + 1]!;
    if (type < SegmentType.AS_SET || type > SegmentType.AS_CONFED_SET) return refused(`unknown segment type ${type} at offset ${off}`);
    if (count === 0) return refused(`segment at offset ${off} has a count of zero`);
    const end = off + 2 + count * width;
    if (end > buf.length) return refused(`segment at offset ${off} holds ${count} AS numbers of ${width} bytes, ${buf.length - off - 2} bytes left`);
    const asns: number[] = [];
    for (let p = off + 2; p < end; p += width) asns.push(width === 4 ? buf.readUInt32BE(p) : buf.readUInt16BE(p));
    out.push({ type, asns });
    off = end;
  }
  return decoded(out);
}
