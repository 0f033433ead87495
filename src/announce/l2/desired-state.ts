// The announcer's desired state as it takes it in: the caller's "address (any
// spelling) -> where to announce it" becomes "canonical address -> DesiredIp".
// One address written several ways is one owned address, under one key, so
// the announcer never answers, counts or withdraws it twice. DesiredIps are
// shared: every address of one family and interface set holds the same
// object, so 10,000 addresses on one interface cost no object each.

import { formatIP, parseIP, type Family } from '../../net/index.js';
import type { InternedSets } from '../../util/interned-sets.js';
import type { L2Protocol } from './verdict.js';

/** Where to announce one address. No interfaces (or an empty list) means the default selection. */
export interface L2Target {
  interfaces?: readonly string[];
}

/** Address (any textual form) -> where to announce it. */
export type L2DesiredState = ReadonlyMap<string, L2Target>;

/** Shared by every address of one family and interface set: never changed. */
export interface DesiredIp {
  readonly family: Family;
  readonly protocol: L2Protocol;
  /** The interfaces asked for (interned), or undefined for the default selection. */
  readonly named: ReadonlySet<string> | undefined;
}

export const protocolOf = (family: Family): L2Protocol => (family === 4 ? 'arp' : 'ndp');

/** A desired state taken in: canonical address -> its DesiredIp, and how many addresses each protocol owns. */
export interface DesiredIps {
  readonly ips: ReadonlyMap<string, DesiredIp>;
  readonly owned: Readonly<Record<L2Protocol, number>>;
}

export class DesiredIntake {
  /** Interface set (interned) -> family -> its DesiredIp. */
  private readonly shapes = new Map<ReadonlySet<string> | undefined, Partial<Record<Family, DesiredIp>>>();

  /** sets: where the interface lists are interned (the announcer's, shared with what it announces). */
  constructor(private readonly sets: InternedSets) {}

  /**
   * Takes in `desired`; `previous` is the last state taken in, whose keys
   * are canonical, so an address kept in the same spelling is not parsed
   * again. Throws a TypeError naming the first text that is not an address;
   * nothing is kept from a refused state.
   */
  read(desired: L2DesiredState, previous: ReadonlyMap<string, DesiredIp>): DesiredIps {
    const ips = new Map<string, DesiredIp>();
    const owned = { arp: 0, ndp: 0 };
    // Callers share one interface list among many addresses: its interned set is worked out once.
    let lastInterfaces: readonly string[] | undefined;
    let lastNamed: ReadonlySet<string> | undefined;
    desired.forEach((target, text) => {
      if (target.interfaces !== lastInterfaces || lastInterfaces === undefined) {
        const names = target.interfaces?.filter((n) => n !== '');
        lastInterfaces = target.interfaces;
        lastNamed = names && names.length > 0 ? this.sets.of(names) : undefined;
      }
      const named = lastNamed;
      const known = previous.get(text);
      let d: DesiredIp;
      let key: string;
      if (known) {
        key = text;
        d = this.shapeOf(known.family, named);
      } else {
        const ip = parseIP(text, { mapped: 'keep' });
        if (!ip) throw new TypeError(`L2 desired state: "${text}" is not an IP address`);
        const canonical = formatIP(ip);
        // The caller's string when it is canonical already: one string per address, not two.
        key = canonical === text ? text : canonical;
        d = this.shapeOf(ip.family, named);
      }
      // Two spellings of one address are one owned address.
      if (!ips.has(key)) owned[d.protocol]++;
      ips.set(key, d);
    });
    return { ips, owned };
  }

  /** The one DesiredIp for a family and interface set. */
  private shapeOf(family: Family, named: ReadonlySet<string> | undefined): DesiredIp {
    let byFamily = this.shapes.get(named);
    if (!byFamily) this.shapes.set(named, (byFamily = {}));
    return (byFamily[family] ??= { family, protocol: protocolOf(family), named });
  }
}
