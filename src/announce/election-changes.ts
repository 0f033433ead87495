// What changed between two election runs, as far as a decision can tell:
// which ring members changed in anything the walk reads, and whether an
// IP's plan (who takes part, from which pool, with which advertisements) is
// the same. The incremental election decides again only what these name.
//
// Keep them complete: a fact that eligibility reads and these do not
// compare would let a stale decision survive (the property test in
// test/announce/election-incremental.test.ts compares against full runs).

import type { L2Advertisement } from '../config/model.js';
import type { IpPlan } from './election-eligibility.js';
import { isLive } from './election-inputs.js';
import type { ElectionMember, ElectionNode } from './election-inputs.js';

/**
 * What the walk reads of one member entry besides its name. Today only
 * liveness, which decides whether it is on the ring at all; a member fact
 * that eligibility starts to read goes here too.
 */
function entryFacts(m: ElectionMember): string {
  if (!isLive(m.state)) return '';
  // The ready flag is read by the walk (the ready rule): its change is a change of the member.
  return m.ready === false ? 'live, not ready' : 'live';
}

/**
 * Live member name -> what the walk reads of it. A name listed more than
 * once is live when any entry is; its facts are those of all its live
 * entries, in an order that does not depend on the input's.
 */
export function memberFacts(members: readonly ElectionMember[]): Map<string, string> {
  const byName = new Map<string, string[]>();
  for (const m of members) {
    if (!isLive(m.state)) continue;
    const f = entryFacts(m);
    const same = byName.get(m.name);
    if (same) same.push(f);
    else byName.set(m.name, [f]);
  }
  const out = new Map<string, string>();
  for (const [name, fs] of byName) out.set(name, fs.length === 1 ? fs[0]! : [...new Set(fs)].sort().join('\n'));
  return out;
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

export function sameNode(a: ElectionNode | undefined, b: ElectionNode | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return a.networkUnavailable === b.networkUnavailable && sameLabels(a.labels, b.labels);
}

/**
 * Members whose change may move an IP: those that joined or left the ring,
 * and those on it whose facts or Node changed. Sorted.
 */
export function changedMembers(
  prev: { readonly facts: ReadonlyMap<string, string>; readonly nodes: ReadonlyMap<string, ElectionNode> },
  facts: ReadonlyMap<string, string>,
  nodes: ReadonlyMap<string, ElectionNode>,
): string[] {
  const out = new Set<string>();
  for (const [name, f] of facts) {
    if (prev.facts.get(name) !== f) out.add(name);
    else if (nodes !== prev.nodes && !sameNode(prev.nodes.get(name), nodes.get(name))) out.add(name);
  }
  for (const name of prev.facts.keys()) if (!facts.has(name)) out.add(name);
  return [...out].sort();
}

// An advertisement's content, kept per object: a new Config brings new
// objects, often with the same content.
const adKeys = new WeakMap<L2Advertisement, string>();

function adKey(ad: L2Advertisement): string {
  let k = adKeys.get(ad);
  if (k === undefined) {
    k = JSON.stringify(ad);
    adKeys.set(ad, k);
  }
  return k;
}

function sameSet(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

function sameList<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): boolean {
  return a.length === b.length && a.every((x, i) => same(x, b[i]!));
}

/** Whether two plans of one IP lead to the same decision on the same ring. */
export function samePlan(a: IpPlan, b: IpPlan): boolean {
  if (a === b) return true;
  return (
    a.ip === b.ip &&
    a.pool === b.pool &&
    a.blocked?.code === b.blocked?.code &&
    a.blocked?.message === b.blocked?.message &&
    sameList(a.services, b.services, (x, y) => x === y) &&
    sameList(a.skippedServices, b.skippedServices, (x, y) => x.service === y.service && x.code === y.code && x.detail === y.detail) &&
    sameList(a.participants, b.participants, (x, y) => x.key === y.key && sameSet(x.localNodes, y.localNodes) && sameList(x.ads, y.ads, (p, q) => p === q || adKey(p) === adKey(q)))
  );
}
