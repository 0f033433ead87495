// When may this member trust its own view of the cluster enough to claim
// addresses in layer 2? Pure decisions: (state, event, observation) ->
// (state, actions). Layer2Guard (layer2-guard.ts) feeds them membership,
// link and join events and carries the actions out.
//
// A member that sees fewer members than there are elects itself for
// addresses whose owners still announce them, and its gratuitous ARP pulls
// their clients away. That happens when its view is stale:
//  - at start-up, before it has joined (it sees only itself);
//  - after it was cut off. It is cut off while an interface layer 2 can
//    announce on has stopped carrying (down, carrier lost, gone), and when
//    it has lost every other member together: none is live any more and at
//    least MIN_LOST_TOGETHER of them went suspect, dead or left within the
//    lone-node timeout. With a single peer a lost peer is the ordinary
//    failover, which must not wait.
// While its view is stale the member is held: it announces only addresses
// it announced before the cut began (`kept`; nothing at start-up) that it
// still owns, and claims nothing new. After a link outage the returning link announces
// nothing at all until the hold ends (hold-link). The view is fresh again,
// and the hold ends, once another member has been heard since the hold
// began (a join answered, or a member came back) and every member lost
// since the cut began is alive again; or, failing that, when the lone-node
// timeout has passed since the hold began (the member may really be alone).

import type { MemberState } from '../cluster/messages.js';

/** How long a held member waits for the others before it announces on its own view. */
export const LONE_NODE_TIMEOUT_MS = 10_000;

/** Members lost together that make a member alone by its own account (see the header). */
export const MIN_LOST_TOGETHER = 2;

export type HoldCause = 'start-up' | 'link-return' | 'alone';

export interface Hold {
  /** What started the hold; the latest cause when several overlap. */
  readonly cause: HoldCause;
  readonly since: number;
  /** The hold ends at this time whatever was heard. */
  readonly deadline: number;
  /** The only addresses announced while held: what was announced when the member was cut off. */
  readonly kept: ReadonlySet<string>;
  /** Members lost since the cut began that have not been heard alive again. */
  readonly awaiting: ReadonlySet<string>;
  /** Another member was heard since the hold (re)started. */
  readonly heard: boolean;
  /** Grows with every (re)start: answers to joins started before do not count. */
  readonly epoch: number;
}

/** When something was lost (a link, a member), and what was announced just before. */
interface Loss {
  readonly at: number;
  readonly announced: ReadonlySet<string>;
}

export interface FreshnessState {
  readonly hold: Hold | undefined;
  /** Links that stopped carrying and have not come back. */
  readonly outages: ReadonlyMap<string, Loss>;
  /** Members that went suspect, dead or left (the latest of these), until they are alive again. */
  readonly lost: ReadonlyMap<string, Loss>;
  /** Whether any seed other than this member was configured. */
  readonly seeds: boolean;
  readonly epoch: number;
  readonly timeoutMs: number;
}

export function initialFreshness(timeoutMs = LONE_NODE_TIMEOUT_MS): FreshnessState {
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) throw new RangeError(`the lone-node timeout must be a positive number of ms, got ${timeoutMs}`);
  return { hold: undefined, outages: new Map(), lost: new Map(), seeds: false, epoch: 0, timeoutMs };
}

/** What the driver sees when an event arrives. */
export interface Observation {
  readonly now: number;
  /** What layer 2 announces now. */
  readonly announced: ReadonlySet<string>;
  /** Other members alive or suspect. */
  readonly liveOthers: number;
  /** Other members in any state. */
  readonly knownOthers: number;
}

export type FreshnessEvent =
  /** The member starts; `seeds`: some seed other than itself is configured. */
  | { readonly type: 'start'; readonly seeds: boolean }
  /** A join started by a 'rejoin' action got an answer. */
  | { readonly type: 'answered'; readonly epoch: number }
  /** Another member's state changed: alive (joined, back, refuted, updated), lost (suspect, dead, left) or gone (forgotten). */
  | { readonly type: 'member'; readonly name: string; readonly state: 'alive' | 'lost' | 'gone' }
  /** An interface layer 2 can announce on started or stopped carrying. */
  | { readonly type: 'link'; readonly name: string; readonly carrying: boolean }
  /** A 'wake' time has come. */
  | { readonly type: 'tick' };

export type FreshnessAction =
  /** Restrict layer 2 to hold.kept (a new or changed hold). */
  | { readonly type: 'hold'; readonly hold: Hold }
  /** Announce nothing on this returning link until the release. */
  | { readonly type: 'hold-link'; readonly name: string }
  /** Join through the seeds, as at start-up; report an answer as 'answered' with this epoch. */
  | { readonly type: 'rejoin'; readonly epoch: number }
  /** The view is fresh (or the wait is over): lift the restriction and release held links. */
  | { readonly type: 'release'; readonly hold: Hold; readonly reason: 'heard' | 'timeout' }
  /** Send a 'tick' at this time. */
  | { readonly type: 'wake'; readonly at: number };

export interface Step {
  readonly state: FreshnessState;
  readonly actions: readonly FreshnessAction[];
}

/** Maps a gossip member state to the event's view of it. */
export function memberCondition(state: MemberState): 'alive' | 'lost' {
  return state === 'alive' ? 'alive' : 'lost';
}

export function stepFreshness(state: FreshnessState, event: FreshnessEvent, obs: Observation): Step {
  switch (event.type) {
    case 'start':
      if (!event.seeds) return { state: { ...state, seeds: false }, actions: [] };
      return begin({ ...state, seeds: true }, 'start-up', new Set(), new Set(), obs);
    case 'answered':
      if (!state.hold || state.hold.epoch !== event.epoch) return { state, actions: [] };
      return settle({ ...state, hold: { ...state.hold, heard: true } }, obs);
    case 'member':
      return memberChanged(state, event.name, event.state, obs);
    case 'link':
      return event.carrying ? linkBack(state, event.name, obs) : linkGone(state, event.name, obs);
    case 'tick':
      return settle(state, obs);
  }
}

/** Starts a hold, or folds a new cause into the one running: the stricter of both. */
function begin(state: FreshnessState, cause: HoldCause, kept: ReadonlySet<string>, awaiting: ReadonlySet<string>, obs: Observation): Step {
  const prev = state.hold;
  const epoch = state.epoch + 1;
  const hold: Hold = {
    cause,
    since: prev?.since ?? obs.now,
    deadline: Math.max(prev?.deadline ?? 0, obs.now + state.timeoutMs),
    kept: prev ? new Set([...prev.kept].filter((ip) => kept.has(ip))) : kept,
    awaiting: new Set([...(prev?.awaiting ?? []), ...awaiting]),
    // Whatever was heard before this cause is older than the news it brings.
    heard: false,
    epoch,
  };
  const actions: FreshnessAction[] = [{ type: 'hold', hold }];
  // Joining is how a member hears from the others at once; one that lost
  // everyone is already retrying its seeds (Cluster's reconnect).
  if (cause !== 'alone') actions.push({ type: 'rejoin', epoch });
  actions.push({ type: 'wake', at: hold.deadline });
  return { state: { ...state, hold, epoch }, actions };
}

function settle(state: FreshnessState, obs: Observation): Step {
  const hold = state.hold;
  if (!hold) return { state, actions: [] };
  const reason = obs.now >= hold.deadline ? 'timeout' : hold.heard && hold.awaiting.size === 0 ? 'heard' : undefined;
  if (!reason) return { state, actions: [] };
  return { state: { ...state, hold: undefined }, actions: [{ type: 'release', hold, reason }] };
}

function memberChanged(state: FreshnessState, name: string, condition: 'alive' | 'lost' | 'gone', obs: Observation): Step {
  const lost = new Map(state.lost);
  const hold = state.hold;
  if (condition !== 'lost') {
    lost.delete(name);
    if (!hold) return { state: { ...state, lost }, actions: [] };
    const awaiting = new Set(hold.awaiting);
    awaiting.delete(name);
    return settle({ ...state, lost, hold: { ...hold, awaiting, heard: hold.heard || condition === 'alive' } }, obs);
  }
  // The event comes before the speaker acts on the loss: what it announces
  // now is what it announced before.
  lost.set(name, { at: obs.now, announced: obs.announced });
  let next: FreshnessState = { ...state, lost };
  // At start-up the view comes from the others; losses then are ordinary.
  if (hold && hold.cause !== 'start-up') next = { ...next, hold: { ...hold, awaiting: new Set([...hold.awaiting, name]) } };
  if (obs.liveOthers > 0) return { state: next, actions: [] };
  const together = [...lost].filter(([, loss]) => loss.at >= obs.now - state.timeoutMs);
  if (together.length < MIN_LOST_TOGETHER) return { state: next, actions: [] };
  // The cut began with the first of them: what it took over since (the
  // first ones' addresses, as an ordinary failover) is not kept either.
  const first = together.reduce((a, b) => (b[1].at < a[1].at ? b : a));
  return begin(next, 'alone', first[1].announced, new Set(together.map(([member]) => member)), obs);
}

function linkGone(state: FreshnessState, name: string, obs: Observation): Step {
  // A link that goes again before it came back keeps its first outage.
  if (state.outages.has(name)) return { state, actions: [] };
  const outages = new Map(state.outages).set(name, { at: obs.now, announced: obs.announced });
  return { state: { ...state, outages }, actions: [] };
}

function linkBack(state: FreshnessState, name: string, obs: Observation): Step {
  const outage = state.outages.get(name);
  // A link never seen carrying is new, not back from an outage.
  if (!outage) return { state, actions: [] };
  const outages = new Map(state.outages);
  outages.delete(name);
  const next = { ...state, outages };
  // Alone by configuration: there is nobody to hear from.
  if (!state.seeds && obs.knownOthers === 0) return { state: next, actions: [] };
  const awaiting = new Set([...state.lost].filter(([, loss]) => loss.at >= outage.at).map(([member]) => member));
  const step = begin(next, 'link-return', outage.announced, awaiting, obs);
  return { state: step.state, actions: [{ type: 'hold-link', name }, ...step.actions] };
}
