// This member's gossip metadata is made of parts owned by different code:
// the mode's own entries (version, file-mode labels) and the interface MACs
// layer 2 finds (for split-brain attribution). setMeta replaces the whole
// map, so every part goes through here and is merged.

import { macsMeta } from '../announce/fencing/member-macs.js';
import type { Meta } from '../cluster/messages.js';

export class MemberMeta {
  private macs: Meta = {};
  private last: string;

  constructor(
    private readonly cluster: { setMeta(meta: Meta): void },
    private base: Meta,
  ) {
    this.last = JSON.stringify(this.current());
  }

  current(): Meta {
    return { ...this.base, ...this.macs };
  }

  /** The mode's own entries (they were given to launchMember at start). */
  setBase(meta: Meta): void {
    this.base = { ...meta };
    this.publish();
  }

  setMacs(macs: readonly string[]): void {
    this.macs = macsMeta(macs);
    this.publish();
  }

  private publish(): void {
    const meta = this.current();
    const text = JSON.stringify(meta);
    if (text === this.last) return;
    this.last = text;
    this.cluster.setMeta(meta);
  }
}
