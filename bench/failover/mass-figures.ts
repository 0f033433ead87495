// The figures of a mass failover, from the client's capture: for each
// address the dead owner held, when the first gratuitous frame from another
// MAC reached the client (the moment its neighbour entry can move), and
// whether the whole first round of it arrived. Pure: announcements in,
// figures out.
import { ipFamily } from '../../src/net/index.js';
import { percentile } from '../stats.js';
import { roundForms, type Announcement } from './announcements.js';

export interface MassInput {
  /** Harness clock (ms since the epoch) when the owner was killed. */
  killAt: number;
  /** The dead owner's MAC: its frames are not a takeover. */
  victimMac: string;
  /** Each address the dead owner held -> the MAC of its new owner, as the survivors' status says. */
  lost: ReadonlyMap<string, string>;
  /**
   * Frames of one address from its new owner within this many ms of its
   * first are its first round. Shorter than the gap to the second round
   * (250 ms for ARP, 1 s for NDP by default).
   */
  roundWindowMs: number;
}

export interface MovedAddress {
  ip: string;
  /** ms from the kill to the first frame from a new owner. */
  ms: number;
  mac: string;
  /** Distinct frames of the first round seen, of roundForms(ip). */
  formsSeen: number;
}

export interface MassFigures {
  lost: number;
  ipv4: number;
  ipv6: number;
  /** Lost addresses some other MAC announced after the kill, in the order their first frame arrived. */
  moved: MovedAddress[];
  /** Lost addresses nobody announced after the kill. */
  unseen: string[];
  /** Moved addresses whose first frame came from a MAC other than the new owner's. */
  wrongOwner: string[];
  /** Over the moved addresses, ms from the kill (NaN when none moved). */
  p50Ms: number;
  p99Ms: number;
  firstMs: number;
  lastMs: number;
  /** First to last first frame: how long the first rounds took to cross the wire. */
  burstMs: number;
  /** Frames of the first rounds: seen at the client, and what the lost addresses call for. */
  firstRoundFrames: { seen: number; expected: number };
  /** Gratuitous frames for lost addresses still sent by the dead owner after the kill (in flight). */
  fromVictimAfterKill: number;
}

export function massFigures(announcements: readonly Announcement[], o: MassInput): MassFigures {
  const byIp = new Map<string, Announcement[]>();
  let fromVictimAfterKill = 0;
  for (const a of announcements) {
    if (a.at < o.killAt || !o.lost.has(a.ip)) continue;
    if (a.mac === o.victimMac) {
      fromVictimAfterKill++;
      continue;
    }
    const list = byIp.get(a.ip);
    if (list) list.push(a);
    else byIp.set(a.ip, [a]);
  }
  const moved: MovedAddress[] = [];
  const unseen: string[] = [];
  const wrongOwner: string[] = [];
  let seen = 0;
  let expected = 0;
  for (const [ip, owner] of o.lost) {
    const forms = roundForms(ip);
    expected += forms.length;
    const list = (byIp.get(ip) ?? []).sort((a, b) => a.at - b.at);
    const first = list[0];
    if (!first) {
      unseen.push(ip);
      continue;
    }
    if (first.mac !== owner) wrongOwner.push(ip);
    const round = new Set(list.filter((a) => a.mac === first.mac && a.at <= first.at + o.roundWindowMs).map((a) => a.form));
    const formsSeen = forms.filter((f) => round.has(f)).length;
    seen += formsSeen;
    moved.push({ ip, ms: first.at - o.killAt, mac: first.mac, formsSeen });
  }
  moved.sort((a, b) => a.ms - b.ms);
  const ms = moved.map((m) => m.ms);
  const ipv6 = [...o.lost.keys()].filter((ip) => ipFamily(ip) === 6).length;
  return {
    lost: o.lost.size,
    ipv4: o.lost.size - ipv6,
    ipv6,
    moved,
    unseen,
    wrongOwner,
    p50Ms: percentile(ms, 50),
    p99Ms: percentile(ms, 99),
    firstMs: ms.length ? ms[0]! : NaN,
    lastMs: ms.length ? ms[ms.length - 1]! : NaN,
    burstMs: ms.length ? ms[ms.length - 1]! - ms[0]! : NaN,
    firstRoundFrames: { seen, expected },
    fromVictimAfterKill,
  };
}

/** 1-based place of an address in the order the moves reached the client, or undefined when it did not move. */
export function moveRank(f: MassFigures, ip: string): number | undefined {
  const i = f.moved.findIndex((m) => m.ip === ip);
  return i < 0 ? undefined : i + 1;
}
