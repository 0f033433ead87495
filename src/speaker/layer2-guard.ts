// The driver of view-freshness.ts: feeds it gossip membership events, link
// events from the layer-2 announcer and the answers to its joins, and
// carries out what it decides: restricting the speaker's layer 2, holding
// and releasing returning links, joining through the seeds, waking at the
// lone-node timeout. This is the start-up guard (join, then announce) and
// the guard after a cut in one.

import type { Announcer } from '../announce/l2/index.js';
import type { Address } from '../net/index.js';
import type { MemberEvent } from '../cluster/cluster.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { Speaker } from './speaker.js';
import { initialFreshness, memberCondition, stepFreshness, type FreshnessAction, type FreshnessEvent, type FreshnessState, type Hold, type HoldCause } from './view-freshness.js';

/** What the guard needs of the gossip cluster (Cluster has it). */
export interface GuardCluster {
  onEvent(listener: (e: MemberEvent) => void): () => void;
  liveMembers(): readonly { readonly name: string }[];
  members(): readonly { readonly name: string }[];
  join(seeds: readonly Address[]): Promise<number>;
}

export interface Layer2GuardOptions {
  /** This member's name. */
  node: string;
  /** This member's gossip address, left out of the seeds. */
  self: Address;
  clock: Clock;
  logger: Logger;
  cluster: GuardCluster;
  speaker: Pick<Speaker, 'restrictLayer2' | 'announced' | 'reconcile'>;
  /** The layer-2 announcer, when layer 2 is on. */
  l2?: Pick<Announcer, 'holdLink' | 'releaseLinks'> | undefined;
  /** The gossip seeds, read at every (re)join (Kubernetes mode's change). */
  seeds: () => readonly Address[];
  /** Default LONE_NODE_TIMEOUT_MS. */
  loneNodeTimeoutMs?: number;
  /** Told the hold (undefined: none) after every event the guard takes, from the start on: the failback warm-up (warm-up.ts). */
  onHold?: (hold: Hold | undefined) => void;
}

export interface Layer2GuardStatus {
  held: boolean;
  cause?: HoldCause;
  /** Milliseconds until the hold ends whatever is heard. */
  remainingMs?: number;
  /** Members lost while cut off, not heard alive again yet. */
  awaiting?: string[];
  /** How many addresses it keeps announcing meanwhile. */
  kept?: number;
}

const HELD: Record<HoldCause, string> = {
  'start-up': 'layer 2 held until the cluster is joined',
  'link-return': 'layer 2 held: a link came back; announcing only what was announced before it went, and nothing on it, until the others are heard',
  alone: 'layer 2 held: every other member was lost at once; claiming nothing new until one is heard again',
};

export class Layer2Guard {
  private state: FreshnessState;
  private timer: TimerHandle | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: Layer2GuardOptions) {
    this.state = initialFreshness(opts.loneNodeTimeoutMs);
    this.log = opts.logger.child({ component: 'speaker' });
  }

  /** Subscribes to membership and joins through the seeds, holding layer 2 until that is done. */
  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.opts.cluster.onEvent((e) => {
      if (e.member.name === this.opts.node) return;
      this.apply({ type: 'member', name: e.member.name, state: e.kind === 'reap' ? 'gone' : memberCondition(e.member.state) });
    });
    this.apply({ type: 'start', seeds: this.seeds().length > 0 });
  }

  /** An announceable link started or stopped carrying (the announcer's 'link' event). */
  link(name: string, carrying: boolean): void {
    if (!this.unsubscribe) return;
    this.apply({ type: 'link', name, carrying });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  get held(): boolean {
    return this.state.hold !== undefined;
  }

  status(): Layer2GuardStatus {
    const h = this.state.hold;
    if (!h) return { held: false };
    return { held: true, cause: h.cause, remainingMs: Math.max(0, Math.round(h.deadline - this.opts.clock.now())), awaiting: [...h.awaiting].sort(), kept: h.kept.size };
  }

  private seeds(): Address[] {
    const self = this.opts.self;
    return this.opts.seeds().filter((s) => s.host !== self.host || s.port !== self.port);
  }

  private apply(event: FreshnessEvent): void {
    const members = this.opts.cluster.members();
    const obs = {
      now: this.opts.clock.now(),
      announced: this.opts.speaker.announced(),
      liveOthers: this.opts.cluster.liveMembers().filter((m) => m.name !== this.opts.node).length,
      knownOthers: members.filter((m) => m.name !== this.opts.node).length,
    };
    const step = stepFreshness(this.state, event, obs);
    this.state = step.state;
    for (const action of step.actions) this.run(action, event);
    this.opts.onHold?.(this.state.hold);
  }

  private run(action: FreshnessAction, event: FreshnessEvent): void {
    switch (action.type) {
      case 'hold':
        this.log.info(HELD[action.hold.cause], this.holdFields(action.hold, event));
        this.opts.speaker.restrictLayer2(action.hold.kept);
        return;
      case 'hold-link':
        this.opts.l2?.holdLink(action.name);
        return;
      case 'rejoin': {
        const seeds = this.seeds();
        this.opts.cluster.join(seeds).then(
          (answered) => {
            if (answered > 0) this.apply({ type: 'answered', epoch: action.epoch });
          },
          (err: unknown) => this.log.warn('joining through the seeds failed', { error: err }),
        );
        return;
      }
      case 'release':
        this.release(action.hold, action.reason);
        return;
      case 'wake':
        this.opts.clock.clearTimeout(this.timer);
        this.timer = this.opts.clock.setTimeout(() => {
          this.timer = undefined;
          this.apply({ type: 'tick' });
        }, action.at - this.opts.clock.now());
        return;
    }
  }

  private release(hold: Hold, reason: 'heard' | 'timeout'): void {
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const fields = { cause: hold.cause, heldMs: Math.round(this.opts.clock.now() - hold.since) };
    if (reason === 'heard') {
      this.log.info('layer 2 released: announcing what the election gives this node', fields);
    } else if (hold.cause === 'start-up') {
      this.log.warn('layer 2 released: no seed answered within the lone-node timeout; announcing alone', fields);
    } else {
      this.log.warn('layer 2 released: the lone-node timeout passed; announcing on this member\'s own view', { ...fields, notHeard: [...hold.awaiting].sort() });
    }
    // The election first, so a released link announces what the fresh view
    // gives this node, and nothing it only took while cut off.
    this.opts.speaker.restrictLayer2(undefined);
    this.opts.speaker.reconcile();
    this.opts.l2?.releaseLinks();
  }

  private holdFields(hold: Hold, event: FreshnessEvent): Record<string, unknown> {
    return {
      ...(event.type === 'link' ? { interface: event.name } : {}),
      kept: hold.kept.size,
      ...(hold.awaiting.size ? { awaiting: [...hold.awaiting].sort() } : {}),
      timeoutMs: Math.round(hold.deadline - this.opts.clock.now()),
    };
  }
}
