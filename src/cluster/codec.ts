// Pure codec for gossip messages and the packets that carry them.
//
// A message is a MessagePack array [type, ...fields]. A packet is
//
//   +------+--------+---------+--------+---------+-----
//   | 0x01 | len u16 | message | len u16 | message | ...
//   +------+--------+---------+--------+---------+-----
//
// so a probe and its piggybacked broadcasts travel in one UDP datagram and
// each message can be checked on its own. Sealed packets (keyring.ts) wrap
// a whole plain packet. Every field is validated: the network is untrusted,
// so decoders return a typed error instead of throwing.
import { Packr, Unpackr } from 'msgpackr';
import { ipFamily } from '../net/index.js';
import { decoded, refused, type Decoded } from '../util/decoded.js';
import {
  MessageType,
  type Alive,
  type Dead,
  type MemberRecord,
  type MemberState,
  type Message,
  type Meta,
  type Suspect,
} from './messages.js';

export const PLAIN_PACKET = 0x01;
/** Sealed without a time stamp: the format before the replay window, refused now. */
export const UNSTAMPED_SEALED_PACKET = 0x02;
/** Sealed and time-stamped (keyring.ts). */
export const SEALED_PACKET = 0x03;

export const MAX_NAME_BYTES = 128;
export const MAX_META_ENTRIES = 64;
export const MAX_META_KEY_BYTES = 253;
export const MAX_META_VALUE_BYTES = 256;
export const MAX_U32 = 0xffff_ffff;
/** Upper bound on members in one push-pull; a larger claim is refused before any work. */
export const MAX_PUSH_PULL_MEMBERS = 100_000;

/** Append-only: codes are matched by callers and tests, and counted as drop reasons. */
export type DecodeErrorCode = 'truncated' | 'malformed' | 'unknown-type' | 'bad-field' | 'bad-version';

/** The error of the gossip decoders, returned in a Decoded (src/util/decoded.ts), never thrown at the caller. */
export class GossipDecodeError extends Error {
  constructor(
    readonly code: DecodeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'GossipDecodeError';
  }
}

export type GossipDecoded<T> = Decoded<T, GossipDecodeError>;

function refusal(code: DecodeErrorCode, message: string): { readonly ok: false; readonly error: GossipDecodeError } {
  return refused(new GossipDecodeError(code, message));
}

// Records and structures are msgpackr extensions with state shared between
// calls: a peer could plant definitions. Plain maps and arrays only.
const packr = new Packr({ useRecords: false, moreTypes: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

function fail(code: DecodeErrorCode, message: string): never {
  throw new GossipDecodeError(code, message);
}

// ---------------------------------------------------------------- encoding

function metaToWire(meta: Meta): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(meta).sort()) out[k] = meta[k]!;
  return out;
}

function memberToWire(m: MemberRecord): unknown[] {
  return [m.name, m.host, m.port, m.incarnation, stateCode[m.state], metaToWire(m.meta)];
}

const stateCode: Record<MemberState, number> = { alive: 0, suspect: 1, dead: 2, left: 3 };
const stateByCode: readonly MemberState[] = ['alive', 'suspect', 'dead', 'left'];

/** Bytes the metadata takes inside an alive message. */
export function encodedMetaSize(m: Meta): number {
  return packr.pack(metaToWire(m)).length;
}

export function encodeMessage(msg: Message): Buffer {
  switch (msg.type) {
    case 'ping':
      return packr.pack([MessageType.Ping, msg.seq, msg.target, msg.sourceHost, msg.sourcePort, msg.sourceName]);
    case 'indirect-ping':
      return packr.pack([
        MessageType.IndirectPing,
        msg.seq,
        msg.target,
        msg.targetHost,
        msg.targetPort,
        msg.wantNack,
        msg.sourceHost,
        msg.sourcePort,
        msg.sourceName,
      ]);
    case 'ack':
      return packr.pack([MessageType.Ack, msg.seq]);
    case 'nack':
      return packr.pack([MessageType.Nack, msg.seq]);
    case 'suspect':
      return packr.pack([MessageType.Suspect, msg.incarnation, msg.node, msg.from]);
    case 'alive':
      return packr.pack([MessageType.Alive, msg.incarnation, msg.node, msg.host, msg.port, metaToWire(msg.meta)]);
    case 'dead':
      return packr.pack([MessageType.Dead, msg.incarnation, msg.node, msg.from]);
    case 'push-pull':
      return packr.pack([MessageType.PushPull, msg.join, msg.members.map(memberToWire)]);
  }
}

/** Frames already-encoded messages into one plain packet. */
export function encodePacket(messages: readonly Uint8Array[]): Buffer {
  let size = 1;
  for (const m of messages) {
    if (m.length === 0 || m.length > 0xffff) throw new RangeError(`message of ${m.length} bytes cannot be framed`);
    size += 2 + m.length;
  }
  const out = Buffer.allocUnsafe(size);
  out[0] = PLAIN_PACKET;
  let off = 1;
  for (const m of messages) {
    out.writeUInt16BE(m.length, off);
    out.set(m, off + 2);
    off += 2 + m.length;
  }
  return out;
}

/** Bytes a message adds to a packet: its length prefix plus itself. */
export function framedSize(encoded: Uint8Array): number {
  return 2 + encoded.length;
}

// ---------------------------------------------------------------- decoding

function u32(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_U32) fail('bad-field', `${what}: expected an unsigned 32-bit integer`);
  return v;
}

function port(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) fail('bad-field', `${what}: expected a port 1-65535`);
  return v;
}

function name(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0) fail('bad-field', `${what}: expected a non-empty string`);
  if (Buffer.byteLength(v) > MAX_NAME_BYTES) fail('bad-field', `${what}: longer than ${MAX_NAME_BYTES} bytes`);
  return v;
}

function ip(v: unknown, what: string): string {
  if (typeof v !== 'string' || ipFamily(v) === undefined) fail('bad-field', `${what}: expected an IP address literal`);
  return v;
}

function bool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') fail('bad-field', `${what}: expected a boolean`);
  return v;
}

function meta(v: unknown, what: string): Meta {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array || v instanceof Date || v instanceof Map) {
    fail('bad-field', `${what}: expected a map of strings`);
  }
  const keys = Object.keys(v);
  if (keys.length > MAX_META_ENTRIES) fail('bad-field', `${what}: more than ${MAX_META_ENTRIES} entries`);
  const out: Record<string, string> = {};
  for (const k of keys) {
    const val = (v as Record<string, unknown>)[k];
    if (k.length === 0 || Buffer.byteLength(k) > MAX_META_KEY_BYTES) fail('bad-field', `${what}: key "${k.slice(0, 40)}" is empty or too long`);
    if (typeof val !== 'string' || Buffer.byteLength(val) > MAX_META_VALUE_BYTES) fail('bad-field', `${what}.${k}: expected a string of at most ${MAX_META_VALUE_BYTES} bytes`);
    out[k] = val;
  }
  return out;
}

function tuple(v: unknown, len: number, what: string): unknown[] {
  if (!Array.isArray(v)) fail('malformed', `${what}: expected an array`);
  if (v.length !== len) fail('malformed', `${what}: expected ${len} fields, got ${v.length}`);
  return v;
}

function memberRecord(v: unknown, what: string): MemberRecord {
  const f = tuple(v, 6, what);
  const code = f[4];
  if (typeof code !== 'number' || !Number.isInteger(code) || stateByCode[code] === undefined) fail('bad-field', `${what}.state: unknown state`);
  return {
    name: name(f[0], `${what}.name`),
    host: ip(f[1], `${what}.host`),
    port: port(f[2], `${what}.port`),
    incarnation: u32(f[3], `${what}.incarnation`),
    state: stateByCode[code]!,
    meta: meta(f[5], `${what}.meta`),
  };
}

function messageFromFields(f: unknown[]): Message {
  const type = f[0];
  switch (type) {
    case MessageType.Ping: {
      tuple(f, 6, 'ping');
      return { type: 'ping', seq: u32(f[1], 'ping.seq'), target: name(f[2], 'ping.target'), sourceHost: ip(f[3], 'ping.sourceHost'), sourcePort: port(f[4], 'ping.sourcePort'), sourceName: name(f[5], 'ping.sourceName') };
    }
    case MessageType.IndirectPing: {
      tuple(f, 9, 'indirect-ping');
      return {
        type: 'indirect-ping',
        seq: u32(f[1], 'indirect-ping.seq'),
        target: name(f[2], 'indirect-ping.target'),
        targetHost: ip(f[3], 'indirect-ping.targetHost'),
        targetPort: port(f[4], 'indirect-ping.targetPort'),
        wantNack: bool(f[5], 'indirect-ping.wantNack'),
        sourceHost: ip(f[6], 'indirect-ping.sourceHost'),
        sourcePort: port(f[7], 'indirect-ping.sourcePort'),
        sourceName: name(f[8], 'indirect-ping.sourceName'),
      };
    }
    case MessageType.Ack:
      tuple(f, 2, 'ack');
      return { type: 'ack', seq: u32(f[1], 'ack.seq') };
    case MessageType.Nack:
      tuple(f, 2, 'nack');
      return { type: 'nack', seq: u32(f[1], 'nack.seq') };
    case MessageType.Suspect: {
      tuple(f, 4, 'suspect');
      const m: Suspect = { type: 'suspect', incarnation: u32(f[1], 'suspect.incarnation'), node: name(f[2], 'suspect.node'), from: name(f[3], 'suspect.from') };
      return m;
    }
    case MessageType.Alive: {
      tuple(f, 6, 'alive');
      const m: Alive = { type: 'alive', incarnation: u32(f[1], 'alive.incarnation'), node: name(f[2], 'alive.node'), host: ip(f[3], 'alive.host'), port: port(f[4], 'alive.port'), meta: meta(f[5], 'alive.meta') };
      return m;
    }
    case MessageType.Dead: {
      tuple(f, 4, 'dead');
      const m: Dead = { type: 'dead', incarnation: u32(f[1], 'dead.incarnation'), node: name(f[2], 'dead.node'), from: name(f[3], 'dead.from') };
      return m;
    }
    case MessageType.PushPull: {
      tuple(f, 3, 'push-pull');
      const list = f[2];
      if (!Array.isArray(list)) fail('malformed', 'push-pull.members: expected an array');
      if (list.length > MAX_PUSH_PULL_MEMBERS) fail('bad-field', `push-pull.members: more than ${MAX_PUSH_PULL_MEMBERS}`);
      return { type: 'push-pull', join: bool(f[1], 'push-pull.join'), members: list.map((m, i) => memberRecord(m, `push-pull.members[${i}]`)) };
    }
    default:
      fail('unknown-type', `unknown message type ${typeof type === 'number' ? type : typeof type}`);
  }
}

export function decodeMessage(buf: Uint8Array): GossipDecoded<Message> {
  try {
    if (buf.length === 0) fail('truncated', 'empty message');
    let raw: unknown;
    try {
      raw = unpackr.unpack(buf);
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      fail(/end of/i.test(text) ? 'truncated' : 'malformed', `not MessagePack: ${text}`);
    }
    if (!Array.isArray(raw) || raw.length === 0) fail('malformed', 'message is not a non-empty array');
    return decoded(messageFromFields(raw));
  } catch (err) {
    return refused(err instanceof GossipDecodeError ? err : new GossipDecodeError('malformed', String(err)));
  }
}

export interface DecodedPacket {
  messages: Message[];
  /** Frames of a type this version does not know: skipped, counted. */
  unknown: number;
}

/**
 * Decodes a plain packet. A malformed frame rejects the whole packet; frames
 * of unknown type are skipped so newer peers can add message types.
 */
export function decodePacket(buf: Uint8Array): GossipDecoded<DecodedPacket> {
  if (buf.length < 1) return refusal('truncated', 'empty packet');
  if (buf[0] !== PLAIN_PACKET) return refusal('bad-version', `packet version byte 0x${buf[0]!.toString(16)} is not 0x01`);
  if (buf.length < 3) return refusal('truncated', 'packet has no message frame');
  const messages: Message[] = [];
  let unknown = 0;
  let off = 1;
  while (off < buf.length) {
    if (buf.length - off < 2) return refusal('truncated', `frame length at offset ${off} cut short`);
    const len = (buf[off]! << 8) | buf[off + 1]!;
    off += 2;
    if (len === 0) return refusal('malformed', `zero-length frame at offset ${off - 2}`);
    if (off + len > buf.length) return refusal('truncated', `frame at offset ${off - 2} claims ${len} bytes, ${buf.length - off} left`);
    const d = decodeMessage(buf.subarray(off, off + len));
    off += len;
    if (d.ok) messages.push(d.value);
    else if (d.error.code === 'unknown-type') unknown++;
    else return d;
  }
  return decoded({ messages, unknown });
}

// ---------------------------------------------------------------- streams

/**
 * Stream body (push-pull over TCP): the version byte and one message, no
 * frame length, since full state can exceed the 64 KiB a frame can say.
 * The transport delimits bodies with its own 32-bit length prefix.
 */
export function encodeStreamMessage(msg: Message): Buffer {
  const body = encodeMessage(msg);
  const out = Buffer.allocUnsafe(1 + body.length);
  out[0] = PLAIN_PACKET;
  out.set(body, 1);
  return out;
}

/**
 * How many member records a push-pull stream body says it carries, read from
 * its first bytes without decoding the rest; undefined when the body does
 * not start the way encodeStreamMessage writes one. Lets a receiver refuse
 * a state far larger than any it expects before building it in memory.
 */
export function pushPullSize(buf: Uint8Array): number | undefined {
  // 0x01 | fixarray(3) | fixint 8 | bool | array header of the records
  if (buf.length < 5 || buf[0] !== PLAIN_PACKET || buf[1] !== 0x93 || buf[2] !== MessageType.PushPull || (buf[3] !== 0xc2 && buf[3] !== 0xc3)) return undefined;
  const h = buf[4]!;
  if (h >= 0x90 && h <= 0x9f) return h - 0x90;
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  if (h === 0xdc && buf.length >= 7) return b.readUInt16BE(5);
  if (h === 0xdd && buf.length >= 9) return b.readUInt32BE(5);
  return undefined;
}

export function decodeStreamMessage(buf: Uint8Array): GossipDecoded<Message> {
  if (buf.length < 2) return refusal('truncated', 'stream body shorter than 2 bytes');
  if (buf[0] !== PLAIN_PACKET) return refusal('bad-version', `stream version byte 0x${buf[0]!.toString(16)} is not 0x01`);
  return decodeMessage(buf.subarray(1));
}
