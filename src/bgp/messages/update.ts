// UPDATE (RFC 4271 4.3):
//
//   withdrawn routes length (2) | withdrawn routes | total path attribute length (2)
//   | path attributes | NLRI (to the end of the message)
//
// Decoding applies RFC 7606: the lengths that locate the three fields must
// be right or the session resets (RFC 4271 6.3); within the attribute list
// each error gets its attribute's handling and the most severe one decides.

import { AttrType, MessageType } from './constants.js';
import { decodeAttribute, encodeAttribute, type AttributeContext, type PathAttribute } from './attributes.js';
import { frame } from './header.js';
import type { Family, Prefix } from '../../net/index.js';
import { familyOfAfi } from './mp-nlri.js';
import { decodeNlri, encodeNlri } from './nlri.js';
import { ErrorCode, UpdateSubcode } from './notification-codes.js';
import { decoded, refused } from '../../util/decoded.js';
import { handlingSeverity, wireError, wireRefusal, type ErrorHandling, type WireDecoded, type WireError } from './wire-error.js';

export interface UpdateMessage {
  readonly type: 'update';
  /** IPv4 unicast prefixes withdrawn in the classic field. */
  readonly withdrawn: readonly Prefix[];
  /** In wire order. */
  readonly attributes: readonly PathAttribute[];
  /** IPv4 unicast prefixes announced in the classic field. */
  readonly nlri: readonly Prefix[];
}

export function encodeUpdateBody(m: UpdateMessage, ctx: AttributeContext): Buffer {
  const withdrawn = encodeNlri(m.withdrawn);
  const attrs = Buffer.concat(m.attributes.map((a) => encodeAttribute(a, ctx)));
  const wl = Buffer.alloc(2);
  wl.writeUInt16BE(withdrawn.length);
  const al = Buffer.alloc(2);
  al.writeUInt16BE(attrs.length);
  return Buffer.concat([wl, withdrawn, al, attrs, encodeNlri(m.nlri)]);
}

export function encodeUpdate(m: UpdateMessage, ctx: AttributeContext): Buffer {
  return frame(MessageType.UPDATE, encodeUpdateBody(m, ctx));
}

/**
 * An UPDATE that did not reset the session (a reset is the decoder's
 * error), with RFC 7606's verdict on it.
 */
export interface DecodedUpdate {
  /** Discarded and malformed attributes are left out. */
  readonly message: UpdateMessage;
  /** 'ok', or the RFC 7606 approach the worst error calls for. */
  readonly handling: 'ok' | Exclude<ErrorHandling, 'session-reset'>;
  /** Every problem found, in wire order. */
  readonly errors: readonly WireError[];
  /** The first of the most severe errors, when there are any. */
  readonly worst?: WireError;
}

function reset(subcode: number, reason: string, data?: Buffer): WireDecoded<never> {
  return wireRefusal(ErrorCode.UPDATE_MESSAGE, subcode, reason, data, 'session-reset');
}

function worstOf(errors: readonly WireError[]): WireError | undefined {
  let worst: WireError | undefined;
  for (const e of errors) {
    if (!worst || handlingSeverity(e.handling) > handlingSeverity(worst.handling)) worst = e;
  }
  return worst;
}

export function decodeUpdateBody(body: Buffer, ctx: AttributeContext): WireDecoded<DecodedUpdate> {
  const MAL = UpdateSubcode.MALFORMED_ATTRIBUTE_LIST;
  if (body.length < 4) return reset(MAL, `UPDATE body is ${body.length} bytes, needs at least 4`);
  const wl = body.readUInt16BE(0);
  if (2 + wl + 2 > body.length) return reset(MAL, `withdrawn routes length ${wl} runs past the message (${body.length - 4} bytes after the length fields)`);
  const al = body.readUInt16BE(2 + wl);
  const attrStart = 4 + wl;
  const attrEnd = attrStart + al;
  if (attrEnd > body.length) return reset(MAL, `total path attribute length ${al} runs past the message (${body.length - attrStart} bytes left)`);

  const decodedWithdrawn = decodeNlri(4, body.subarray(2, 2 + wl));
  if (!decodedWithdrawn.ok) return reset(UpdateSubcode.INVALID_NETWORK_FIELD, `withdrawn routes: ${decodedWithdrawn.error}`);
  const decodedNlri = decodeNlri(4, body.subarray(attrEnd));
  if (!decodedNlri.ok) return reset(UpdateSubcode.INVALID_NETWORK_FIELD, `NLRI: ${decodedNlri.error}`);
  const withdrawn = decodedWithdrawn.value;
  const nlri = decodedNlri.value;

  const errors: WireError[] = [];
  const attributes: PathAttribute[] = [];
  const seen = new Set<number>();
  let off = attrStart;
  while (off < attrEnd) {
    // RFC 7606 4: an attribute header or value overrunning the total length is treat-as-withdraw;
    // the total length still locates the NLRI, so parsing of the list stops here.
    const left = attrEnd - off;
    const ext = left >= 1 && (body[off]! & 0x10) !== 0;
    const headLen = ext ? 4 : 3;
    if (left < headLen) {
      errors.push(wireError(ErrorCode.UPDATE_MESSAGE, MAL, `attribute header at offset ${off - attrStart} needs ${headLen} bytes, ${left} left`, undefined, 'treat-as-withdraw'));
      break;
    }
    const flags = body[off]!;
    const typeCode = body[off + 1]!;
    const len = ext ? body.readUInt16BE(off + 2) : body[off + 2]!;
    if (headLen + len > left) {
      errors.push(
        wireError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.ATTRIBUTE_LENGTH_ERROR, `attribute type ${typeCode} claims ${len} bytes, ${left - headLen} left in the attribute list`, Buffer.from(body.subarray(off, attrEnd)), 'treat-as-withdraw'),
      );
      break;
    }
    const whole = body.subarray(off, off + headLen + len);
    const value = whole.subarray(headLen);
    off += headLen + len;
    if (seen.has(typeCode)) {
      // RFC 7606 3(g): a repeated MP attribute resets; any other repeat is dropped.
      if (typeCode === AttrType.MP_REACH_NLRI || typeCode === AttrType.MP_UNREACH_NLRI) {
        return reset(MAL, `attribute type ${typeCode} appears more than once`);
      }
      errors.push(wireError(ErrorCode.UPDATE_MESSAGE, MAL, `repeated attribute type ${typeCode} discarded`, undefined, 'attribute-discard'));
      continue;
    }
    seen.add(typeCode);
    const d = decodeAttribute(flags, typeCode, value, whole, ctx);
    if (!d.ok) {
      if (d.error.handling === 'session-reset') return refused(d.error);
      errors.push(d.error);
      continue;
    }
    if (d.value.flaw) errors.push(d.value.flaw);
    attributes.push(d.value.attribute);
  }

  // RFC 7606 3(d): missing well-known mandatory attributes mean treat-as-withdraw.
  // NEXT_HOP is only mandatory with classic NLRI (RFC 4760 makes it discretionary otherwise).
  const announces = nlri.length > 0 || attributes.some((a) => a.kind === 'mp-reach');
  if (announces) {
    const missing = (code: number, name: string): void => {
      if (!seen.has(code)) errors.push(wireError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.MISSING_WELL_KNOWN_ATTRIBUTE, `${name} is missing`, Buffer.from([code]), 'treat-as-withdraw'));
    };
    missing(AttrType.ORIGIN, 'ORIGIN');
    missing(AttrType.AS_PATH, 'AS_PATH');
    if (nlri.length > 0) missing(AttrType.NEXT_HOP, 'NEXT_HOP');
  }

  const message: UpdateMessage = { type: 'update', withdrawn, attributes, nlri };
  const worst = worstOf(errors);
  // Every session reset returned above: what is left is no worse than treat-as-withdraw.
  const handling = (worst?.handling ?? 'ok') as DecodedUpdate['handling'];
  return decoded({ message, handling, errors, ...(worst ? { worst } : {}) });
}

/** Everything an UPDATE touches: what treat-as-withdraw removes from the Adj-RIB-In. */
export function prefixesOf(m: UpdateMessage): Prefix[] {
  const out: Prefix[] = [...m.withdrawn, ...m.nlri];
  for (const a of m.attributes) {
    if (a.kind === 'mp-reach') out.push(...a.nlri);
    else if (a.kind === 'mp-unreach') out.push(...a.withdrawn);
  }
  return out;
}

/**
 * RFC 4724 2: End-of-RIB is an empty UPDATE for IPv4 unicast, and an UPDATE
 * holding only an empty MP_UNREACH_NLRI for other families.
 */
export function endOfRib(family: Family): UpdateMessage {
  if (family === 4) return { type: 'update', withdrawn: [], attributes: [], nlri: [] };
  return { type: 'update', withdrawn: [], attributes: [{ kind: 'mp-unreach', afi: 2, safi: 1, withdrawn: [] }], nlri: [] };
}

export function endOfRibFamily(m: UpdateMessage): Family | undefined {
  if (m.withdrawn.length > 0 || m.nlri.length > 0) return undefined;
  if (m.attributes.length === 0) return 4;
  const only = m.attributes.length === 1 ? m.attributes[0] : undefined;
  if (only?.kind === 'mp-unreach' && only.withdrawn.length === 0) return familyOfAfi(only.afi, only.safi);
  return undefined;
}
