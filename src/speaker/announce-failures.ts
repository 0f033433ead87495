// Which addresses this node should announce in layer 2 but answers for on
// no interface (a named interface missing, every candidate excluded, down
// or without carrier), reported once when it starts, as MetalLB's
// announceFailed Warning, and forgotten once the address is announced again.

export interface L2Placement {
  readonly ip: string;
  /** The interfaces asked for, or 'default' (the default selection). */
  readonly requested: readonly string[] | 'default';
  readonly announcedOn: readonly string[];
}

export interface AnnounceFailure {
  readonly ip: string;
  readonly message: string;
}

export class AnnounceFailures {
  private failing = new Set<string>();

  /** New failures among `placements` (what layer 2 was given and where it answers now). */
  update(node: string, placements: readonly L2Placement[]): AnnounceFailure[] {
    const now = new Set<string>();
    const fresh: AnnounceFailure[] = [];
    for (const p of placements) {
      if (p.announcedOn.length > 0) continue;
      now.add(p.ip);
      if (this.failing.has(p.ip)) continue;
      const why = p.requested === 'default'
        ? 'no interface qualifies (each is excluded, down, without carrier, enslaved, or cannot carry ARP/NDP)'
        : `the interfaces the L2Advertisement names (${p.requested.join(', ')}) do not exist or cannot carry ARP/NDP`;
      fresh.push({ ip: p.ip, message: `cannot announce ${p.ip} from node "${node}" with protocol "layer2": ${why}` });
    }
    this.failing = now;
    return fresh;
  }
}
