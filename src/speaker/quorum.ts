// The optional quorum: does this member see a majority of the last known
// membership alive? Under the quorum setting, a member that does not takes
// over no address it does not already announce (it keeps those it does);
// the speaker applies that to its own desired ownership (speaker.ts), never
// to what it computes for the others.
//
// The last known membership, precisely: this member, and every other member
// it has seen live (alive or suspect) since it started, except
//  - one that left gracefully (state left): it said it is gone, so the
//    cluster shrinks at once (a scale-down, a rolling restart's stop);
//  - one lost (dead, or dropped from the gossip table) longer than the
//    forget bound ago: a host removed without a leave stops counting after
//    a while, so a survivor is not held without quorum for ever.
// A member that was only ever heard of as dead never counts. A member that
// has just started knows only itself; `expected` (the number of other
// members it was told to join: its seeds) is then the floor, so that a
// fresh member cut off from a majority does not count itself a majority of
// one. The floor counts as members lost when this member started: it lapses
// after the forget bound too, or seeds that are gone for good would keep a
// survivor without quorum for ever.
//
// Live members are this member and the known others alive or suspect now.
// Majority: live > known / 2 (so two of four is not one, and one of two is
// not either).
//
// Pure: memory and an observation in, memory and a count out.

import type { MemberState } from '../cluster/messages.js';

/** How long a lost member still counts in the last known membership: 10 minutes. */
export const QUORUM_FORGET_MS = 10 * 60_000;

export interface QuorumMemory {
  /** Every other member seen live -> when it was found lost (dead or gone), undefined while live. */
  readonly lostAt: ReadonlyMap<string, number | undefined>;
  /** The first observation: when the seed floor began. */
  readonly startedAt: number | undefined;
}

export const emptyQuorumMemory: QuorumMemory = { lostAt: new Map(), startedAt: undefined };

export interface QuorumObservation {
  /** The gossip members this member knows now, in any state (itself included or not). */
  readonly members: readonly { readonly name: string; readonly state: MemberState }[];
  readonly self: string;
  readonly now: number;
  /** Other members this one was configured to join (its seeds other than itself): the floor of the count for the forget bound after the start. */
  readonly expected: number;
  /** Default QUORUM_FORGET_MS. */
  readonly forgetAfterMs?: number;
}

export interface QuorumCount {
  /** Live members, this one included. */
  readonly live: number;
  /** The last known membership, this member included (at least expected + 1). */
  readonly known: number;
  readonly majority: boolean;
  /** When the next lost member will be forgotten (the count may change then); undefined when none is lost. */
  readonly nextForget: number | undefined;
}

const isLive = (state: MemberState): boolean => state === 'alive' || state === 'suspect';

export function observeQuorum(memory: QuorumMemory, o: QuorumObservation): { memory: QuorumMemory; count: QuorumCount } {
  const forget = o.forgetAfterMs ?? QUORUM_FORGET_MS;
  const lostAt = new Map<string, number | undefined>();
  const listed = new Map<string, MemberState>();
  for (const m of o.members) {
    if (m.name === o.self) continue;
    // A name listed twice: the liveliest state counts (input order does not matter).
    const seen = listed.get(m.name);
    if (seen === undefined || isLive(m.state) || (seen === 'dead' && m.state === 'left')) listed.set(m.name, m.state);
  }
  for (const [name, state] of listed) {
    if (isLive(state)) lostAt.set(name, undefined);
  }
  for (const [name, was] of memory.lostAt) {
    if (lostAt.has(name)) continue;
    const state = listed.get(name);
    if (state === 'left') continue;
    const at = was ?? o.now;
    if (o.now - at >= forget) continue;
    lostAt.set(name, at);
  }
  let live = 1;
  let nextForget: number | undefined;
  for (const at of lostAt.values()) {
    if (at === undefined) live++;
    else nextForget = Math.min(nextForget ?? Infinity, at + forget);
  }
  const startedAt = memory.startedAt ?? o.now;
  const floor = o.now - startedAt < forget ? Math.max(0, Math.floor(o.expected)) : 0;
  if (floor > lostAt.size) nextForget = Math.min(nextForget ?? Infinity, startedAt + forget);
  const known = Math.max(lostAt.size, floor) + 1;
  return { memory: { lostAt, startedAt }, count: { live, known, majority: live * 2 > known, nextForget } };
}
