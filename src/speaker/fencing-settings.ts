// The split-brain settings, the same in both modes: the `fencing:` section
// of a speaker file and the --conflict-resolution, --reassert-interval,
// --heal-burst, --quorum and --failback-delay flags in Kubernetes mode.
// docs/speaker.md, docs/election.md and docs/failover.md say what each does.

import { cycleBoundMs, DEFAULT_REASSERT_MAX_PER_SECOND } from '../announce/l2/periodic-reassert.js';
import { DEFAULT_FAILBACK_DELAY_MS } from './readiness.js';

export interface FencingSettings {
  /** Settle conflicts between members by the fencing rule; false: detect and report only. */
  readonly resolve: boolean;
  /** Mean interval of the periodic re-assertion of every announced address; 0: off. */
  readonly reassertMs: number;
  /** Rounds (ms after a partition heals) of the gratuitous burst for the addresses held; []: off. */
  readonly healBurstMs: readonly number[];
  /** Take over no address while fewer than a majority of the last known membership is alive (quorum.ts). */
  readonly quorum: boolean;
  /** Warm-up before a returning member says it is ready to take its addresses back; 0: at once (readiness.ts). */
  readonly failbackDelayMs: number;
}

export const DEFAULT_FENCING: FencingSettings = { resolve: true, reassertMs: 3000, healBurstMs: [0, 500, 2000], quorum: false, failbackDelayMs: DEFAULT_FAILBACK_DELAY_MS };

/** Largest delay a millisecond setting accepts: ten minutes. */
export const MAX_SETTING_MS = 600_000;

/** Without periodic re-assertion, a winner is heard only in its bursts: the yield still lapses after this. */
const YIELD_WITHOUT_REASSERT_MS = 10_000;

/**
 * How long a yield outlives the winner's last claim seen: three of the
 * winner's re-assertion cycles (at the jitter's longest), so one or two lost
 * frames do not end it, plus a second of slack. With re-assertion off, 10 s.
 */
export function yieldWindowMs(reassertMs: number): number {
  if (reassertMs <= 0) return YIELD_WITHOUT_REASSERT_MS;
  return 3 * cycleBoundMs(reassertMs, 0, DEFAULT_REASSERT_MAX_PER_SECOND) + 1000;
}

/** A list of delays as a flag gives it: "0,500,2000", or "" / "off" for none. Throws naming the flag. */
export function parseDelayList(flag: string, text: string): number[] {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'off') return [];
  const out = trimmed.split(',').map((part) => {
    const v = Number(part.trim());
    if (part.trim() === '' || !Number.isInteger(v) || v < 0 || v > MAX_SETTING_MS) throw new Error(`${flag} ${text}: "${part}" is not a delay in ms (0-${MAX_SETTING_MS})`);
    return v;
  });
  out.forEach((v, i) => {
    if (i > 0 && v < out[i - 1]!) throw new Error(`${flag} ${text}: ${v} comes before the previous delay (${out[i - 1]})`);
  });
  return out;
}

/** A number of ms as a flag gives it, 0 allowed. */
export function parseMsFlag(flag: string, text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isInteger(v) || v < 0 || v > MAX_SETTING_MS) throw new Error(`${flag} ${text}: expected milliseconds 0-${MAX_SETTING_MS} (0 turns it off)`);
  return v;
}

/** on|off as a flag gives it. */
export function parseOnOff(flag: string, text: string): boolean {
  if (text === 'on') return true;
  if (text === 'off') return false;
  throw new Error(`${flag} ${text}: expected on or off`);
}
