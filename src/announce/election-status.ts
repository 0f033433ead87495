// The election on the speaker's status endpoint: the `announcements`
// section of GET /status (every service IP, its services, its owner,
// whether this node announces it and since when) and GET /status/ip/ADDRESS
// (one decision with the whole ring walk). JSON and text renderings of both.
//
// "Since when" needs memory across election runs: OwnershipTracker keeps,
// per IP, the wall-clock time its owner last changed.

import { parseIPDetailed } from '../net/index.js';
import type { StatusSection, SubResource } from '../status/server.js';
import { formatAge, renderTable } from '../status/table.js';
import { quote } from '../util/text.js';
import type { Decision, ElectionResult, Explanation } from './election.js';
import type { Interfaces } from './election-eligibility.js';

export interface OwnershipChange {
  readonly ip: string;
  /** undefined: the IP had no owner, or was not held by any service. */
  readonly from: string | undefined;
  /** undefined: no owner now, or no service holds the IP any more. */
  readonly to: string | undefined;
}

/** An owner and when it took over: one object for every IP that changed to that owner in one update, not one per IP. */
interface Since {
  readonly owner: string | undefined;
  readonly since: number;
}

export class OwnershipTracker {
  private readonly state = new Map<string, Since>();

  /** `wallClock`: milliseconds since the epoch (injected so tests control it). */
  constructor(private readonly wallClock: () => number = Date.now) {}

  now(): number {
    return this.wallClock();
  }

  /** Records a new election result; returns the owner changes it brought, in address order. */
  update(result: ElectionResult): OwnershipChange[] {
    const now = this.wallClock();
    const changes: OwnershipChange[] = [];
    const taken = new Map<string | undefined, Since>();
    for (const [ip, prev] of this.state) {
      if (result.decisions.has(ip)) continue;
      this.state.delete(ip);
      if (prev.owner !== undefined) changes.push({ ip, from: prev.owner, to: undefined });
    }
    for (const [ip, d] of result.decisions) {
      const prev = this.state.get(ip);
      if (prev && prev.owner === d.owner) continue;
      let entry = taken.get(d.owner);
      if (!entry) taken.set(d.owner, (entry = { owner: d.owner, since: now }));
      this.state.set(ip, entry);
      if (prev !== undefined || d.owner !== undefined) changes.push({ ip, from: prev?.owner, to: d.owner });
    }
    return changes;
  }

  /** When the IP's current owner (or lack of one) began; undefined for IPs never seen. */
  since(ip: string): number | undefined {
    return this.state.get(ip)?.since;
  }
}

export interface AnnouncementJson {
  readonly ip: string;
  readonly pool: string | null;
  readonly services: readonly string[];
  readonly owner: string | null;
  /** The owner is the node whose status endpoint this is. */
  readonly thisNode: boolean;
  readonly interfaces: Interfaces;
  /** ISO time the owner last changed. */
  readonly since: string | null;
  readonly noOwner: { readonly code: string; readonly message: string } | null;
  readonly skippedServices: readonly { readonly service: string; readonly code: string; readonly detail: string }[];
}

export interface AnnouncementsJson {
  readonly node: string;
  readonly members: readonly string[];
  readonly addresses: number;
  readonly announcedHere: number;
  readonly ips: readonly AnnouncementJson[];
  readonly problems: ElectionResult['problems'];
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

function announcementJson(d: Decision, self: string, tracker: OwnershipTracker): AnnouncementJson {
  return {
    ip: d.ip,
    pool: d.pool ?? null,
    services: d.services,
    owner: d.owner ?? null,
    thisNode: d.owner === self,
    interfaces: d.interfaces,
    since: iso(tracker.since(d.ip)),
    noOwner: d.noOwner ?? null,
    skippedServices: d.skippedServices,
  };
}

export function announcementsJson(result: ElectionResult, self: string, tracker: OwnershipTracker): AnnouncementsJson {
  const ips = [...result.decisions.values()].map((d) => announcementJson(d, self, tracker));
  return {
    node: self,
    members: result.members,
    addresses: ips.length,
    announcedHere: ips.filter((a) => a.thisNode).length,
    ips,
    problems: result.problems,
  };
}

const interfacesText = (i: Interfaces): string => (i === 'all' ? 'all' : i.length === 0 ? '-' : i.join(','));
const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

export function announcementsText(result: ElectionResult, self: string, tracker: OwnershipTracker): string {
  const now = tracker.now();
  const decisions = [...result.decisions.values()];
  const here = decisions.filter((d) => d.owner === self).length;
  const head =
    `announcements: ${self} announces ${here} of ${plural(decisions.length, 'address', 'addresses')}; ` +
    `ring of ${plural(result.members.length, 'live member', 'live members')}`;
  if (decisions.length === 0) return head;
  const rows = decisions.map((d) => {
    const since = tracker.since(d.ip);
    // Without an owner the code says it all (the per-IP page has the details).
    const notes = d.noOwner ? [d.noOwner.code] : d.skippedServices.map((s) => `${s.service} skipped: ${s.code}`);
    return [
      d.ip,
      d.pool ?? '-',
      d.owner ?? '-',
      d.owner === self ? 'yes' : 'no',
      interfacesText(d.interfaces),
      since === undefined ? '-' : formatAge(since, now),
      d.services.join(' '),
      notes.join('; '),
    ];
  });
  const problems = result.problems.map((p) => `input problem: ${p.service}${p.field ? ` ${p.field}` : ''}: ${p.message}`);
  return [head, renderTable(['IP', 'POOL', 'OWNER', 'HERE', 'INTERFACES', 'FOR', 'SERVICES', 'NOTE'], rows), ...problems].join('\n');
}

export function explanationJson(e: Explanation): Record<string, unknown> {
  const d = e.decision;
  return {
    ip: d.ip,
    pool: d.pool ?? null,
    services: d.services,
    skippedServices: d.skippedServices,
    owner: d.owner ?? null,
    interfaces: d.interfaces,
    noOwner: d.noOwner ?? null,
    keyHash: e.keyHash,
    ring: e.ring,
    notLive: e.notLive,
  };
}

const ordinal = (n: number): string => {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
};

export function explanationText(e: Explanation): string {
  const d = e.decision;
  const owner = e.ring.find((c) => c.verdict === 'owner');
  const lines: string[] = [];
  if (d.owner !== undefined) {
    const where = owner ? ` (${ordinal(owner.position)} on the ring)` : '';
    lines.push(`${d.ip}: owned by ${d.owner}${where}, interfaces ${interfacesText(d.interfaces)}`);
  } else {
    lines.push(`${d.ip}: no owner: ${d.noOwner?.code ?? 'unknown'}: ${d.noOwner?.message ?? ''}`);
  }
  lines.push(`pool ${d.pool ?? '-'}; services ${d.services.join(' ') || '-'}`);
  for (const s of d.skippedServices) lines.push(`  ${s.service} takes no part: ${s.code}: ${s.detail}`);
  if (e.ring.length > 0) {
    lines.push('', `ring walk from ${d.ip} (ketama hash 0x${e.keyHash.toString(16).padStart(8, '0')}):`);
    let next = true;
    const rows = e.ring.map((c) => {
      let why = c.reasons.map((r) => `${r.code}: ${r.detail}`).join('; ');
      if (c.verdict === 'eligible' && next) {
        why = 'next in line';
        next = false;
      }
      return [String(c.position), c.member, c.verdict, why];
    });
    lines.push(renderTable(['#', 'MEMBER', 'VERDICT', 'WHY'], rows));
  }
  if (e.notLive.length > 0) lines.push('', `not on the ring: ${e.notLive.map((n) => `${n.node} (${n.state})`).join(', ')}`);
  return lines.join('\n');
}

/** The `announcements` section of GET /status; `latest` is undefined until the first election ran. */
export function announcementsSection(latest: () => ElectionResult | undefined, self: string, tracker: OwnershipTracker): StatusSection {
  return {
    name: 'announcements',
    json: () => {
      const r = latest();
      return r ? announcementsJson(r, self, tracker) : { node: self, pending: 'no election has run yet' };
    },
    text: () => {
      const r = latest();
      return r ? announcementsText(r, self, tracker) : `announcements: ${self}: no election has run yet`;
    },
  };
}

/** GET /status/ip/ADDRESS; `explain` is typically `(ip) => election.explain(ip, currentInputs)`. */
export function ipStatusResource(explain: (ip: string) => Explanation | undefined): SubResource {
  return {
    prefix: 'ip',
    handle: (rest) => {
      if (rest === '') return { badRequest: 'name an address: /status/ip/ADDRESS' };
      // Refused before the election is prepared for it: garbage costs nothing.
      const parsed = parseIPDetailed(rest);
      if (!parsed.ok) return { badRequest: `${quote(rest)}: ${parsed.reason}` };
      const e = explain(rest);
      return e ? { json: explanationJson(e), text: explanationText(e) } : undefined;
    },
  };
}
