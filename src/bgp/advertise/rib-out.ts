// Adj-RIB-Out (RFC 4271 3.2): what this speaker has told one peer. Given
// the desired state, diff() says what to announce and what to withdraw;
// commit() records it once the UPDATEs are written.

import { formatPrefix, type Prefix } from '../../net/index.js';
import type { OutRoute } from './out-route.js';

export interface RibChanges {
  readonly announce: readonly OutRoute[];
  readonly withdraw: readonly Prefix[];
}

export class AdjRibOut {
  private readonly sent = new Map<string, OutRoute>();

  get size(): number {
    return this.sent.size;
  }

  routes(): OutRoute[] {
    return [...this.sent.values()];
  }

  /** New or changed routes to announce (a changed one replaces the old implicitly), and the ones to withdraw. */
  diff(desired: ReadonlyMap<string, OutRoute>): RibChanges {
    const announce: OutRoute[] = [];
    const withdraw: Prefix[] = [];
    for (const [key, r] of desired) {
      const prev = this.sent.get(key);
      if (!prev || prev.groupKey !== r.groupKey) announce.push(r);
    }
    for (const [key, r] of this.sent) if (!desired.has(key)) withdraw.push(r.prefix);
    return { announce, withdraw };
  }

  commit(changes: RibChanges): void {
    for (const p of changes.withdraw) this.sent.delete(formatPrefix(p));
    for (const r of changes.announce) this.sent.set(formatPrefix(r.prefix), r);
  }

  clear(): void {
    this.sent.clear();
  }
}
