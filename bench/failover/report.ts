// Summaries and tables of bench/failover's trials.
import { percentile } from '../stats.js';
import type { Death, FailureMode, TrialResult } from './trial.js';

export interface Summary {
  trials: number;
  /** Trials where the client was served again within the limit. */
  recovered: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  failedRequestsP50: number;
}

/** Outage percentiles (nearest rank); a trial without recovery counts as an infinite outage. */
export function summarize(trials: readonly TrialResult[]): Summary {
  const ms = trials.map((t) => t.outage?.ms ?? Infinity);
  return {
    trials: trials.length,
    recovered: trials.filter((t) => t.outage).length,
    p50: percentile(ms, 50),
    p95: percentile(ms, 95),
    p99: percentile(ms, 99),
    max: percentile(ms, 100),
    failedRequestsP50: percentile(
      trials.flatMap((t) => (t.outage ? [t.outage.failed] : [])),
      50,
    ),
  };
}

/** Each step's time after the outage started (the last answered request), per trial; undefined where the step was not seen. */
export function relativeSteps(t: TrialResult): Record<string, number | undefined> {
  const o = t.outage;
  const tl = t.timeline;
  const rel = (v: number | undefined): number | undefined => (o && v !== undefined ? v - o.lastOkBefore : undefined);
  return {
    suspect: rel(tl?.suspect),
    dead: rel(tl?.dead),
    allKnow: rel(tl?.allKnow),
    elected: rel(tl?.elected),
    garpLogged: rel(tl?.garpLogged),
    garpSeen: rel(tl?.garpSeen),
    answered: o?.ms,
  };
}

const STEPS = ['suspect', 'dead', 'allKnow', 'elected', 'garpLogged', 'garpSeen', 'answered'] as const;

export function breakdownRows(trials: readonly TrialResult[], modes: readonly FailureMode[]): string[][] {
  return modes.map((m) => {
    const steps = trials.filter((t) => t.mode === m).map(relativeSteps);
    return [
      m,
      ...STEPS.map((k) => {
        const v = steps.map((s) => s[k]).filter((x): x is number => x !== undefined);
        if (v.length === 0) return '-';
        const missing = steps.length - v.length;
        return `${Math.round(percentile(v, 50))} / ${Math.round(percentile(v, 95))}${missing ? ` (${missing} unseen)` : ''}`;
      }),
    ];
  });
}

/**
 * Deaths that no trial explains: a death is expected when it is about the
 * victim of a trial, or (link cut) declared by the isolated victim about the
 * others, between the failure and the system settling again.
 */
export function falseDeaths(deaths: readonly Death[], trials: readonly TrialResult[]): Death[] {
  return deaths.filter(
    (d) => !trials.some((t) => d.at >= t.failedAt && d.at <= t.settledAgainAt && (d.member === t.victim || (t.mode === 'cut' && d.observer === t.victim))),
  );
}

export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(headers), line(w.map((x) => '-'.repeat(x))), ...rows.map(line)].join('\n');
}
