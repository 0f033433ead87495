// One BFD session (RFC 5880, asynchronous mode) driven on a Clock: the
// periodic transmission with jitter, the detection timer, and immediate
// packets on state changes and in answer to a Poll.

import type { Clock, TimerHandle } from '../../util/clock.js';
import type { ResolvedBfdProfile } from '../options.js';
import type { BfdStatus } from '../status.js';
import { diagName, encodeBfd, type BfdControlPacket, type BfdState } from './packet.js';
import { buildPacket, detectionExpired, detectionTimeUs, initialVars, jitteredTxUs, receive, setAdminDown, txIntervalUs, type BfdConfig, type BfdVars } from './state.js';

export interface BfdStateChange {
  readonly from: BfdState;
  readonly to: BfdState;
  readonly diag: number;
  /** The peer went AdminDown: RFC 5882 3.2 says this is no forwarding failure. */
  readonly remoteAdminDown: boolean;
}

export interface BfdSessionDeps {
  readonly clock: Clock;
  readonly random: () => number;
  readonly send: (packet: Buffer) => void;
  readonly stateChanged?: (change: BfdStateChange) => void;
  /** Every control packet sent or accepted, for counters. */
  readonly counted?: (direction: 'in' | 'out') => void;
}

export function bfdConfig(p: ResolvedBfdProfile): BfdConfig {
  return { desiredMinTxUs: p.transmitIntervalMs * 1000, requiredMinRxUs: p.receiveIntervalMs * 1000, detectMult: p.detectMultiplier, passive: p.passiveMode };
}

export class BfdSession {
  private vars: BfdVars;
  private txTimer?: TimerHandle;
  private detectTimer?: TimerHandle;
  private running = false;
  private upEvents = 0;
  private downEvents = 0;

  constructor(
    readonly peerAddress: string,
    readonly cfg: BfdConfig,
    localDiscr: number,
    private readonly deps: BfdSessionDeps,
  ) {
    this.vars = initialVars(cfg, localDiscr);
  }

  get state(): BfdState {
    return this.vars.state;
  }

  get localDiscr(): number {
    return this.vars.localDiscr;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.vars = setAdminDown(this.vars, this.cfg, false);
    this.scheduleTx(true);
  }

  /** Signals AdminDown to the peer (RFC 5880 6.8.16) and stops. */
  stop(): void {
    if (!this.running) return;
    const before = this.vars.state;
    this.vars = setAdminDown(this.vars, this.cfg, true);
    if (this.vars.remoteDiscr !== 0 || !this.cfg.passive) this.transmit(false);
    this.running = false;
    this.deps.clock.clearTimeout(this.txTimer);
    this.deps.clock.clearTimeout(this.detectTimer);
    this.noteChange(before, false);
  }

  /** A packet demultiplexed to this session. Returns why it was discarded, if it was. */
  receive(p: BfdControlPacket): string | undefined {
    if (!this.running) return 'session stopped';
    const before = this.vars;
    const r = receive(this.vars, this.cfg, p);
    if (r.discarded) return r.discarded;
    this.deps.counted?.('in');
    this.vars = r.vars;
    this.armDetection();
    const changed = before.state !== this.vars.state;
    if (r.replyFinal) this.transmit(true);
    const faster = txIntervalUs(this.vars, this.cfg) !== txIntervalUs(before, this.cfg);
    if (changed || faster || (before.remoteDiscr === 0 && !r.replyFinal)) this.scheduleTx(changed);
    this.noteChange(before.state, p.state === 'AdminDown');
    return undefined;
  }

  status(): BfdStatus {
    const tx = txIntervalUs(this.vars, this.cfg);
    return {
      state: this.vars.state,
      remoteState: this.vars.remoteState,
      localDiagnostic: diagName(this.vars.localDiag),
      transmitIntervalMs: this.vars.state === 'Up' ? tx / 1000 : 0,
      detectionTimeMs: this.vars.state === 'Up' ? detectionTimeUs(this.vars, this.cfg) / 1000 : 0,
      upEvents: this.upEvents,
      downEvents: this.downEvents,
    };
  }

  private transmit(final: boolean): void {
    const p: BfdControlPacket = buildPacket(this.vars, this.cfg, final);
    this.deps.counted?.('out');
    this.deps.send(encodeBfd(p));
  }

  /** Sends now if asked, then keeps sending every jittered interval while one applies. */
  private scheduleTx(now: boolean): void {
    this.deps.clock.clearTimeout(this.txTimer);
    this.txTimer = undefined;
    if (!this.running) return;
    const interval = txIntervalUs(this.vars, this.cfg);
    if (interval === 0) return;
    if (now) this.transmit(false);
    this.txTimer = this.deps.clock.setTimeout(() => this.scheduleTx(true), jitteredTxUs(interval, this.cfg.detectMult, this.deps.random) / 1000);
  }

  private armDetection(): void {
    this.deps.clock.clearTimeout(this.detectTimer);
    const us = detectionTimeUs(this.vars, this.cfg);
    if (us === 0) return;
    this.detectTimer = this.deps.clock.setTimeout(() => {
      const before = this.vars.state;
      this.vars = detectionExpired(this.vars, this.cfg);
      this.scheduleTx(before !== this.vars.state);
      this.noteChange(before, false);
    }, us / 1000);
  }

  private noteChange(from: BfdState, remoteAdminDown: boolean): void {
    const to = this.vars.state;
    if (from === to) return;
    if (to === 'Up') this.upEvents++;
    if (from === 'Up') this.downEvents++;
    this.deps.stateChanged?.({ from, to, diag: this.vars.localDiag, remoteAdminDown });
  }
}
