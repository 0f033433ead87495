// The precedence rules of membership updates, as pure decisions. They follow
// memberlist (and SWIM section 4.2): a higher incarnation always wins; at
// equal incarnation suspect beats alive and dead beats both; news about
// ourselves that would mark us suspect or dead is refuted by raising our
// incarnation. Stale news (older incarnation) changes nothing. One departure:
// a death verdict reached by a member we do not count as live ourselves only
// makes us suspect the accused (see decideDead).
import type { Alive, Dead, MemberState, Meta, Suspect } from './messages.js';

export interface KnownMember {
  readonly host: string;
  readonly port: number;
  readonly incarnation: number;
  readonly state: MemberState;
  readonly meta: Meta;
  /** Time of the last state change, on the protocol clock. */
  readonly stateChangedAt: number;
}

export type AliveDecision =
  | { action: 'add' }
  | { action: 'update'; addressChanged: boolean; metaChanged: boolean; revived: boolean }
  | { action: 'refute' }
  | { action: 'ignore'; why: 'stale' | 'duplicate' | 'own-echo' | 'address-conflict' };

export type SuspectDecision =
  | { action: 'suspect' }
  | { action: 'confirm' }
  | { action: 'refute' }
  | { action: 'ignore'; why: 'unknown' | 'stale' | 'already-dead' };

export type DeadDecision =
  | { action: 'dead'; state: 'dead' | 'left' }
  | { action: 'suspect' }
  | { action: 'refute' }
  | { action: 'ignore'; why: 'unknown' | 'stale' | 'already-dead' };

export function metaEqual(a: Meta, b: Meta): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a[k] === b[k]);
}

const isDown = (s: MemberState): boolean => s === 'dead' || s === 'left';

/**
 * @param reclaimMs a dead or left member's name may be taken by a new
 *   address after this long (a node replaced under the same name).
 */
export function decideAlive(current: KnownMember | undefined, msg: Alive, isSelf: boolean, now: number, reclaimMs: number): AliveDecision {
  if (!current) return { action: 'add' };
  const addressChanged = current.host !== msg.host || current.port !== msg.port;
  if (isSelf) {
    if (msg.incarnation < current.incarnation) return { action: 'ignore', why: 'stale' };
    if (msg.incarnation === current.incarnation && !addressChanged && metaEqual(current.meta, msg.meta)) {
      return { action: 'ignore', why: 'own-echo' };
    }
    // Someone claims to be us with other data or a newer incarnation: assert ourselves.
    return { action: 'refute' };
  }
  if (addressChanged && !(isDown(current.state) && now - current.stateChangedAt >= reclaimMs)) {
    return { action: 'ignore', why: 'address-conflict' };
  }
  if (!addressChanged) {
    if (msg.incarnation < current.incarnation) return { action: 'ignore', why: 'stale' };
    // The same news again: normal, as every update is gossiped several times.
    if (msg.incarnation === current.incarnation) return { action: 'ignore', why: 'duplicate' };
  }
  return {
    action: 'update',
    addressChanged,
    metaChanged: !metaEqual(current.meta, msg.meta),
    revived: current.state !== 'alive',
  };
}

export function decideSuspect(current: KnownMember | undefined, msg: Suspect, isSelf: boolean): SuspectDecision {
  if (!current) return { action: 'ignore', why: 'unknown' };
  if (msg.incarnation < current.incarnation) return { action: 'ignore', why: 'stale' };
  if (isSelf) return { action: 'refute' };
  // A suspicion of a newer incarnation means the member refuted the one we
  // hold: it was alive since, so the new suspicion starts its own timer.
  if (current.state === 'suspect') return msg.incarnation === current.incarnation ? { action: 'confirm' } : { action: 'suspect' };
  if (isDown(current.state)) return { action: 'ignore', why: 'already-dead' };
  return { action: 'suspect' };
}

/**
 * `credible`: whether the verdict can be taken as it stands. It cannot when
 * the member that reached it (msg.from) is one we hold dead or do not know
 * (outside the cluster as we see it: typically a member that was cut off,
 * declared everyone on the other side dead, and is now back and gossiping
 * those verdicts), nor when the accused answered us more recently than the
 * verdict can have been reached (Membership.answeredSince). Then it only
 * makes us suspect the accused, who refutes if it is alive, rather than
 * being declared dead by members that never lost it; if it is dead, our
 * own suspicion timer says so.
 */
export function decideDead(current: KnownMember | undefined, msg: Dead, isSelf: boolean, leaving: boolean, credible = true): DeadDecision {
  if (!current) return { action: 'ignore', why: 'unknown' };
  if (msg.incarnation < current.incarnation) return { action: 'ignore', why: 'stale' };
  if (isDown(current.state)) return { action: 'ignore', why: 'already-dead' };
  if (isSelf && !leaving) return { action: 'refute' };
  const left = msg.from === msg.node;
  if (!left && !credible) return { action: 'suspect' };
  return { action: 'dead', state: left ? 'left' : 'dead' };
}
