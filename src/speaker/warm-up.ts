// The driver of readiness.ts: told the layer-2 guard's hold after each of
// its events, it times the warm-up on the clock and gossips the `ready`
// flag (through MemberMeta, which keeps the rest of the metadata).

import { Gauge, type Registry } from 'prom-client';
import type { Meta } from '../cluster/messages.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { initialWarmUp, stepWarmUp, warmUpEvent, withReady, type WarmUpEvent, type WarmUpState } from './readiness.js';
import type { Hold } from './view-freshness.js';

/** Where the flag is gossiped (MemberMeta). */
export interface ReadyFlag {
  setReady(ready: boolean): void;
}

export interface FailbackWarmUpOptions {
  /** failbackDelayMs; 0: ready from the start. */
  delayMs: number;
  clock: Clock;
  logger: Logger;
  meta: ReadyFlag;
  /** Where shoal_speaker_ready goes; none in tests that do not look. */
  registry?: Registry;
}

export interface WarmUpStatus {
  readonly ready: boolean;
  readonly failbackDelayMs: number;
  /** Milliseconds left of the warm-up, while it runs on a fresh view. */
  readonly readyInMs?: number;
}

export class FailbackWarmUp {
  private state: WarmUpState;
  private timer: TimerHandle | undefined;
  private readonly log: Logger;
  private readonly gauge: Gauge | undefined;
  private logged = false;

  constructor(private readonly opts: FailbackWarmUpOptions) {
    this.state = initialWarmUp(opts.delayMs);
    this.log = opts.logger.child({ component: 'speaker' });
    if (opts.registry) {
      this.gauge = new Gauge({ name: 'shoal_speaker_ready', help: 'Whether this member says it is ready to take its addresses back (1), or is warming up (0): delayed failback.', registers: [opts.registry] });
      this.gauge.set(this.state.ready ? 1 : 0);
    }
  }

  /** The metadata a member starts with: `meta` and the flag as it starts (not ready unless the delay is 0). */
  static startMeta(meta: Meta, delayMs: number): Meta {
    return withReady(meta, initialWarmUp(delayMs).ready);
  }

  /** The layer-2 guard's hold after each event it took (Layer2GuardOptions.onHold). */
  guarded(hold: Hold | undefined): void {
    const event = warmUpEvent(hold);
    if (event) this.apply(event);
  }

  get ready(): boolean {
    return this.state.ready;
  }

  status(): WarmUpStatus {
    const since = this.state.freshSince;
    const base = { ready: this.state.ready, failbackDelayMs: this.state.delayMs };
    if (since === undefined) return base;
    return { ...base, readyInMs: Math.max(0, Math.round(since + this.state.delayMs - this.opts.clock.now())) };
  }

  stop(): void {
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private apply(event: WarmUpEvent): void {
    const was = this.state;
    const step = stepWarmUp(was, event, this.opts.clock.now());
    this.state = step.state;
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (step.wakeAt !== undefined) {
      this.timer = this.opts.clock.setTimeout(() => {
        this.timer = undefined;
        this.apply({ type: 'tick' });
      }, step.wakeAt - this.opts.clock.now());
    }
    this.gauge?.set(this.state.ready ? 1 : 0);
    // Every change, and the state at the first event: the log says where the member stands.
    if (was.ready !== step.state.ready || !this.logged) {
      this.logged = true;
      const fields = { failbackDelayMs: this.state.delayMs };
      if (this.state.ready) this.log.info('ready: taking the addresses the election gives this member', fields);
      else this.log.info('not ready: warming up before taking addresses back', fields);
    }
    this.publish();
  }

  /** Gossips the flag (MemberMeta publishes only a change). */
  private publish(): void {
    this.opts.meta.setReady(this.state.ready);
  }
}
