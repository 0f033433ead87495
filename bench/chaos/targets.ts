// The split-brain issue's targets, checked against one variant's rows.
// Pure: rows in, one verdict per target out. A target whose faults were not
// run (a --quick or --faults subset) is "not run", never "met".
import type { Row } from './report.js';

export interface TargetVerdict {
  target: string;
  measured: string;
  verdict: 'met' | 'not met' | 'not run';
}

const ms = (v: number | undefined): string => (v === undefined ? '-' : Number.isFinite(v) ? `${Math.round(v)} ms` : 'never');

function check(target: string, rows: readonly Row[], faults: readonly string[], measure: (r: Row) => string, ok: (r: Row) => boolean): TargetVerdict {
  const mine = rows.filter((r) => faults.includes(r.fault));
  if (mine.length === 0) return { target, measured: '-', verdict: 'not run' };
  return { target, measured: mine.map((r) => `${r.fault}: ${measure(r)}`).join('; '), verdict: mine.every(ok) ? 'met' : 'not met' };
}

export function checkTargets(rows: readonly Row[]): TargetVerdict[] {
  return [
    check('owner partitioned 10 s: at most 1 s with two answerers per VIP', rows, ['partition'], (r) => `${r.doubleWorst} s`, (r) => r.doubleWorst <= 1),
    check(
      'gossip blocked, one-way loss, 2 s stall: at most 1 s with two answerers, no second without one',
      rows,
      ['gossip-block', 'one-way', 'stop'],
      (r) => `${r.doubleWorst} s two, ${r.noneWorst} s none`,
      (r) => r.doubleWorst <= 1 && r.noneWorst === 0,
    ),
    check(
      'after any heal: one answerer and the client pointed at it within 1 s',
      rows,
      rows.map((r) => r.fault),
      (r) => ms(r.convergedMax),
      (r) => r.convergedMax <= 1000,
    ),
    check('kill and link cut: client outage p99 under 0.5 s', rows, ['kill', 'link'], (r) => ms(r.outageP99), (r) => r.outageP99 !== undefined && r.outageP99 < 500),
    check('10% loss: zero false deaths', rows, ['loss'], (r) => String(r.falseDeaths ?? '-'), (r) => r.falseDeaths === 0),
    check('flapping node: at most 2 ownership moves per flap window', rows, ['flap'], (r) => `${r.movesWorst} (worst VIP)`, (r) => r.movesWorst <= 2),
  ];
}
