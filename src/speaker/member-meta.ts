// This member's gossip metadata is made of parts owned by different code:
// the mode's own entries (version, file-mode labels), the interface MACs
// layer 2 finds (for split-brain attribution) and the ready flag of delayed
// failback. setMeta replaces the whole map, so every part goes through here
// and is merged.

import { macsMeta } from '../announce/fencing/member-macs.js';
import type { Meta } from '../cluster/messages.js';
import { READY_META_KEY, withReady } from './readiness.js';

export class MemberMeta {
  private macs: Meta = {};
  private ready: Meta;
  private base: Meta;
  private last: string;

  /** `start` is the metadata given to launchMember, the ready flag it starts with included. */
  constructor(
    private readonly cluster: { setMeta(meta: Meta): void },
    start: Meta,
  ) {
    const { [READY_META_KEY]: flag, ...base } = start;
    this.base = base;
    this.ready = flag === undefined ? {} : { [READY_META_KEY]: flag };
    this.last = JSON.stringify(this.current());
  }

  current(): Meta {
    return { ...this.base, ...this.macs, ...this.ready };
  }

  /** The mode's own entries; the ready flag and the MACs stay as they are. */
  setBase(meta: Meta): void {
    const { [READY_META_KEY]: _flag, ...base } = meta;
    this.base = base;
    this.publish();
  }

  setReady(ready: boolean): void {
    this.ready = withReady({}, ready);
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
