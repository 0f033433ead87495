// Path attributes (RFC 4271 4.3 and 5): flags (1), type code (1), length
// (1, or 2 with the Extended Length flag), value. Each known attribute is
// decoded with the error handling RFC 7606 section 7 assigns to it; unknown
// optional attributes are kept raw and re-encoded unchanged.

import { formatIPv4, parseIPv4, writeIPv4 } from '../../net/index.js';
import { decoded, refused } from '../../util/decoded.js';
import { AttrFlag, AttrType } from './constants.js';
import { decodeAsPath, encodeAsPath, type AsPathSegment } from './as-path.js';
import { decodeMpReachValue, decodeMpUnreachValue, encodeMpReachValue, encodeMpUnreachValue, familyOfAfi, type MpReachValue, type MpUnreachValue } from './mp-nlri.js';
import { ErrorCode, UpdateSubcode } from './notification-codes.js';
import { wireError, wireRefusal, type ErrorHandling, type WireDecoded, type WireError } from './wire-error.js';

export interface LargeCommunity {
  readonly global: number;
  readonly local1: number;
  readonly local2: number;
}

/**
 * flags, when present, is sent verbatim (the Extended Length bit is added
 * if the value needs it): decoders fill it so re-encoding is byte-exact.
 */
interface Flagged {
  readonly flags?: number;
}

export type PathAttribute =
  | (Flagged & { readonly kind: 'origin'; readonly origin: number })
  | (Flagged & { readonly kind: 'as-path'; readonly segments: readonly AsPathSegment[] })
  | (Flagged & { readonly kind: 'next-hop'; readonly nextHop: string })
  | (Flagged & { readonly kind: 'med'; readonly med: number })
  | (Flagged & { readonly kind: 'local-pref'; readonly localPref: number })
  | (Flagged & { readonly kind: 'atomic-aggregate' })
  | (Flagged & { readonly kind: 'aggregator'; readonly asn: number; readonly address: string })
  | (Flagged & { readonly kind: 'communities'; readonly communities: readonly number[] })
  | (Flagged & { readonly kind: 'large-communities'; readonly communities: readonly LargeCommunity[] })
  | (Flagged & { readonly kind: 'mp-reach' } & MpReachValue)
  | (Flagged & { readonly kind: 'mp-unreach' } & MpUnreachValue)
  | (Flagged & { readonly kind: 'as4-path'; readonly segments: readonly AsPathSegment[] })
  | (Flagged & { readonly kind: 'as4-aggregator'; readonly asn: number; readonly address: string })
  | { readonly kind: 'raw'; readonly typeCode: number; readonly flags: number; readonly value: Buffer };

export type AttributeKind = PathAttribute['kind'];
export type AttributeOf<K extends AttributeKind> = Extract<PathAttribute, { kind: K }>;

/** What the UPDATE was negotiated with: AS number width, and whether the peer is internal. */
export interface AttributeContext {
  readonly fourOctetAs: boolean;
  readonly ibgp: boolean;
}

const O = AttrFlag.OPTIONAL;
const T = AttrFlag.TRANSITIVE;

/** Type code and the Optional/Transitive bits the RFCs fix for each known attribute. */
const spec: Record<Exclude<AttributeKind, 'raw'>, { code: number; flags: number }> = {
  origin: { code: AttrType.ORIGIN, flags: T },
  'as-path': { code: AttrType.AS_PATH, flags: T },
  'next-hop': { code: AttrType.NEXT_HOP, flags: T },
  med: { code: AttrType.MULTI_EXIT_DISC, flags: O },
  'local-pref': { code: AttrType.LOCAL_PREF, flags: T },
  'atomic-aggregate': { code: AttrType.ATOMIC_AGGREGATE, flags: T },
  aggregator: { code: AttrType.AGGREGATOR, flags: O | T },
  communities: { code: AttrType.COMMUNITIES, flags: O | T },
  'large-communities': { code: AttrType.LARGE_COMMUNITIES, flags: O | T },
  'mp-reach': { code: AttrType.MP_REACH_NLRI, flags: O },
  'mp-unreach': { code: AttrType.MP_UNREACH_NLRI, flags: O },
  'as4-path': { code: AttrType.AS4_PATH, flags: O | T },
  'as4-aggregator': { code: AttrType.AS4_AGGREGATOR, flags: O | T },
};

/** Known codes kept raw because shoal never acts on them, with their O/T bits (RFC 4456). */
const rawKnown: Record<number, number> = {
  [AttrType.ORIGINATOR_ID]: O,
  [AttrType.CLUSTER_LIST]: O,
};

const expectedFlags = new Map<number, number>([
  ...Object.values(spec).map((s): [number, number] => [s.code, s.flags]),
  ...Object.entries(rawKnown).map(([code, f]): [number, number] => [Number(code), f]),
]);

export function attributeTypeCode(a: PathAttribute): number {
  return a.kind === 'raw' ? a.typeCode : spec[a.kind].code;
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}

function aggregatorValue(asn: number, address: string, width: 2 | 4): Buffer {
  const b = Buffer.alloc(width + 4);
  if (width === 4) b.writeUInt32BE(asn >>> 0);
  else b.writeUInt16BE(asn > 0xffff ? 23456 : asn);
  writeIPv4(address, b, width);
  return b;
}

function attributeValue(a: PathAttribute, ctx: AttributeContext): Buffer {
  const width = ctx.fourOctetAs ? 4 : 2;
  switch (a.kind) {
    case 'origin':
      return Buffer.from([a.origin]);
    case 'as-path':
      return encodeAsPath(a.segments, width);
    case 'next-hop':
      return parseIPv4(a.nextHop);
    case 'med':
      return u32(a.med);
    case 'local-pref':
      return u32(a.localPref);
    case 'atomic-aggregate':
      return Buffer.alloc(0);
    case 'aggregator':
      return aggregatorValue(a.asn, a.address, width);
    case 'communities':
      return Buffer.concat(a.communities.map(u32));
    case 'large-communities':
      return Buffer.concat(a.communities.flatMap((c) => [u32(c.global), u32(c.local1), u32(c.local2)]));
    case 'mp-reach':
      return encodeMpReachValue(a);
    case 'mp-unreach':
      return encodeMpUnreachValue(a);
    case 'as4-path':
      return encodeAsPath(a.segments, 4);
    case 'as4-aggregator':
      return aggregatorValue(a.asn, a.address, 4);
    case 'raw':
      return a.value;
  }
}

export function encodeAttribute(a: PathAttribute, ctx: AttributeContext): Buffer {
  const value = attributeValue(a, ctx);
  if (value.length > 0xffff) throw new RangeError(`attribute ${a.kind} of ${value.length} bytes does not fit`);
  let flags = a.flags ?? spec[a.kind as Exclude<AttributeKind, 'raw'>].flags;
  if (value.length > 255) flags |= AttrFlag.EXTENDED_LENGTH;
  const ext = (flags & AttrFlag.EXTENDED_LENGTH) !== 0;
  const head = Buffer.alloc(ext ? 4 : 3);
  head[0] = flags;
  head[1] = attributeTypeCode(a);
  if (ext) head.writeUInt16BE(value.length, 2);
  else head[2] = value.length;
  return Buffer.concat([head, value]);
}

/**
 * One attribute: decoded, with the flaw it may still be used with (an MP
 * attribute with bad flags: its NLRI must still be withdrawn, RFC 7606 3(c)),
 * or the error that drops it.
 */
export type DecodedAttribute = WireDecoded<{ readonly attribute: PathAttribute; readonly flaw?: WireError }>;

function fail(subcode: number, handling: ErrorHandling, reason: string, whole: Buffer): DecodedAttribute {
  return wireRefusal(ErrorCode.UPDATE_MESSAGE, subcode, reason, Buffer.from(whole), handling);
}

function ok(attribute: PathAttribute, flaw?: WireError): DecodedAttribute {
  return decoded(flaw ? { attribute, flaw } : { attribute });
}

function u32s(value: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i < value.length; i += 4) out.push(value.readUInt32BE(i));
  return out;
}

/** RFC 4271 6.3 names these next hops semantically invalid; 0/8 and class D/E cannot be a host. */
function martianNextHop(b: Buffer): boolean {
  return b[0] === 0 || b[0]! >= 224;
}

/**
 * Decodes one attribute's value. whole is the attribute's full TLV, which
 * RFC 4271 puts in the data of most attribute NOTIFICATIONs.
 */
export function decodeAttribute(flags: number, typeCode: number, value: Buffer, whole: Buffer, ctx: AttributeContext): DecodedAttribute {
  const LEN = UpdateSubcode.ATTRIBUTE_LENGTH_ERROR;
  const len = value.length;
  const keep = { flags };
  const expectedOT = expectedFlags.get(typeCode);

  if (expectedOT === undefined) {
    if ((flags & O) === 0) {
      return fail(UpdateSubcode.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE, 'session-reset', `unrecognized well-known attribute type ${typeCode}`, whole);
    }
    return ok({ kind: 'raw', typeCode, flags, value: Buffer.from(value) });
  }

  // RFC 7606 7.5, 7.9, 7.10: these only mean something inside an AS; from outside they are dropped whatever they hold.
  if (!ctx.ibgp && (typeCode === AttrType.LOCAL_PREF || typeCode === AttrType.ORIGINATOR_ID || typeCode === AttrType.CLUSTER_LIST)) {
    return fail(0, 'attribute-discard', `attribute type ${typeCode} from an external peer is discarded`, whole);
  }

  // RFC 7606 3(c): conflicting Optional/Transitive bits make the attribute malformed: treat-as-withdraw.
  const flagsError = (flags & (O | T)) !== expectedOT;
  const flagsFlaw = (): WireError =>
    wireError(ErrorCode.UPDATE_MESSAGE, UpdateSubcode.ATTRIBUTE_FLAGS_ERROR, `attribute type ${typeCode} has flags 0x${flags.toString(16)}, expected O/T bits 0x${expectedOT.toString(16)}`, Buffer.from(whole), 'treat-as-withdraw');
  if (flagsError && typeCode !== AttrType.MP_REACH_NLRI && typeCode !== AttrType.MP_UNREACH_NLRI) return refused(flagsFlaw());

  switch (typeCode) {
    case AttrType.ORIGIN:
      if (len !== 1) return fail(LEN, 'treat-as-withdraw', `ORIGIN is ${len} bytes, must be 1`, whole);
      if (value[0]! > 2) return fail(UpdateSubcode.INVALID_ORIGIN, 'treat-as-withdraw', `ORIGIN value ${value[0]} is undefined`, whole);
      return ok({ kind: 'origin', origin: value[0]!, ...keep });
    case AttrType.AS_PATH: {
      const segments = decodeAsPath(value, ctx.fourOctetAs ? 4 : 2);
      if (!segments.ok) return fail(UpdateSubcode.MALFORMED_AS_PATH, 'treat-as-withdraw', `AS_PATH: ${segments.error}`, whole);
      return ok({ kind: 'as-path', segments: segments.value, ...keep });
    }
    case AttrType.NEXT_HOP:
      if (len !== 4) return fail(LEN, 'treat-as-withdraw', `NEXT_HOP is ${len} bytes, must be 4`, whole);
      if (martianNextHop(value)) return fail(UpdateSubcode.INVALID_NEXT_HOP, 'treat-as-withdraw', `NEXT_HOP ${formatIPv4(value)} cannot be a host address`, whole);
      return ok({ kind: 'next-hop', nextHop: formatIPv4(value), ...keep });
    case AttrType.MULTI_EXIT_DISC:
      if (len !== 4) return fail(LEN, 'treat-as-withdraw', `MULTI_EXIT_DISC is ${len} bytes, must be 4`, whole);
      return ok({ kind: 'med', med: value.readUInt32BE(0), ...keep });
    case AttrType.LOCAL_PREF:
      if (len !== 4) return fail(LEN, 'treat-as-withdraw', `LOCAL_PREF is ${len} bytes, must be 4`, whole);
      return ok({ kind: 'local-pref', localPref: value.readUInt32BE(0), ...keep });
    case AttrType.ATOMIC_AGGREGATE:
      if (len !== 0) return fail(LEN, 'attribute-discard', `ATOMIC_AGGREGATE is ${len} bytes, must be empty`, whole);
      return ok({ kind: 'atomic-aggregate', ...keep });
    case AttrType.AGGREGATOR: {
      const want = ctx.fourOctetAs ? 8 : 6;
      if (len !== want) return fail(LEN, 'attribute-discard', `AGGREGATOR is ${len} bytes, must be ${want}`, whole);
      const asn = ctx.fourOctetAs ? value.readUInt32BE(0) : value.readUInt16BE(0);
      return ok({ kind: 'aggregator', asn, address: formatIPv4(value, want - 4), ...keep });
    }
    case AttrType.COMMUNITIES:
      if (len === 0 || len % 4 !== 0) return fail(LEN, 'treat-as-withdraw', `COMMUNITIES is ${len} bytes, must be a non-zero multiple of 4`, whole);
      return ok({ kind: 'communities', communities: u32s(value), ...keep });
    case AttrType.LARGE_COMMUNITIES: {
      // RFC 8092 6: treat-as-withdraw.
      if (len === 0 || len % 12 !== 0) return fail(LEN, 'treat-as-withdraw', `LARGE_COMMUNITIES is ${len} bytes, must be a non-zero multiple of 12`, whole);
      const v = u32s(value);
      const communities: LargeCommunity[] = [];
      for (let i = 0; i < v.length; i += 3) communities.push({ global: v[i]!, local1: v[i + 1]!, local2: v[i + 2]! });
      return ok({ kind: 'large-communities', communities, ...keep });
    }
    case AttrType.ORIGINATOR_ID:
      if (len !== 4) return fail(LEN, 'treat-as-withdraw', `ORIGINATOR_ID is ${len} bytes, must be 4`, whole);
      return ok({ kind: 'raw', typeCode, flags, value: Buffer.from(value) });
    case AttrType.CLUSTER_LIST:
      if (len === 0 || len % 4 !== 0) return fail(LEN, 'treat-as-withdraw', `CLUSTER_LIST is ${len} bytes, must be a non-zero multiple of 4`, whole);
      return ok({ kind: 'raw', typeCode, flags, value: Buffer.from(value) });
    case AttrType.MP_REACH_NLRI:
    case AttrType.MP_UNREACH_NLRI:
      return decodeMp(flags, typeCode, value, whole, flagsError ? flagsFlaw() : undefined);
    case AttrType.AS4_PATH: {
      // RFC 6793 6: NEW speakers never exchange AS4_PATH; a malformed one is discarded.
      if (ctx.fourOctetAs) return fail(0, 'attribute-discard', 'AS4_PATH from a four-octet AS speaker is discarded', whole);
      const segments = decodeAsPath(value, 4);
      if (!segments.ok) return fail(UpdateSubcode.MALFORMED_AS_PATH, 'attribute-discard', `AS4_PATH: ${segments.error}`, whole);
      return ok({ kind: 'as4-path', segments: segments.value, ...keep });
    }
    case AttrType.AS4_AGGREGATOR:
      if (ctx.fourOctetAs) return fail(0, 'attribute-discard', 'AS4_AGGREGATOR from a four-octet AS speaker is discarded', whole);
      if (len !== 8) return fail(LEN, 'attribute-discard', `AS4_AGGREGATOR is ${len} bytes, must be 8`, whole);
      return ok({ kind: 'as4-aggregator', asn: value.readUInt32BE(0), address: formatIPv4(value, 4), ...keep });
    default:
      return ok({ kind: 'raw', typeCode, flags, value: Buffer.from(value) });
  }
}

/**
 * RFC 7606 7.11: an MP attribute that cannot be parsed leaves its NLRI
 * unknown, so the session resets. Families other than IPv4/IPv6 unicast
 * were not negotiated; they are kept raw for the caller to ignore.
 */
function decodeMp(flags: number, typeCode: number, value: Buffer, whole: Buffer, flagsError: WireError | undefined): DecodedAttribute {
  if (value.length >= 3 && !familyOfAfi(value.readUInt16BE(0), value[2]!)) {
    return ok({ kind: 'raw', typeCode, flags, value: Buffer.from(value) }, flagsError);
  }
  if (typeCode === AttrType.MP_REACH_NLRI) {
    const v = decodeMpReachValue(value);
    if (!v.ok) return fail(UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR, 'session-reset', v.error, whole);
    return ok({ kind: 'mp-reach', ...v.value, flags }, flagsError);
  }
  const v = decodeMpUnreachValue(value);
  if (!v.ok) return fail(UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR, 'session-reset', v.error, whole);
  return ok({ kind: 'mp-unreach', ...v.value, flags }, flagsError);
}
