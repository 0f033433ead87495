// Cross-object checks and resolution: drafts from either front end -> the
// model. Everything that needs more than one object lives here: duplicate
// names, overlapping address ranges (across pools and within one pool),
// references (pools, peers, communities, BFD profiles), aggregation lengths
// against the pools they roll up, conflicting LOCAL_PREFs, BFD echo with
// IPv6. Either every check passes and a whole Config comes out, or nothing
// does.

import { compareRanges, summarizeRange, type IPRange } from '../net/index.js';
import { parseCommunity } from './community.js';
import type { BGPAdvDraft, Drafts, L2Draft, Named, PoolDraft } from './drafts.js';
import type { BGPAdvertisement, Community, Config, L2Advertisement, LabelSelector, Pool } from './model.js';
import { buildPoolIndex } from './pool-index.js';
import type { Issues } from './reader.js';
import { formatSelector, selectorMatches } from './selector.js';

function byName<T extends Named>(issues: Issues, items: readonly T[], kind: string): Map<string, T> {
  const out = new Map<string, T>();
  for (const it of items) {
    const first = out.get(it.name);
    if (first) {
      issues.add(it.namePath, 'duplicate-name', `${kind} name ${JSON.stringify(it.name)} is already used by ${first.path}`);
    } else out.set(it.name, it);
  }
  return out;
}

interface Entry {
  range: IPRange;
  text: string;
  path: string;
  pool: string;
  order: number;
}

/** Every entry that overlaps an earlier-written one gets an error naming the other. */
function checkOverlaps(issues: Issues, pools: readonly PoolDraft[]): void {
  const entries: Entry[] = [];
  for (const p of pools) for (const r of p.ranges) entries.push({ ...r, pool: p.name, order: entries.length });
  entries.sort((a, b) => compareRanges(a.range, b.range) || a.order - b.order);
  const found: [Entry, Entry][] = [];
  let reach: Entry | undefined;
  for (const e of entries) {
    if (reach && reach.range.family === e.range.family && e.range.first <= reach.range.last) {
      found.push(e.order > reach.order ? [e, reach] : [reach, e]);
    }
    if (!reach || reach.range.family !== e.range.family || e.range.last > reach.range.last) reach = e;
  }
  found.sort((a, b) => a[0].order - b[0].order || a[1].order - b[1].order);
  for (const [later, earlier] of found) {
    const where = later.pool === earlier.pool ? `another entry of the same pool (${earlier.path})` : `pool ${JSON.stringify(earlier.pool)} (${earlier.path})`;
    issues.add(later.path, 'overlapping-ranges', `${JSON.stringify(later.text)} overlaps ${JSON.stringify(earlier.text)} of ${where}`);
  }
}

function resolvePools(
  issues: Issues,
  adv: { ipAddressPools: { names: string[]; paths: string[] }; ipAddressPoolSelectors: readonly LabelSelector[] },
  pools: Map<string, PoolDraft>,
): string[] {
  const { names, paths } = adv.ipAddressPools;
  names.forEach((n, i) => {
    if (!pools.has(n)) issues.add(paths[i] as string, 'unknown-reference', `IPAddressPool ${JSON.stringify(n)} does not exist`);
  });
  if (names.length === 0 && adv.ipAddressPoolSelectors.length === 0) return [...pools.keys()].sort();
  const out = new Set(names.filter((n) => pools.has(n)));
  if (adv.ipAddressPoolSelectors.length > 0) {
    for (const p of pools.values()) {
      if (adv.ipAddressPoolSelectors.some((s) => selectorMatches(s, p.labels))) out.add(p.name);
    }
  }
  return [...out].sort();
}

function resolveCommunities(issues: Issues, adv: BGPAdvDraft, aliases: Map<string, Community>): Community[] {
  const out: Community[] = [];
  adv.communities.names.forEach((text, i) => {
    const path = adv.communities.paths[i] as string;
    const alias = aliases.get(text);
    if (alias) {
      out.push(alias);
      return;
    }
    const c = parseCommunity(text);
    if (c.ok) out.push(c.community);
    else if (!c.alias) issues.add(path, 'invalid-community', c.reason);
    else issues.add(path, 'unknown-reference', `${JSON.stringify(text)} is neither a community (65535:65282, large:1:2:3) nor the name of a Community alias`);
  });
  return out;
}

/** MetalLB rejects aggregating beyond a pool entry: the aggregate would cover addresses outside the pool. */
function checkAggregation(issues: Issues, adv: BGPAdvDraft, pools: readonly PoolDraft[]): void {
  for (const pool of pools) {
    for (const r of pool.ranges) {
      const widest = Math.min(...summarizeRange(r.range).map((p) => p.length));
      const [len, path] = r.range.family === 4 ? [adv.aggregationLength, adv.aggregationLengthPath] : [adv.aggregationLengthV6, adv.aggregationLengthV6Path];
      const field = path.slice(Math.max(path.lastIndexOf('.'), path.lastIndexOf(' ')) + 1);
      if (len < widest) {
        issues.add(path, 'invalid-value', `${field} ${len} is shorter than the /${widest} prefix of ${JSON.stringify(r.text)} in pool ${JSON.stringify(pool.name)}`);
      }
    }
  }
}

function sameSelectors(a: readonly LabelSelector[], b: readonly LabelSelector[]): boolean {
  const fa = a.map(formatSelector).sort();
  const fb = b.map(formatSelector).sort();
  return fa.length === fb.length && fa.every((s, i) => s === fb[i]);
}

/**
 * Two advertisements of the same pool that would send the same prefix to the
 * same peer from the same node must agree on LOCAL_PREF (MetalLB's rule).
 * Node sets are only known at run time, so here they count as overlapping
 * when either selects every node or both use the same selectors.
 */
function checkLocalPrefs(issues: Issues, advs: readonly BGPAdvDraft[], resolved: Map<string, string[]>, pools: Map<string, PoolDraft>): void {
  for (let j = 0; j < advs.length; j++) {
    const b = advs[j] as BGPAdvDraft;
    for (let i = 0; i < j; i++) {
      const a = advs[i] as BGPAdvDraft;
      if ((a.localPref ?? 0) === (b.localPref ?? 0)) continue;
      if (a.serviceSelectors.length > 0 || b.serviceSelectors.length > 0) continue;
      if (a.peers.names.length > 0 && b.peers.names.length > 0 && !a.peers.names.some((n) => b.peers.names.includes(n))) continue;
      const nodesOverlap = a.nodeSelectors.length === 0 || b.nodeSelectors.length === 0 || sameSelectors(a.nodeSelectors, b.nodeSelectors);
      if (!nodesOverlap) continue;
      const shared = (resolved.get(a.name) ?? []).filter((p) => (resolved.get(b.name) ?? []).includes(p));
      const clash = shared.find((pn) => {
        const fams = new Set((pools.get(pn)?.ranges ?? []).map((r) => r.range.family));
        const v4Same = fams.has(4) && a.aggregationLength === b.aggregationLength;
        const v6Same = fams.has(6) && a.aggregationLengthV6 === b.aggregationLengthV6;
        return v4Same || v6Same;
      });
      if (clash !== undefined) {
        issues.add(
          b.path,
          'conflicting-fields',
          `localPref ${b.localPref ?? 0} conflicts with localPref ${a.localPref ?? 0} of ${a.path} for the same prefixes of pool ${JSON.stringify(clash)}`,
        );
      }
    }
  }
}

export function assemble(issues: Issues, drafts: Drafts, source: Config['source']): Config | undefined {
  const pools = byName(issues, drafts.pools, 'IPAddressPool');
  const l2s = byName(issues, drafts.l2, 'L2Advertisement');
  const bgpAdvs = byName(issues, drafts.bgpAdvs, 'BGPAdvertisement');
  const peers = byName(issues, drafts.peers, 'BGPPeer');
  const bfds = byName(issues, drafts.bfd, 'BFDProfile');
  const aliases = byName(issues, drafts.communities, 'Community alias');
  checkOverlaps(issues, drafts.pools);

  const l2Out: L2Advertisement[] = [];
  for (const d of l2s.values()) l2Out.push(l2FromDraft(d, resolvePools(issues, d, pools)));

  const aliasValues = new Map([...aliases].map(([n, d]) => [n, d.value]));
  const resolved = new Map<string, string[]>();
  const bgpOut: BGPAdvertisement[] = [];
  for (const d of bgpAdvs.values()) {
    const covered = resolvePools(issues, d, pools);
    resolved.set(d.name, covered);
    d.peers.names.forEach((n, i) => {
      if (!peers.has(n)) issues.add(d.peers.paths[i] as string, 'unknown-reference', `BGPPeer ${JSON.stringify(n)} does not exist`);
    });
    checkAggregation(issues, d, covered.map((n) => pools.get(n) as PoolDraft));
    const { path: _p, namePath: _n, aggregationLengthPath: _a, aggregationLengthV6Path: _a6, ...rest } = d;
    bgpOut.push({
      ...rest,
      communities: resolveCommunities(issues, d, aliasValues),
      pools: covered,
      ipAddressPools: d.ipAddressPools.names,
      peers: d.peers.names,
    });
  }
  checkLocalPrefs(issues, [...bgpAdvs.values()], resolved, pools);

  for (const d of peers.values()) {
    const profile = d.bfdProfile;
    if (profile !== undefined && !bfds.has(profile)) {
      issues.add(d.bfdProfilePath, 'unknown-reference', `BFDProfile ${JSON.stringify(profile)} does not exist`);
    }
  }
  // BFD echo mode cannot run over IPv6 sessions; MetalLB refuses IPv6 pools advertised to such peers.
  for (const adv of bgpOut) {
    const v6Pools = adv.pools.filter((n) => pools.get(n)?.ranges.some((r) => r.range.family === 6));
    if (v6Pools.length === 0) continue;
    const targets = adv.peers.length > 0 ? adv.peers : [...peers.keys()];
    for (const pn of targets) {
      const profile = peers.get(pn)?.bfdProfile;
      if (profile !== undefined && bfds.get(profile)?.profile.echoMode) {
        issues.add(
          (bgpAdvs.get(adv.name) as BGPAdvDraft).path,
          'conflicting-fields',
          `pool ${JSON.stringify(v6Pools[0])} has IPv6 addresses but BGPPeer ${JSON.stringify(pn)} uses BFD profile ${JSON.stringify(profile)} with echo mode, which IPv6 does not support`,
        );
      }
    }
  }
  if (issues.count > 0) return undefined;

  const sortByName = <T extends { name: string }>(xs: T[]): T[] => xs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // Pool -> the advertisements covering it, in one pass over each list (a
  // filter per pool is quadratic: a file-mode speaker has one pool and one
  // advertisement per VIP).
  const coveredBy = (ads: readonly { name: string; pools: readonly string[] }[]): Map<string, string[]> => {
    const out = new Map<string, string[]>();
    for (const a of ads) {
      for (const p of a.pools) {
        const list = out.get(p);
        if (list) list.push(a.name);
        else out.set(p, [a.name]);
      }
    }
    return out;
  };
  const l2ByPool = coveredBy(l2Out);
  const bgpByPool = coveredBy(bgpOut);
  const poolOut: Pool[] = [...pools.values()].map((d) => ({
    name: d.name,
    ref: d.ref,
    labels: d.labels,
    addresses: d.addresses,
    ranges: d.ranges.map((r) => r.range),
    autoAssign: d.autoAssign,
    avoidBuggyIPs: d.avoidBuggyIPs,
    serviceAllocation: d.serviceAllocation,
    l2Advertisements: (l2ByPool.get(d.name) ?? []).sort(),
    bgpAdvertisements: (bgpByPool.get(d.name) ?? []).sort(),
  }));
  const sortedPools = sortByName(poolOut);
  return {
    source,
    pools: sortedPools,
    poolIndex: buildPoolIndex(sortedPools),
    l2Advertisements: sortByName(l2Out),
    bgpAdvertisements: sortByName(bgpOut),
    peers: sortByName([...peers.values()].flatMap((d) => (d.peer ? [d.peer] : []))),
    bfdProfiles: sortByName([...bfds.values()].map((d) => d.profile)),
    communities: sortByName([...aliases.values()].map((d) => ({ name: d.name, value: d.value, ref: d.ref }))),
  };
}

function l2FromDraft(d: L2Draft, pools: string[]): L2Advertisement {
  return {
    name: d.name,
    ref: d.ref,
    pools,
    ipAddressPools: d.ipAddressPools.names,
    ipAddressPoolSelectors: d.ipAddressPoolSelectors,
    nodeSelectors: d.nodeSelectors,
    interfaces: d.interfaces,
    serviceSelectors: d.serviceSelectors,
  };
}
