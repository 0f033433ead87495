// Peer options as plain objects, validated once at construction. Units are
// in the names: BGP's own timers in seconds (as on the wire), everything
// else in milliseconds.

import { formatIP, parseIP, type Family } from '../net/index.js';
import { BGP_PORT } from './messages/constants.js';

export interface BfdProfileOptions {
  /** Slowest rate at which this end wants to receive control packets. Default 300. */
  readonly receiveIntervalMs?: number;
  /** Fastest rate at which this end wants to send. Default 300. */
  readonly transmitIntervalMs?: number;
  /** Missed packets before the path is declared down. Default 3. */
  readonly detectMultiplier?: number;
  /** Wait for the peer's first packet before sending any (RFC 5880 6.1). */
  readonly passiveMode?: boolean;
  /** MetalLB's minimumTtl applies to multi-hop BFD only; single-hop sessions always require TTL 255 (RFC 5881 5). */
  readonly minimumTtl?: number;
  /** Echo mode is not implemented; true is rejected. */
  readonly echoMode?: boolean;
}

export interface PeerOptions {
  /** Unique name of the peer; the key of routes, status and metrics. */
  readonly name: string;
  readonly peerAddress: string;
  readonly peerPort?: number;
  /** The peer's AS; omit it and set dynamicAsn to accept whatever the peer's OPEN says. */
  readonly peerAsn?: number;
  /** MetalLB's dynamicASN: accept any AS that is internal (equal to ours) or external (different). */
  readonly dynamicAsn?: 'internal' | 'external';
  readonly localAsn: number;
  /** BGP identifier, a dotted quad. */
  readonly routerId: string;
  /** Local address to connect from. */
  readonly sourceAddress?: string;
  /** Offered hold time: 0, or 3..65535. Default 90. */
  readonly holdTimeSeconds?: number;
  /** Default: a third of the negotiated hold time. */
  readonly keepaliveTimeSeconds?: number;
  /** How long one TCP connection attempt may take. Default 5000. */
  readonly connectTimeoutMs?: number;
  /** Delay between attempts after failures: doubling from minMs, capped at maxMs, jittered. Default 1000..60000. */
  readonly connectRetry?: { readonly minMs: number; readonly maxMs: number };
  /** Only accept connections from the peer, never dial. */
  readonly passive?: boolean;
  /** RFC 2385 TCP MD5 signature key (at most 80 bytes). */
  readonly password?: string;
  /** eBGP peer not on the local link: TTL 255 instead of 1. */
  readonly ebgpMultiHop?: boolean;
  /** Address families offered in the multiprotocol capability. Default both. */
  readonly families?: readonly Family[];
  /** Advertise graceful restart (RFC 4724) so the peer keeps routes while this speaker restarts. */
  readonly gracefulRestart?: { readonly restartTimeSeconds: number };
  /** Run BFD (RFC 5880/5881) to this peer with this profile. */
  readonly bfd?: BfdProfileOptions;
}

export interface ResolvedBfdProfile {
  readonly receiveIntervalMs: number;
  readonly transmitIntervalMs: number;
  readonly detectMultiplier: number;
  readonly passiveMode: boolean;
}

export interface ResolvedPeerOptions {
  readonly name: string;
  readonly peerAddress: string;
  readonly peerPort: number;
  readonly peerAsn?: number;
  readonly dynamicAsn?: 'internal' | 'external';
  readonly localAsn: number;
  readonly routerId: string;
  readonly sourceAddress?: string;
  readonly holdTimeSeconds: number;
  readonly keepaliveTimeSeconds?: number;
  readonly connectTimeoutMs: number;
  readonly connectRetry: { readonly minMs: number; readonly maxMs: number };
  readonly passive: boolean;
  readonly password?: string;
  readonly ebgpMultiHop: boolean;
  readonly families: readonly Family[];
  readonly gracefulRestart?: { readonly restartTimeSeconds: number };
  readonly bfd?: ResolvedBfdProfile;
  readonly family: Family;
}

export class BgpOptionsError extends Error {
  readonly code = 'ERR_BGP_OPTIONS';
  constructor(readonly problems: readonly string[]) {
    super(`invalid BGP peer options: ${problems.join('; ')}`);
    this.name = 'BgpOptionsError';
  }
}

const isAsn = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 0xffffffff;
const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

export function resolveBfdProfile(b: BfdProfileOptions, where: string, problems: string[]): ResolvedBfdProfile {
  const p = {
    receiveIntervalMs: b.receiveIntervalMs ?? 300,
    transmitIntervalMs: b.transmitIntervalMs ?? 300,
    detectMultiplier: b.detectMultiplier ?? 3,
    passiveMode: b.passiveMode ?? false,
  };
  // Bounds as MetalLB's BFDProfile validates them.
  if (!isInt(p.receiveIntervalMs, 10, 60000)) problems.push(`${where}.receiveIntervalMs must be an integer in 10..60000`);
  if (!isInt(p.transmitIntervalMs, 10, 60000)) problems.push(`${where}.transmitIntervalMs must be an integer in 10..60000`);
  if (!isInt(p.detectMultiplier, 2, 255)) problems.push(`${where}.detectMultiplier must be an integer in 2..255`);
  if (b.minimumTtl !== undefined && !isInt(b.minimumTtl, 1, 254)) problems.push(`${where}.minimumTtl must be an integer in 1..254`);
  if (b.echoMode) problems.push(`${where}.echoMode is not supported`);
  return p;
}

/** Fills defaults and checks every field; throws BgpOptionsError listing all problems. */
export function resolvePeerOptions(o: PeerOptions): ResolvedPeerOptions {
  const problems: string[] = [];
  const at = `peer ${JSON.stringify(o.name)}`;
  if (typeof o.name !== 'string' || o.name === '') problems.push('name must be a non-empty string');
  const peer = parseIP(o.peerAddress);
  if (!peer) problems.push(`${at}: peerAddress "${o.peerAddress}" is not an IP address`);
  const family: Family = peer?.family ?? 4;
  const source = o.sourceAddress === undefined ? undefined : parseIP(o.sourceAddress);
  if (o.sourceAddress !== undefined) {
    if (!source) problems.push(`${at}: sourceAddress "${o.sourceAddress}" is not an IP address`);
    else if (source.family !== family) problems.push(`${at}: sourceAddress and peerAddress are of different families`);
  }
  if ((o.peerAsn === undefined) === (o.dynamicAsn === undefined)) problems.push(`${at}: set exactly one of peerAsn and dynamicAsn`);
  if (o.peerAsn !== undefined && !isAsn(o.peerAsn)) problems.push(`${at}: peerAsn ${o.peerAsn} is not in 1..4294967295`);
  if (o.dynamicAsn !== undefined && o.dynamicAsn !== 'internal' && o.dynamicAsn !== 'external') problems.push(`${at}: dynamicAsn must be "internal" or "external"`);
  if (!isAsn(o.localAsn)) problems.push(`${at}: localAsn ${o.localAsn} is not in 1..4294967295`);
  const id = parseIP(o.routerId ?? '');
  if (id?.family !== 4 || id.value === 0n) problems.push(`${at}: routerId "${o.routerId}" must be a non-zero dotted quad`);
  const peerPort = o.peerPort ?? BGP_PORT;
  if (!isInt(peerPort, 1, 65535)) problems.push(`${at}: peerPort ${peerPort} is not in 1..65535`);
  const hold = o.holdTimeSeconds ?? 90;
  if (!isInt(hold, 0, 65535) || hold === 1 || hold === 2) problems.push(`${at}: holdTimeSeconds ${hold} must be 0 or 3..65535`);
  const ka = o.keepaliveTimeSeconds;
  if (ka !== undefined && (!isInt(ka, 1, 21845) || (hold > 0 && ka >= hold))) problems.push(`${at}: keepaliveTimeSeconds ${ka} must be at least 1 and below the hold time`);
  const connectTimeoutMs = o.connectTimeoutMs ?? 5000;
  if (!isInt(connectTimeoutMs, 1, 3_600_000)) problems.push(`${at}: connectTimeoutMs ${connectTimeoutMs} is not in 1..3600000`);
  const connectRetry = o.connectRetry ?? { minMs: 1000, maxMs: 60_000 };
  if (!isInt(connectRetry.minMs, 1, 3_600_000) || !isInt(connectRetry.maxMs, connectRetry.minMs, 3_600_000)) {
    problems.push(`${at}: connectRetry needs 1 <= minMs <= maxMs <= 3600000`);
  }
  if (o.password !== undefined && (Buffer.byteLength(o.password) === 0 || Buffer.byteLength(o.password) > 80)) {
    problems.push(`${at}: password must be 1..80 bytes (TCP_MD5SIG_MAXKEYLEN)`);
  }
  const families = o.families ?? [4, 6];
  if (families.length === 0 || families.some((f) => f !== 4 && f !== 6) || new Set(families).size !== families.length) {
    problems.push(`${at}: families must be a non-empty list of distinct 4 and 6`);
  }
  if (o.gracefulRestart && !isInt(o.gracefulRestart.restartTimeSeconds, 1, 4095)) problems.push(`${at}: gracefulRestart.restartTimeSeconds must be in 1..4095`);
  const bfd = o.bfd ? resolveBfdProfile(o.bfd, `${at}: bfd`, problems) : undefined;
  if (problems.length > 0) throw new BgpOptionsError(problems);
  return {
    name: o.name,
    peerAddress: formatIP(peer!),
    peerPort,
    ...(o.peerAsn !== undefined ? { peerAsn: o.peerAsn } : {}),
    ...(o.dynamicAsn !== undefined ? { dynamicAsn: o.dynamicAsn } : {}),
    localAsn: o.localAsn,
    routerId: o.routerId,
    ...(source ? { sourceAddress: formatIP(source) } : {}),
    holdTimeSeconds: hold,
    ...(ka !== undefined ? { keepaliveTimeSeconds: ka } : {}),
    connectTimeoutMs,
    connectRetry,
    passive: o.passive ?? false,
    ...(o.password !== undefined ? { password: o.password } : {}),
    ebgpMultiHop: o.ebgpMultiHop ?? false,
    families,
    ...(o.gracefulRestart ? { gracefulRestart: o.gracefulRestart } : {}),
    ...(bfd ? { bfd } : {}),
    family,
  };
}

/**
 * Whether the session is internal, as far as it is known before the OPEN:
 * with a dynamic AS the configured kind decides.
 */
export function expectsInternal(p: ResolvedPeerOptions): boolean {
  return p.peerAsn !== undefined ? p.peerAsn === p.localAsn : p.dynamicAsn === 'internal';
}

/**
 * TTL of the session's packets: 1 for single-hop eBGP so a spoofed session
 * from further away cannot form (RFC 4271 does not say; every
 * implementation does this), 255 otherwise.
 */
export function sessionTtl(p: ResolvedPeerOptions): number {
  return expectsInternal(p) || p.ebgpMultiHop ? 255 : 1;
}
