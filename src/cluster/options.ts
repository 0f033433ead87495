// Options of a gossip member and the two timing profiles.
//
// `lan` is hashicorp/memberlist's DefaultLANConfig timing, kept as the
// compatibility baseline (what MetalLB runs). `fast` is shoal's default,
// tuned on the simulator (bench/gossip) for sub-second failover on a LAN:
// probing ten times as often, a tighter probe timeout (LAN round trips are
// well under a millisecond; the timeout covers event-loop hiccups, and
// Lifeguard stretches it on a member that is itself slow), and a short
// minimum suspicion timeout that is only reached once independent members
// confirm the suspicion; a lone false suspicion keeps the long maximum,
// which leaves ample time to refute. docs/gossip.md has the measurements.
import type { Keyring } from './keyring.js';
import type { Meta } from './messages.js';

/** memberlist's port, which MetalLB's speakers gossip on. */
export const DEFAULT_GOSSIP_PORT = 7946;

export interface TimingProfile {
  readonly name: string;
  /** Period between probes of successive members. */
  readonly probeIntervalMs: number;
  /** Wait for a direct ack before asking others to probe indirectly. */
  readonly probeTimeoutMs: number;
  /** Members asked to probe indirectly (ping-req) when the direct probe fails. */
  readonly indirectChecks: number;
  /** Minimum suspicion timeout = mult * max(1, log10(n)) * probeInterval. */
  readonly suspicionMult: number;
  /** Maximum suspicion timeout = this * minimum (Lifeguard starts there). */
  readonly suspicionMaxTimeoutMult: number;
  /** Independent confirmations that bring the timeout down to the minimum (memberlist: suspicionMult - 2). */
  readonly suspicionConfirmations: number;
  /** Each broadcast is sent retransmitMult * ceil(log10(n + 1)) times. */
  readonly retransmitMult: number;
  readonly gossipIntervalMs: number;
  readonly gossipNodes: number;
  /** Dead members still receive gossip for this long, so they learn of it and refute. */
  readonly gossipToTheDeadMs: number;
  /** Base period of full state sync with one random member (scaled up above 32 members). */
  readonly pushPullIntervalMs: number;
  /** Lifeguard local health: scores 0..max-1 scale probe interval and timeout by (score + 1). */
  readonly awarenessMaxMultiplier: number;
  /** How often to try to reach a random dead member again, to merge a healed partition. */
  readonly reconnectIntervalMs: number;
}

export const lanProfile: TimingProfile = Object.freeze({
  name: 'lan',
  probeIntervalMs: 1000,
  probeTimeoutMs: 500,
  indirectChecks: 3,
  suspicionMult: 4,
  suspicionMaxTimeoutMult: 6,
  suspicionConfirmations: 2,
  retransmitMult: 4,
  gossipIntervalMs: 200,
  gossipNodes: 3,
  gossipToTheDeadMs: 30_000,
  pushPullIntervalMs: 30_000,
  awarenessMaxMultiplier: 8,
  reconnectIntervalMs: 30_000,
});

export const fastProfile: TimingProfile = Object.freeze({
  name: 'fast',
  probeIntervalMs: 100,
  probeTimeoutMs: 50,
  indirectChecks: 3,
  suspicionMult: 2,
  suspicionMaxTimeoutMult: 6,
  suspicionConfirmations: 2,
  retransmitMult: 4,
  gossipIntervalMs: 50,
  gossipNodes: 4,
  gossipToTheDeadMs: 30_000,
  pushPullIntervalMs: 30_000,
  awarenessMaxMultiplier: 8,
  // After a partition heals, members on both sides hold each other dead
  // and none probes the dead: only this sync brings them back together, and
  // until it does both sides announce the same addresses. One TCP connect a
  // second to a dead address is cheap.
  reconnectIntervalMs: 1_000,
});

export const profiles: Readonly<Record<string, TimingProfile>> = { lan: lanProfile, fast: fastProfile };

export function profileByName(name: string): TimingProfile {
  const p = profiles[name];
  if (!p) throw new Error(`unknown timing profile "${name}" (known: ${Object.keys(profiles).join(', ')})`);
  return p;
}

export interface ClusterOptions {
  /** Unique member name (the speaker uses the Kubernetes node name). */
  name: string;
  /** Address other members reach this one at (an IP literal and the gossip port). */
  advertiseHost: string;
  advertisePort: number;
  meta?: Meta;
  profile?: TimingProfile;
  /** Lifeguard (awareness, dynamic suspicion, nacks, buddy system); off only for comparison. */
  lifeguard?: boolean;
  /** With a key ring, packets are sealed and unsealed or wrong-key packets are dropped. */
  keyring?: Keyring;
  /** With a key ring, still accept unsealed packets: only while turning encryption on across a cluster. */
  acceptUnsealed?: boolean;
  /** Largest UDP payload sent; compound packets are filled up to it. */
  packetBytes?: number;
  /** Largest UDP payload accepted; bigger ones are dropped as oversized. */
  maxReceiveBytes?: number;
  /** Encoded metadata larger than this is refused locally. */
  maxMetaBytes?: number;
  /** Hard cap on remembered members; news about more is dropped and counted. */
  maxMembers?: number;
  /** Dead members are forgotten after this long (they are tried for reconnection meanwhile). */
  deadRetentionMs?: number;
  /** Members that left are forgotten after this long. */
  leftRetentionMs?: number;
  /** Timeout of one push-pull exchange. */
  streamTimeoutMs?: number;
  /** Indirect probes handled for others at once; more are dropped. */
  maxConcurrentIndirect?: number;
  /**
   * Largest rise of a known member's incarnation that news not heard from
   * the member itself may bring; larger ones are refused as implausible, so
   * forged news cannot push an incarnation to the top of its range.
   */
  maxIncarnationJump?: number;
  /** A dead or left member's name may move to a new address after this long (default 10 probe intervals). */
  addressReclaimMs?: number;
  /** New members one datagram may introduce. */
  newMembersPerPacket?: number;
  /** New members one push-pull may introduce (joining through a seed we chose is not limited). */
  newMembersPerPushPull?: number;
  /** New members learned from others per second, with `newMembersBurst` saved up. */
  newMembersPerSecond?: number;
  newMembersBurst?: number;
  /** Sealed packets stamped further than this from our wall clock are refused, and so is any seen before. */
  replayWindowMs?: number;
  /** Random source in [0, 1); seeded in tests and simulations. */
  random?: () => number;
  /** Wall clock in ms since the epoch, for "since" times in status. */
  wallNow?: () => number;
}

export type ResolvedOptions = Required<Omit<ClusterOptions, 'keyring'>> & { keyring: Keyring | undefined };

export function resolveOptions(o: ClusterOptions): ResolvedOptions {
  const profile = o.profile ?? fastProfile;
  const r: ResolvedOptions = {
    name: o.name,
    advertiseHost: o.advertiseHost,
    advertisePort: o.advertisePort,
    meta: o.meta ?? {},
    profile,
    lifeguard: o.lifeguard ?? true,
    keyring: o.keyring,
    acceptUnsealed: o.acceptUnsealed ?? false,
    packetBytes: o.packetBytes ?? 1400,
    maxReceiveBytes: o.maxReceiveBytes ?? 65_507,
    maxMetaBytes: o.maxMetaBytes ?? 512,
    maxMembers: o.maxMembers ?? 10_000,
    deadRetentionMs: o.deadRetentionMs ?? 3_600_000,
    leftRetentionMs: o.leftRetentionMs ?? 300_000,
    streamTimeoutMs: o.streamTimeoutMs ?? 10_000,
    maxConcurrentIndirect: o.maxConcurrentIndirect ?? 256,
    maxIncarnationJump: o.maxIncarnationJump ?? 1024,
    addressReclaimMs: o.addressReclaimMs ?? 10 * profile.probeIntervalMs,
    newMembersPerPacket: o.newMembersPerPacket ?? 8,
    newMembersPerPushPull: o.newMembersPerPushPull ?? 256,
    newMembersPerSecond: o.newMembersPerSecond ?? 32,
    newMembersBurst: o.newMembersBurst ?? 256,
    replayWindowMs: o.replayWindowMs ?? 30_000,
    random: o.random ?? Math.random,
    wallNow: o.wallNow ?? Date.now,
  };
  const errs: string[] = [];
  if (!r.name || Buffer.byteLength(r.name) > 128) errs.push('name: must be 1 to 128 bytes');
  if (!Number.isInteger(r.advertisePort) || r.advertisePort < 1 || r.advertisePort > 65535) errs.push(`advertisePort: ${r.advertisePort} is not a port`);
  if (r.packetBytes < 256 || r.packetBytes > 65_507) errs.push(`packetBytes: ${r.packetBytes} is outside 256-65507`);
  if (r.maxReceiveBytes < r.packetBytes) errs.push('maxReceiveBytes: must be at least packetBytes');
  if (r.maxMembers < 1) errs.push('maxMembers: must be at least 1');
  if (!Number.isInteger(r.maxIncarnationJump) || r.maxIncarnationJump < 1) errs.push('maxIncarnationJump: must be a positive integer');
  if (r.addressReclaimMs < 0) errs.push('addressReclaimMs: must be >= 0');
  if (r.newMembersPerPacket < 0 || r.newMembersPerPushPull < 0 || r.newMembersPerSecond < 0 || r.newMembersBurst < 0) errs.push('newMembers limits: must be >= 0');
  if (!(r.replayWindowMs > 0)) errs.push('replayWindowMs: must be positive');
  const p = profile;
  if (!(p.probeTimeoutMs > 0 && p.probeTimeoutMs < p.probeIntervalMs)) errs.push(`profile ${p.name}: probeTimeoutMs must be > 0 and below probeIntervalMs`);
  if (p.indirectChecks < 0 || p.gossipNodes < 1 || p.retransmitMult < 1) errs.push(`profile ${p.name}: indirectChecks >= 0, gossipNodes >= 1, retransmitMult >= 1`);
  if (p.suspicionMult <= 0 || p.suspicionMaxTimeoutMult < 1 || p.suspicionConfirmations < 0) errs.push(`profile ${p.name}: suspicion settings out of range`);
  if (p.gossipIntervalMs <= 0 || p.pushPullIntervalMs <= 0 || p.reconnectIntervalMs <= 0) errs.push(`profile ${p.name}: intervals must be positive`);
  if (p.awarenessMaxMultiplier < 1) errs.push(`profile ${p.name}: awarenessMaxMultiplier must be >= 1`);
  if (errs.length) throw new Error(`invalid gossip options: ${errs.join('; ')}`);
  return r;
}
