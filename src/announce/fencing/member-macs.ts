// Which member a MAC on the wire belongs to. Each speaker gossips the MACs
// of the interfaces it may announce on, in one metadata entry, so a claim
// seen for one of our addresses can be attributed to a member (a split-brain
// contest, settled by rule.ts) or to a host outside the cluster.
//
// Encoding: the 6-byte MACs, sorted, concatenated and base64url-encoded
// (8 characters a MAC), at most MAX_GOSSIPED_MACS: MACS_META_MAX_BYTES of the
// 512 the metadata may take, which the label budget in file mode leaves room for.

import { encodedMetaSize } from '../../cluster/codec.js';
import type { Meta } from '../../cluster/messages.js';
import { formatMac, parseMac, type MacAddress } from '../l2/mac.js';
import type { Claimant } from './rule.js';

export const MACS_META_KEY = 'macs';
/** A node with more announcing interfaces than this gossips the first ones (sorted); claims from the rest read as unknown hosts. */
export const MAX_GOSSIPED_MACS = 8;
/** Bytes the MAC entry can add to a member's metadata at most. */
export const MACS_META_MAX_BYTES = encodedMetaSize({ [MACS_META_KEY]: 'A'.repeat(MAX_GOSSIPED_MACS * 8) }) - encodedMetaSize({});

/** Members remembered at most; the oldest entry goes first. */
const MAX_REMEMBERED_MACS = 8192;

/** The metadata value for these MACs (at most MAX_GOSSIPED_MACS of them, sorted). */
export function encodeMacs(macs: Iterable<MacAddress>): string {
  const sorted = [...new Set(macs)].sort().slice(0, MAX_GOSSIPED_MACS);
  return Buffer.concat(sorted.map(parseMac)).toString('base64url');
}

/** The MACs in a metadata value; an ill-formed value (another version's, a corrupt one) gives none. */
export function decodeMacs(value: string | undefined): MacAddress[] {
  if (value === undefined || value.length % 8 !== 0 || value.length > MAX_GOSSIPED_MACS * 8 || !/^[A-Za-z0-9_-]*$/.test(value)) return [];
  const bytes = Buffer.from(value, 'base64url');
  const out: MacAddress[] = [];
  for (let at = 0; at + 6 <= bytes.length; at += 6) out.push(formatMac(bytes, at));
  return out;
}

/** The metadata entry to merge into a member's own metadata. */
export function macsMeta(macs: Iterable<MacAddress>): Meta {
  const value = encodeMacs(macs);
  return value ? { [MACS_META_KEY]: value } : {};
}

/**
 * MAC -> member, from the members' gossiped metadata. Entries outlive the
 * member's death and removal from the member list: a member cut off from
 * us is exactly the one whose claims we need to attribute.
 */
export class MacDirectory {
  private readonly byMac = new Map<MacAddress, string>();
  private own = new Set<MacAddress>();

  constructor(private readonly self: string) {}

  /** Records the MACs these members gossip (any state: a dead member's MACs still name it). */
  learn(members: Iterable<{ name: string; meta: Meta }>): void {
    for (const m of members) {
      if (m.name === this.self) continue;
      for (const mac of decodeMacs(m.meta[MACS_META_KEY])) {
        if (this.byMac.get(mac) === m.name) continue;
        this.byMac.delete(mac);
        this.byMac.set(mac, m.name);
        if (this.byMac.size > MAX_REMEMBERED_MACS) this.byMac.delete(this.byMac.keys().next().value!);
      }
    }
  }

  /** This node's own MACs: claims from them are ours (two of our links on one segment). */
  setOwn(macs: Iterable<MacAddress>): void {
    this.own = new Set(macs);
  }

  attribute(mac: MacAddress): Claimant {
    if (this.own.has(mac)) return { kind: 'self' };
    const name = this.byMac.get(mac);
    return name === undefined ? { kind: 'unknown', mac } : { kind: 'member', name };
  }

  /** The member a MAC belongs to, if known. */
  memberOf(mac: MacAddress): string | undefined {
    return this.byMac.get(mac);
  }
}
