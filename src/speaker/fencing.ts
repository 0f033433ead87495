// Split-brain fencing in a speaker: the gossiped MACs become the directory
// that names claimants, the announcer's claims go to the fence, a member
// coming back ends the yields to it, and each reconcile tells the fence
// which addresses are still ours. The decisions are in src/announce/fencing.

import type { Registry } from 'prom-client';
import { Fence, type LiveConflict } from '../announce/fencing/fence.js';
import { MacDirectory } from '../announce/fencing/member-macs.js';
import type { Announcer, AnnouncerEvent } from '../announce/l2/index.js';
import type { MemberEvent } from '../cluster/cluster.js';
import type { MemberState, Meta } from '../cluster/messages.js';
import { isLive } from '../announce/election-inputs.js';
import type { StatusSection } from '../status/server.js';
import { renderTable } from '../status/table.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { yieldWindowMs, type FencingSettings } from './fencing-settings.js';
import type { MemberMeta } from './member-meta.js';
import { returningMember } from './reassert-on-return.js';
import type { Reconciled } from './speaker.js';

export interface SpeakerFencingOptions {
  node: string;
  clock: Clock;
  logger: Logger;
  registry: Registry;
  settings: FencingSettings;
  cluster: {
    members(): Iterable<{ name: string; meta: Meta }>;
    member(name: string): { state: MemberState } | undefined;
    onEvent(listener: (e: MemberEvent) => void): () => void;
  };
  l2: Pick<Announcer, 'setYielded' | 'reassert'>;
  meta: MemberMeta;
  /** A conflict started or changed resolution. */
  onConflict?: (c: LiveConflict) => void;
}

export class SpeakerFencing {
  readonly fence: Fence;
  private readonly directory: MacDirectory;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly o: SpeakerFencingOptions) {
    this.directory = new MacDirectory(o.node);
    this.fence = new Fence({
      self: o.node,
      clock: o.clock,
      logger: o.logger,
      registry: o.registry,
      l2: o.l2,
      attribute: (mac) => this.directory.attribute(mac),
      inView: (name) => {
        const m = o.cluster.member(name);
        return m !== undefined && isLive(m.state);
      },
      resolve: o.settings.resolve,
      yieldMs: yieldWindowMs(o.settings.reassertMs),
      ...(o.onConflict ? { onConflict: o.onConflict } : {}),
    });
  }

  start(): void {
    this.directory.learn(this.o.cluster.members());
    this.unsubscribe ??= this.o.cluster.onEvent((e) => {
      this.directory.learn([e.member]);
      const back = returningMember(e);
      if (back !== undefined && back !== this.o.node) this.fence.memberReturned(back);
    });
  }

  /** The announcer's events: claims, and this node's own MACs (gossiped, and never claimants). */
  layer2Event(e: AnnouncerEvent): void {
    if (e.type === 'verdict' && e.claim && e.ip !== undefined) this.fence.claim(e.ip, e.protocol, e.interface, e.claim);
    else if (e.type === 'macs') {
      this.directory.setOwn(e.macs);
      this.o.meta.setMacs(e.macs);
    }
  }

  reconciled(r: Reconciled): void {
    this.fence.owned(r.announced);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.fence.close();
  }

  section(): StatusSection {
    return {
      name: 'conflicts',
      json: () => ({ resolve: this.o.settings.resolve, live: this.fence.status(), yielded: Object.fromEntries(this.fence.yielded()) }),
      text: () => {
        const live = this.fence.status();
        const lines = [`conflicts: ${live.length} live (resolution ${this.o.settings.resolve ? 'on' : 'off'})`];
        if (live.length) {
          lines.push(
            renderTable(
              ['ADDRESS', 'OTHER MAC', 'MEMBER', 'INTERFACE', 'SINCE', 'RESOLUTION'],
              live.map((c) => [c.ip, c.mac, c.member ?? '(unknown host)', c.interface, `${Math.round(c.sinceMs / 1000)}s ago`, c.resolution]),
            ),
          );
        }
        return lines.join('\n');
      },
    };
  }
}
