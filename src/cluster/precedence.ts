// The precedence rules of membership updates, as pure decisions. They follow
// memberlist (and SWIM section 4.2): a higher incarnation always wins; at
// equal incarnation suspect beats alive and dead beats both; news about
// ourselves that would mark us suspect or dead is refuted by raising our
// incarnation. Stale news (older incarnation) changes nothing.
//
// Departures, each because the network is untrusted (docs/gossip.md):
// - A death verdict reached by a member we do not count as live ourselves
//   only makes us suspect the accused (decideDead).
// - Who may say what: accusations need a messenger we count as live (a
//   trusted one), not a stranger. A leave comes from the member itself or is
//   passed on by a member; a name moves to a new address only once its old
//   address has been dead or left for a while, and not on a stranger's word.
// - Incarnations cannot be pushed off the end of their 32-bit range:
//   second-hand news may raise a known member's incarnation by at most
//   `maxJump`, and at the very top, where the member can no longer outbid
//   anything, its own first-hand word decides.
import { MAX_U32 } from './codec.js';
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

/** What the receiver knows about the news and where it came from. */
export interface NewsContext {
  /** The news is about ourselves. */
  readonly isSelf: boolean;
  /** The subject itself told us, from the address we know it at (or that it claims). */
  readonly firstHand: boolean;
  /** Our own conclusion, or passed on by a member we count as live; not a stranger's word. */
  readonly trusted: boolean;
  /** Part of a peer's whole state (push-pull), not a datagram. */
  readonly stream: boolean;
  /** Protocol clock. */
  readonly now: number;
}

export interface PrecedenceRules {
  /** Largest rise of a known member's incarnation that news not first-hand may bring. */
  readonly maxJump: number;
  /** A dead or left member's name may be taken by a new address after this long. */
  readonly reclaimMs: number;
}

export type AliveDecision =
  | { action: 'add' }
  | { action: 'update'; addressChanged: boolean; metaChanged: boolean; revived: boolean }
  | { action: 'refute'; why: 'newer' | 'other-data' | 'other-address' }
  | { action: 'ignore'; why: 'stale' | 'duplicate' | 'own-echo' | 'address-conflict' | 'stranger' | 'implausible' };

export type SuspectDecision =
  | { action: 'suspect' }
  | { action: 'confirm' }
  | { action: 'refute' }
  | { action: 'ignore'; why: 'unknown' | 'stale' | 'already-dead' | 'stranger' | 'implausible' };

export type DeadDecision =
  | { action: 'dead'; state: 'dead' | 'left' }
  | { action: 'suspect' }
  | { action: 'refute' }
  | { action: 'ignore'; why: 'unknown' | 'stale' | 'already-dead' | 'stranger' | 'implausible' };

export function metaEqual(a: Meta, b: Meta): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a[k] === b[k]);
}

const isDown = (s: MemberState): boolean => s === 'dead' || s === 'left';

/**
 * A rise no honest member makes between two pieces of news we hear. About
 * ourselves, news far above our own incarnation is believable only as part
 * of a peer's whole state: after a restart we learn our previous life's
 * incarnation that way (a seed's view, a reconnect). A lone datagram
 * claiming it was refused by every member in step with us, so we need not
 * jump to the top of the range to answer it.
 */
function implausible(current: KnownMember, incarnation: number, ctx: NewsContext, rules: PrecedenceRules): boolean {
  if (ctx.isSelf) return !ctx.stream && incarnation - current.incarnation > rules.maxJump;
  return !ctx.firstHand && incarnation - current.incarnation > rules.maxJump;
}

export function decideAlive(current: KnownMember | undefined, msg: Alive, ctx: NewsContext, rules: PrecedenceRules): AliveDecision {
  // New names may come from anyone (members that joined a moment ago are
  // strangers to some of us); how many is limited by the caller.
  if (!current) return { action: 'add' };
  const addressChanged = current.host !== msg.host || current.port !== msg.port;
  const metaChanged = !metaEqual(current.meta, msg.meta);
  if (ctx.isSelf) {
    // Our name at another address is someone else (or our previous life):
    // whatever its incarnation, say where we are, unless only a stranger
    // says it (no member would take a stranger's word on an address).
    if (addressChanged) return ctx.trusted || ctx.firstHand ? { action: 'refute', why: 'other-address' } : { action: 'ignore', why: 'stranger' };
    if (msg.incarnation < current.incarnation) return { action: 'ignore', why: 'stale' };
    if (implausible(current, msg.incarnation, ctx, rules)) return { action: 'ignore', why: 'implausible' };
    if (msg.incarnation > current.incarnation) return { action: 'refute', why: 'newer' };
    return metaChanged ? { action: 'refute', why: 'other-data' } : { action: 'ignore', why: 'own-echo' };
  }
  if (addressChanged) {
    // The old address must be proven gone (dead or left, for long enough for
    // a live member there to hear of it and refute), and the new one must be
    // the member's own word or a member's.
    if (!(isDown(current.state) && ctx.now - current.stateChangedAt >= rules.reclaimMs)) return { action: 'ignore', why: 'address-conflict' };
    if (!ctx.trusted && !ctx.firstHand) return { action: 'ignore', why: 'stranger' };
  } else {
    if (msg.incarnation < current.incarnation) return { action: 'ignore', why: 'stale' };
    if (msg.incarnation === current.incarnation) {
      // At the top of the range the member cannot outbid anyone: its own
      // word, first-hand, settles its state and data at equal incarnation.
      const atTop = msg.incarnation === MAX_U32 && ctx.firstHand && (current.state !== 'alive' || metaChanged);
      // Otherwise the same news again: normal, every update is gossiped several times.
      if (!atTop) return { action: 'ignore', why: 'duplicate' };
    }
  }
  if (implausible(current, msg.incarnation, ctx, rules)) return { action: 'ignore', why: 'implausible' };
  return { action: 'update', addressChanged, metaChanged, revived: current.state !== 'alive' };
}

export function decideSuspect(current: KnownMember | undefined, msg: Suspect, ctx: NewsContext, rules: PrecedenceRules): SuspectDecision {
  if (!current) return { action: 'ignore', why: 'unknown' };
  if (msg.incarnation < current.incarnation) return { action: 'ignore', why: 'stale' };
  if (!ctx.trusted) return { action: 'ignore', why: 'stranger' };
  if (implausible(current, msg.incarnation, ctx, rules)) return { action: 'ignore', why: 'implausible' };
  // About ourselves: only we can answer it.
  if (ctx.isSelf) return { action: 'refute' };
  // A suspicion of a newer incarnation means the member refuted the one we
  // hold: it was alive since, so the new suspicion starts its own timer.
  if (current.state === 'suspect') return msg.incarnation === current.incarnation ? { action: 'confirm' } : { action: 'suspect' };
  if (isDown(current.state)) return { action: 'ignore', why: 'already-dead' };
  return { action: 'suspect' };
}

export interface DeadContext extends NewsContext {
  /** We are leaving ourselves: our own leave echoed back is not refuted. */
  readonly leaving: boolean;
  /**
   * Whether a death verdict can be taken as it stands. It cannot when the
   * member that reached it (msg.from) is one we hold dead or do not know
   * (outside the cluster as we see it: typically a member that was cut off,
   * declared everyone on the other side dead, and is now back and gossiping
   * those verdicts), nor when the accused answered us more recently than the
   * verdict can have been reached (Membership.answeredSince). Then it only
   * makes us suspect the accused, who refutes if it is alive, rather than
   * being declared dead by members that never lost it; if it is dead, our
   * own suspicion timer says so.
   */
  readonly credible: boolean;
}

export function decideDead(current: KnownMember | undefined, msg: Dead, ctx: DeadContext, rules: PrecedenceRules): DeadDecision {
  if (!current) return { action: 'ignore', why: 'unknown' };
  if (msg.incarnation < current.incarnation) return { action: 'ignore', why: 'stale' };
  const left = msg.from === msg.node;
  // Only a member announces its own leave: from its own address, or passed
  // on by a member. Anyone else's verdict needs a trusted messenger too.
  if (!ctx.trusted && !(left && ctx.firstHand)) return { action: 'ignore', why: 'stranger' };
  if (implausible(current, msg.incarnation, ctx, rules)) return { action: 'ignore', why: 'implausible' };
  if (ctx.isSelf && !ctx.leaving) return { action: 'refute' };
  if (isDown(current.state)) return { action: 'ignore', why: 'already-dead' };
  if (!left && !ctx.credible) return { action: 'suspect' };
  return { action: 'dead', state: left ? 'left' : 'dead' };
}
