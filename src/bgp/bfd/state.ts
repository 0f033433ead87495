// The BFD session state machine of RFC 5880 section 6.8, asynchronous mode
// without echo and without demand, as pure functions over the state
// variables. The driver (session.ts) owns the timers and the socket.

import { BfdDiag, type BfdControlPacket, type BfdState } from './packet.js';

export interface BfdConfig {
  /** bfd.DesiredMinTxInterval once Up, microseconds. */
  readonly desiredMinTxUs: number;
  /** bfd.RequiredMinRxInterval, microseconds. */
  readonly requiredMinRxUs: number;
  readonly detectMult: number;
  /** RFC 5880 6.1: send nothing until the peer has been heard. */
  readonly passive: boolean;
}

/** The state variables of RFC 5880 6.8.1 that asynchronous mode uses, plus the Poll Sequence. */
export interface BfdVars {
  readonly state: BfdState;
  readonly remoteState: BfdState;
  readonly localDiscr: number;
  readonly remoteDiscr: number;
  readonly localDiag: number;
  /** What this side advertises as Desired Min TX. */
  readonly desiredMinTxUs: number;
  /** What this side's own transmission uses: lags an increase while Up until the Poll Sequence ends (6.8.3). */
  readonly txBasisUs: number;
  readonly remoteMinRxUs: number;
  readonly remoteDesiredMinTxUs: number;
  readonly remoteDetectMult: number;
  readonly remoteDemand: boolean;
  /** A Poll Sequence is running: packets carry P until one with F comes back. */
  readonly polling: boolean;
  /** Something was received since the session started (for the passive role and the detection timer). */
  readonly heard: boolean;
}

/** RFC 5880 6.8.3: never faster than one packet a second while not Up. */
const SLOW_TX_US = 1_000_000;

export function initialVars(cfg: BfdConfig, localDiscr: number): BfdVars {
  const slow = Math.max(SLOW_TX_US, cfg.desiredMinTxUs);
  return {
    state: 'Down',
    remoteState: 'Down',
    localDiscr,
    remoteDiscr: 0,
    localDiag: BfdDiag.NONE,
    desiredMinTxUs: slow,
    txBasisUs: slow,
    // RFC 5880 6.8.1: initialised to 1 so that a first packet goes out.
    remoteMinRxUs: 1,
    remoteDesiredMinTxUs: 0,
    remoteDetectMult: 0,
    remoteDemand: false,
    polling: false,
    heard: false,
  };
}

/**
 * Moves the advertised Desired Min TX to what the state calls for (the
 * configured value while Up, at least one second otherwise). A change starts
 * a Poll Sequence; an increase while Up only slows our own transmission once
 * the peer acknowledges it (RFC 5880 6.8.3).
 */
function retune(v: BfdVars, cfg: BfdConfig): BfdVars {
  const want = v.state === 'Up' ? cfg.desiredMinTxUs : Math.max(SLOW_TX_US, cfg.desiredMinTxUs);
  if (want === v.desiredMinTxUs) return v;
  const waitForFinal = v.state === 'Up' && want > v.txBasisUs;
  return { ...v, desiredMinTxUs: want, txBasisUs: waitForFinal ? v.txBasisUs : want, polling: true };
}

export interface ReceiveResult {
  readonly vars: BfdVars;
  /** Reason the packet was discarded, if it was. */
  readonly discarded?: string;
  /** The peer polled: answer now with F set (RFC 5880 6.8.7). */
  readonly replyFinal: boolean;
}

/** RFC 5880 6.8.6, after the checks that need no state (packet.ts receptionProblem). */
export function receive(v0: BfdVars, cfg: BfdConfig, p: BfdControlPacket): ReceiveResult {
  if (p.auth) return { vars: v0, discarded: 'authentication is not supported', replyFinal: false };
  if (p.yourDiscriminator !== 0 && p.yourDiscriminator !== v0.localDiscr) {
    return { vars: v0, discarded: `Your Discriminator ${p.yourDiscriminator} is not ${v0.localDiscr}`, replyFinal: false };
  }
  let v: BfdVars = {
    ...v0,
    remoteDiscr: p.myDiscriminator,
    remoteState: p.state,
    remoteDemand: p.demand,
    remoteMinRxUs: p.requiredMinRxUs,
    remoteDesiredMinTxUs: p.desiredMinTxUs,
    remoteDetectMult: p.detectMult,
    heard: true,
  };
  if (p.final && v.polling) v = { ...v, polling: false, txBasisUs: v.desiredMinTxUs };
  if (v.state === 'AdminDown') return { vars: v0, discarded: 'session is AdminDown', replyFinal: false };
  const to = (state: BfdState, diag = v.localDiag): void => {
    v = { ...v, state, localDiag: diag };
  };
  if (p.state === 'AdminDown') {
    if (v.state !== 'Down') to('Down', BfdDiag.NEIGHBOR_SIGNALED_DOWN);
  } else if (v.state === 'Down') {
    if (p.state === 'Down') to('Init');
    else if (p.state === 'Init') to('Up', BfdDiag.NONE);
  } else if (v.state === 'Init') {
    if (p.state === 'Init' || p.state === 'Up') to('Up', BfdDiag.NONE);
  } else if (p.state === 'Down') {
    to('Down', BfdDiag.NEIGHBOR_SIGNALED_DOWN);
  }
  return { vars: retune(v, cfg), replyFinal: p.poll };
}

/** RFC 5880 6.8.4: nothing heard for the detection time. */
export function detectionExpired(v: BfdVars, cfg: BfdConfig): BfdVars {
  if (v.state !== 'Init' && v.state !== 'Up') return { ...v, remoteDiscr: 0 };
  return retune({ ...v, state: 'Down', localDiag: BfdDiag.CONTROL_DETECTION_TIME_EXPIRED, remoteDiscr: 0, remoteState: 'Down' }, cfg);
}

/** Leaves AdminDown for Down, or enters AdminDown (diag 7), as an operator would. */
export function setAdminDown(v: BfdVars, cfg: BfdConfig, down: boolean): BfdVars {
  if (down) return retune({ ...v, state: 'AdminDown', localDiag: BfdDiag.ADMINISTRATIVELY_DOWN }, cfg);
  return v.state === 'AdminDown' ? retune({ ...v, state: 'Down', localDiag: BfdDiag.NONE }, cfg) : v;
}

/**
 * Interval between periodic packets (RFC 5880 6.8.7), microseconds before
 * jitter, or 0 when nothing must be sent periodically: the peer wants none
 * (Required Min RX 0), is in demand mode while both are Up, or this side is
 * passive and has not heard it yet.
 */
export function txIntervalUs(v: BfdVars, cfg: BfdConfig): number {
  if (cfg.passive && v.remoteDiscr === 0) return 0;
  if (v.remoteMinRxUs === 0) return 0;
  if (v.remoteDemand && v.state === 'Up' && v.remoteState === 'Up') return 0;
  return Math.max(v.txBasisUs, v.remoteMinRxUs);
}

/** RFC 5880 6.8.7: 75 to 100 % of the interval, 75 to 90 % with a detect multiplier of 1. */
export function jitteredTxUs(intervalUs: number, detectMult: number, random: () => number): number {
  const spread = detectMult === 1 ? 0.15 : 0.25;
  return intervalUs * (0.75 + spread * random());
}

/**
 * Detection time in asynchronous mode (RFC 5880 6.8.4): the peer's detect
 * multiplier times the agreed interval, the larger of our Required Min RX
 * and the peer's Desired Min TX. 0 until the peer has been heard.
 */
export function detectionTimeUs(v: BfdVars, cfg: BfdConfig): number {
  if (!v.heard || v.remoteDetectMult === 0) return 0;
  return v.remoteDetectMult * Math.max(cfg.requiredMinRxUs, v.remoteDesiredMinTxUs);
}

export function buildPacket(v: BfdVars, cfg: BfdConfig, final: boolean): BfdControlPacket {
  return {
    version: 1,
    diag: v.localDiag,
    state: v.state,
    // RFC 5880 6.8.7: never P and F together; the answer to a poll carries F alone.
    poll: v.polling && !final,
    final,
    controlPlaneIndependent: false,
    demand: false,
    multipoint: false,
    detectMult: cfg.detectMult,
    myDiscriminator: v.localDiscr,
    yourDiscriminator: v.remoteDiscr,
    desiredMinTxUs: v.desiredMinTxUs,
    requiredMinRxUs: cfg.requiredMinRxUs,
    // Echo mode is not implemented: advertise that none is wanted.
    requiredMinEchoRxUs: 0,
  };
}
