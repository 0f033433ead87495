// The gossip timings bench/failover runs shoal with, and the simulator
// evidence for the tight ones: bench/gossip's false-death scenario (100
// members, 5% loss, 10 simulated minutes) over candidates that shorten the
// default `fast` profile, plus the same scenario at the lab's own size.
//
// The candidates scale fast's clocks (probe interval, probe timeout, gossip
// interval) together by `scale`, and set the suspicion multiplier apart:
// in a small cluster (the lab has 3 members, so Lifeguard expects no
// confirmations) the suspicion timeout is just suspicionMult x probe
// interval, the largest single step of the failover path.
import { fastProfile, type TimingProfile } from '../../src/cluster/options.js';
import { measureDetection, measureFalseDeaths, type DetectionResult, type FalseDeathResult } from '../gossip/scenarios.js';

/** The file-mode `gossip.timing` overrides a candidate stands for. */
export type TimingOverrides = Partial<Pick<TimingProfile, 'probeIntervalMs' | 'probeTimeoutMs' | 'gossipIntervalMs' | 'suspicionMult'>>;

export interface Candidate {
  /** Short label: "x0.5 m1" is fast's clocks halved with suspicionMult 1. */
  readonly label: string;
  readonly overrides: TimingOverrides;
}

export function candidate(scale: number, suspicionMult: number): Candidate {
  const overrides: TimingOverrides = {
    probeIntervalMs: Math.round(fastProfile.probeIntervalMs * scale),
    probeTimeoutMs: Math.round(fastProfile.probeTimeoutMs * scale),
    gossipIntervalMs: Math.round(fastProfile.gossipIntervalMs * scale),
    suspicionMult,
  };
  return { label: `x${scale} m${suspicionMult}`, overrides };
}

export function profileOf(c: Candidate): TimingProfile {
  return { ...fastProfile, ...c.overrides, name: `fast ${c.label}` };
}

/** The search grid, loosest first (`npm run bench:failover -- --search-gossip`). */
export const SEARCH_GRID: readonly Candidate[] = [1, 0.75, 0.5, 0.3, 0.2, 0.1].flatMap((s) => [2, 1.5, 1].map((m) => candidate(s, m)));

/**
 * Where bench/failover looks for its "tight" settings, tightest first: fast's
 * clocks scaled down with suspicionMult 1. The simulator has no CPU, so
 * protocol time scales with the clocks and every step keeps zero false
 * deaths at 5% loss (docs/failover.md has the whole grid): it cannot say
 * where to stop. The host can. The run takes the first step that has zero
 * false deaths in the simulator (n = 100, bench/gossip's scenario, and the
 * lab's n = 3) and no healthy member even suspected while the lab idles with
 * those settings; at n = 3 the suspicion timeout is a single
 * suspicionMult x probe interval, so a suspicion there is one scheduling
 * delay away from a false death.
 */
export const TIGHT_LADDER: readonly Candidate[] = [0.1, 0.2, 0.3, 0.5, 0.75, 1].map((s) => candidate(s, 1));

/** Zero false deaths at 5% loss in the simulator, at n = 100 and at the lab's size. */
export function simulatorClean(e: CandidateEvidence): boolean {
  return e.loss5.healthyFalseDeaths === 0 && e.loss5Small.healthyFalseDeaths === 0;
}

export interface CandidateEvidence {
  label: string;
  overrides: TimingOverrides;
  /** bench/gossip's scenario: 100 members, 5% loss. */
  loss5: FalseDeathResult;
  /** The same at the lab's cluster size. */
  loss5Small: FalseDeathResult;
  /** Detection in the simulator at the lab's size (dead known to all). */
  detectionSmall: DetectionResult;
}

export interface EvidenceOptions {
  minutes: number;
  smallSize: number;
  detectionTrials: number;
}

/** Runs the simulator scenarios for one candidate (or the default `fast`, when overrides are empty). */
export async function evidence(c: Candidate, o: EvidenceOptions): Promise<CandidateEvidence> {
  const config = { profile: profileOf(c), lifeguard: true };
  // Seeds as bench/gossip uses them, so the fast row matches its table.
  const loss5 = await measureFalseDeaths(config, 100, o.minutes, 'loss5', 3000);
  const loss5Small = await measureFalseDeaths(config, o.smallSize, o.minutes, 'loss5', 3000 + o.smallSize);
  const detectionSmall = await measureDetection(config, o.smallSize, o.detectionTrials, 1000 + o.smallSize);
  return { label: c.label, overrides: c.overrides, loss5, loss5Small, detectionSmall };
}

export const FAST: Candidate = { label: 'fast', overrides: {} };
