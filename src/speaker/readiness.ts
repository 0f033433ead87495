// Delayed failback: when a member says it is ready to take its addresses
// back. A member that comes back (a restart, a healed cut) would otherwise
// take its share of the addresses back the moment the others hear it, and a
// member that flaps drags them back and forth. So each member gossips a
// `ready` flag in its metadata and the election (the ready rule in
// announce/election-eligibility.ts) gives addresses to ready members first.
//
// The flag is false from the start, and again whenever the layer-2 guard
// holds this member because it was cut off from the others (every other
// member lost at once, or a link back from an outage during which members
// were lost: view-freshness.ts): the others have then most likely lost it
// too and moved its addresses. A link that came back before anyone was
// lost leaves the flag alone: the others never noticed, and turning it
// false would move addresses away for nothing. The flag turns true once the
// view has been fresh (the hold over) for the warm-up (failbackDelayMs)
// without a new cut. A warm-up of 0 turns the rule off: the member is ready
// from the start and stays so (the behaviour before the flag).
//
// Pure: (state, event, now) -> state and when to wake. warm-up.ts drives it.

import type { Meta } from '../cluster/messages.js';
import type { Hold } from './view-freshness.js';

/** The metadata key of the flag. Absent (a member from before it existed) means ready. */
export const READY_META_KEY = 'ready';

/** Default warm-up, ms. */
export const DEFAULT_FAILBACK_DELAY_MS = 10_000;

/** The longest warm-up accepted, ms: an hour; longer is a mistake, not a policy. */
export const MAX_FAILBACK_DELAY_MS = 3_600_000;

/** What a member's metadata says of its readiness: only "0" means not ready. */
export function readyFromMeta(meta: Meta | undefined): boolean {
  return meta?.[READY_META_KEY] !== '0';
}

/** `meta` with the flag set to `ready`. */
export function withReady(meta: Meta, ready: boolean): Meta {
  return { ...meta, [READY_META_KEY]: ready ? '1' : '0' };
}

/** The election's view of gossip members: name, state and the flag from the metadata. */
export function withReadiness<M extends { readonly name: string; readonly state: S; readonly meta: Meta }, S>(members: readonly M[]): { name: string; state: S; ready: boolean }[] {
  return members.map((m) => ({ name: m.name, state: m.state, ready: readyFromMeta(m.meta) }));
}

export interface WarmUpState {
  readonly ready: boolean;
  /** When the view became fresh, while warming up with a fresh view; undefined while stale. */
  readonly freshSince: number | undefined;
  readonly delayMs: number;
}

export type WarmUpEvent =
  /** The layer-2 guard holds: this member's view cannot be trusted. */
  | { readonly type: 'stale' }
  /** The guard released (or never held): the view is fresh. */
  | { readonly type: 'fresh' }
  /** A wake time has come. */
  | { readonly type: 'tick' };

/** What the layer-2 guard's hold (undefined: none) means for the warm-up; undefined: nothing. */
export function warmUpEvent(hold: Hold | undefined): WarmUpEvent | undefined {
  if (!hold) return { type: 'fresh' };
  if (hold.cause === 'start-up' || hold.awaiting.size > 0) return { type: 'stale' };
  return undefined;
}

export interface WarmUpStep {
  readonly state: WarmUpState;
  /** When to send the next 'tick'; undefined: no timer needed. */
  readonly wakeAt: number | undefined;
}

export function initialWarmUp(delayMs: number = DEFAULT_FAILBACK_DELAY_MS): WarmUpState {
  if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > MAX_FAILBACK_DELAY_MS) {
    throw new RangeError(`the failback delay must be an integer from 0 to ${MAX_FAILBACK_DELAY_MS} ms, got ${delayMs}`);
  }
  return { ready: delayMs === 0, freshSince: undefined, delayMs };
}

export function stepWarmUp(state: WarmUpState, event: WarmUpEvent, now: number): WarmUpStep {
  if (state.delayMs === 0) return { state, wakeAt: undefined };
  switch (event.type) {
    case 'stale':
      return { state: { ...state, ready: false, freshSince: undefined }, wakeAt: undefined };
    case 'fresh': {
      if (state.ready) return { state, wakeAt: undefined };
      // A second 'fresh' without a 'stale' between keeps the first start.
      const since = state.freshSince ?? now;
      return settle({ ...state, freshSince: since }, now);
    }
    case 'tick':
      return settle(state, now);
  }
}

function settle(state: WarmUpState, now: number): WarmUpStep {
  if (state.ready || state.freshSince === undefined) return { state, wakeAt: undefined };
  const at = state.freshSince + state.delayMs;
  if (now >= at) return { state: { ...state, ready: true, freshSince: undefined }, wakeAt: undefined };
  return { state, wakeAt: at };
}
