// The figures of one fault episode, from the rounds the client recorded.
// Pure: rounds, times and events in, numbers out.
import { neighboursByRound, roundSettled, soleAnswerer, type Round } from './answers.js';

export interface EpisodeTimes {
  /** The fault began (epoch ms). */
  faultAt: number;
  /** The fault ended: restart, link up, routes or rules removed, SIGCONT. */
  healAt: number;
  /** The end of observation after the heal. */
  endAt: number;
}

export interface EpisodeFigures {
  /** Rounds (seconds, at one probe a second) in [faultAt, endAt) with two or more answerers, per VIP. */
  doublePerVip: Record<string, number>;
  /** The worst VIP's count of such rounds. */
  doubleWorst: number;
  /** Summed over the VIPs. */
  doubleTotal: number;
  /** Rounds with no answer at all, per VIP, worst and summed. */
  nonePerVip: Record<string, number>;
  noneWorst: number;
  noneTotal: number;
  /**
   * ms from the heal to the first round in which every VIP has exactly one
   * answerer and the client's neighbour entry points at it, and after which,
   * to endAt, no VIP has two answerers or the client pointed elsewhere; null
   * when that never holds. Resolution: one probe interval.
   */
  convergedMs: number | null;
  /** Changes of the sole answerer of a VIP, from the last round before the fault to endAt, summed and worst. */
  moves: number;
  movesWorst: number;
}

export function episodeFigures(rounds: readonly Round[], vips: readonly string[], t: EpisodeTimes): EpisodeFigures {
  const inside = rounds.filter((r) => r.at >= t.faultAt && r.at < t.endAt);
  const doublePerVip: Record<string, number> = {};
  const nonePerVip: Record<string, number> = {};
  for (const v of vips) {
    doublePerVip[v] = inside.filter((r) => (r.answers.get(v)?.size ?? 0) >= 2).length;
    nonePerVip[v] = inside.filter((r) => (r.answers.get(v)?.size ?? 0) === 0).length;
  }
  const neighbours = neighboursByRound(rounds);
  const after = rounds.flatMap((r, i) => (r.at >= t.healAt && r.at < t.endAt ? [{ r, n: neighbours[i] }] : []));
  // The first round that settles every VIP, after which no round has two
  // answerers or the client pointed elsewhere (rounds without an answer are
  // counted in "no answer" and do not undo it).
  let convergedMs: number | null = null;
  for (let i = after.length - 1; i >= 0 && roundSettled(after[i]!.r, after[i]!.n, vips, true); i--) {
    if (roundSettled(after[i]!.r, after[i]!.n, vips)) convergedMs = after[i]!.r.at - t.healAt;
  }
  const before = rounds.filter((r) => r.at < t.faultAt).at(-1);
  let moves = 0;
  let movesWorst = 0;
  for (const v of vips) {
    let current = before ? soleAnswerer(before, v) : undefined;
    let n = 0;
    for (const r of inside) {
      const mac = soleAnswerer(r, v);
      if (mac === undefined) continue;
      if (current !== undefined && mac !== current) n += 1;
      current = mac;
    }
    moves += n;
    movesWorst = Math.max(movesWorst, n);
  }
  const values = (o: Record<string, number>): number[] => Object.values(o);
  return {
    doublePerVip,
    doubleWorst: Math.max(0, ...values(doublePerVip)),
    doubleTotal: values(doublePerVip).reduce((a, b) => a + b, 0),
    nonePerVip,
    noneWorst: Math.max(0, ...values(nonePerVip)),
    noneTotal: values(nonePerVip).reduce((a, b) => a + b, 0),
    convergedMs,
    moves,
    movesWorst,
  };
}

/**
 * The longest time the client went without an echo reply, in ms: the
 * largest gap between consecutive replies in [from, to], the window's edges
 * included, so a VIP that never answered again shows the rest of the window.
 */
export function longestGap(replies: readonly number[], from: number, to: number): number {
  const points = [from, ...replies.filter((t) => t > from && t < to).sort((a, b) => a - b), to];
  let gap = 0;
  for (let i = 1; i < points.length; i++) gap = Math.max(gap, points[i]! - points[i - 1]!);
  return gap;
}
