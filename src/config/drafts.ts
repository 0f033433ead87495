// What the two front ends (crd.ts, legacy.ts) hand to assemble.ts: each
// object with its fields checked one by one, plus the paths assemble needs
// to point at when a cross-object check fails (overlaps, references,
// duplicates). A draft exists whenever its object had a name, even if some
// fields were bad, so one bad field does not also make every reference to
// the object look dangling.

import { parseRange, type IPRange } from '../net/index.js';
import type { BFDProfile, BGPPeer, Community, LabelSelector, ObjectRef, ServiceAllocation } from './model.js';
import { parseGoDuration } from './duration.js';
import { at, idx } from './reader.js';
import type { Obj , Issues } from './reader.js';

export interface Named {
  readonly name: string;
  readonly ref: ObjectRef;
  /** Path of the object itself, for errors about it as a whole. */
  readonly path: string;
  /** Path of its name field, for duplicate names. */
  readonly namePath: string;
}

export interface PoolDraft extends Named {
  readonly labels: Record<string, string>;
  readonly addresses: string[];
  /** Parsed entries with their paths; entries that failed to parse are absent. */
  readonly ranges: { range: IPRange; text: string; path: string }[];
  readonly autoAssign: boolean;
  readonly avoidBuggyIPs: boolean;
  readonly serviceAllocation: ServiceAllocation | undefined;
}

export interface RefList {
  readonly names: string[];
  readonly paths: string[];
}

export interface L2Draft extends Named {
  readonly ipAddressPools: RefList;
  readonly ipAddressPoolSelectors: LabelSelector[];
  readonly nodeSelectors: LabelSelector[];
  readonly interfaces: string[];
  readonly serviceSelectors: LabelSelector[];
}

export interface BGPAdvDraft extends Named {
  readonly aggregationLength: number;
  readonly aggregationLengthPath: string;
  readonly aggregationLengthV6: number;
  readonly aggregationLengthV6Path: string;
  readonly localPref: number | undefined;
  /** Community entries as written (literal or alias name). */
  readonly communities: RefList;
  readonly ipAddressPools: RefList;
  readonly ipAddressPoolSelectors: LabelSelector[];
  readonly nodeSelectors: LabelSelector[];
  readonly peers: RefList;
  readonly serviceSelectors: LabelSelector[];
}

/** `peer` is undefined when a field was invalid; the BFD reference is still checked. */
export type PeerDraft = Named & { readonly peer: BGPPeer | undefined; readonly bfdProfile: string | undefined; readonly bfdProfilePath: string };

export type BFDDraft = Named & { readonly profile: BFDProfile };

export type CommunityDraft = Named & { readonly value: Community };

export interface Drafts {
  readonly pools: PoolDraft[];
  readonly l2: L2Draft[];
  readonly bgpAdvs: BGPAdvDraft[];
  readonly peers: PeerDraft[];
  readonly bfd: BFDDraft[];
  readonly communities: CommunityDraft[];
}

export function emptyDrafts(): Drafts {
  return { pools: [], l2: [], bgpAdvs: [], peers: [], bfd: [], communities: [] };
}

/** Parses the address entries of a pool; an empty list is an error, as in MetalLB. */
export function parseAddresses(issues: Issues, addresses: string[], path: string, key: string): PoolDraft['ranges'] {
  const listPath = at(path, key);
  if (addresses.length === 0) issues.add(listPath, 'missing-field', 'a pool needs at least one address range');
  const out: PoolDraft['ranges'] = [];
  addresses.forEach((text, i) => {
    const r = parseRange(text);
    if (r.ok) out.push({ range: r.range, text, path: idx(listPath, i) });
    else issues.add(idx(listPath, i), 'invalid-range', r.message);
  });
  return out;
}

/** A Go duration field, in milliseconds. */
export function readDuration(issues: Issues, o: Obj, key: string, path: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') {
    issues.add(at(path, key), 'invalid-duration', `expected a duration string like "90s", got ${JSON.stringify(v)}`);
    return undefined;
  }
  const d = parseGoDuration(v);
  if (!d.ok) {
    issues.add(at(path, key), 'invalid-duration', d.reason);
    return undefined;
  }
  return d.ms;
}

export const DEFAULT_HOLD_TIME_MS = 90_000;

/**
 * MetalLB's timer rules: a missing hold time is 3 x keepalive (or 90 s when
 * neither is set, the native speaker's default), a missing keepalive is
 * hold / 3; the hold time, truncated to whole seconds, must be 0 or >= 3 s
 * (RFC 4271 4.2), and keepalive may not exceed it.
 */
export function resolveTimers(
  issues: Issues,
  hold: number | undefined,
  keepalive: number | undefined,
  holdPath: string,
  keepalivePath: string,
): { holdTime: number; keepaliveTime: number } | undefined {
  let ok = true;
  if (hold !== undefined && hold < 0) {
    issues.add(holdPath, 'invalid-timers', 'hold time must not be negative');
    ok = false;
  }
  if (keepalive !== undefined && keepalive < 0) {
    issues.add(keepalivePath, 'invalid-timers', 'keepalive time must not be negative');
    ok = false;
  }
  if (!ok) return undefined;
  const holdTime = hold ?? (keepalive !== undefined ? keepalive * 3 : DEFAULT_HOLD_TIME_MS);
  const keepaliveTime = keepalive ?? holdTime / 3;
  const wholeSeconds = Math.trunc(holdTime / 1000);
  if (wholeSeconds !== 0 && wholeSeconds < 3) {
    issues.add(hold !== undefined ? holdPath : keepalivePath, 'invalid-timers', `hold time ${holdTime / 1000}s must be 0 or at least 3s`);
    return undefined;
  }
  if (keepaliveTime > holdTime) {
    issues.add(keepalivePath, 'invalid-timers', `keepalive time ${keepaliveTime / 1000}s is longer than the hold time ${holdTime / 1000}s`);
    return undefined;
  }
  return { holdTime, keepaliveTime };
}

export const BFD_DEFAULTS = {
  receiveInterval: 300,
  transmitInterval: 300,
  detectMultiplier: 3,
  echoInterval: 50,
  minimumTtl: 254,
} as const;

/** An ASN field as written, 0 to 2^32-1; callers decide what 0 means. */
export function readASN(issues: Issues, o: Obj, key: string, path: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 4294967295) {
    issues.add(at(path, key), 'invalid-asn', `${JSON.stringify(v)} is not an AS number (1 to 4294967295)`);
    return undefined;
  }
  return v;
}
