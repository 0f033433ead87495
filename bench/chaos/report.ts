// bench/chaos's summaries and tables: one row per variant and fault.
import { percentile } from '../stats.js';
import type { EpisodeFigures } from './episode.js';

export interface EpisodeResult {
  fault: string;
  repeat: number;
  victim: string | undefined;
  /** Whether every VIP had one answerer and the client pointed at it before the fault. */
  steadyBefore: boolean;
  faultAt: number;
  healAt: number;
  endAt: number;
  figures: EpisodeFigures;
  /** Longest gap in echo replies from the victim's VIPs, ms, per VIP pinged. */
  outageMs?: Record<string, number>;
  /** Deaths declared during the episode of a member other than the victim, by a member other than the victim (undefined: not reported by the system). */
  falseDeaths?: number;
}

export interface Row {
  variant: string;
  fault: string;
  label: string;
  episodes: number;
  /** Worst VIP's seconds with two or more answerers, max over episodes. */
  doubleWorst: number;
  /** VIP-seconds with two or more answerers, mean per episode. */
  doubleMean: number;
  noneWorst: number;
  noneMean: number;
  /** Heal to settled, ms: p50 and max over episodes; Infinity when an episode never settled. */
  convergedP50: number;
  convergedMax: number;
  /** Client-visible outage, ms, max over episodes and pinged VIPs (only for faults that stop the owner serving). */
  outageMax: number | undefined;
  outageP50: number | undefined;
  outageP99: number | undefined;
  falseDeaths: number | undefined;
  movesMean: number;
  /** Most moves of one VIP in one episode. */
  movesWorst: number;
}

export function summarizeRow(variant: string, fault: string, label: string, eps: readonly EpisodeResult[]): Row {
  const conv = eps.map((e) => e.figures.convergedMs ?? Infinity);
  const outages = eps.flatMap((e) => (e.outageMs ? Object.values(e.outageMs) : []));
  const deaths = eps.map((e) => e.falseDeaths).filter((d): d is number => d !== undefined);
  return {
    variant,
    fault,
    label,
    episodes: eps.length,
    doubleWorst: Math.max(0, ...eps.map((e) => e.figures.doubleWorst)),
    doubleMean: eps.reduce((a, e) => a + e.figures.doubleTotal, 0) / Math.max(1, eps.length),
    noneWorst: Math.max(0, ...eps.map((e) => e.figures.noneWorst)),
    noneMean: eps.reduce((a, e) => a + e.figures.noneTotal, 0) / Math.max(1, eps.length),
    convergedP50: percentile(conv, 50),
    convergedMax: percentile(conv, 100),
    outageMax: outages.length ? Math.max(...outages) : undefined,
    outageP50: outages.length ? percentile(outages, 50) : undefined,
    outageP99: outages.length ? percentile(outages, 99) : undefined,
    falseDeaths: deaths.length ? deaths.reduce((a, b) => a + b, 0) : undefined,
    movesMean: eps.reduce((a, e) => a + e.figures.moves, 0) / Math.max(1, eps.length),
    movesWorst: Math.max(0, ...eps.map((e) => e.figures.movesWorst)),
  };
}

export const HEADERS = [
  'variant',
  'fault',
  'n',
  '2+ answerers: worst VIP s',
  '2+ answerers: VIP-s/episode',
  'no answer: worst VIP s',
  'no answer: VIP-s/episode',
  'heal to settled ms p50/max',
  'client outage ms p50/max',
  'false deaths',
  'moves/episode (worst VIP)',
];

const ms = (v: number): string => (Number.isFinite(v) ? String(Math.round(v)) : 'never');

export function rowCells(r: Row): string[] {
  return [
    r.variant,
    r.label,
    String(r.episodes),
    String(r.doubleWorst),
    r.doubleMean.toFixed(1),
    String(r.noneWorst),
    r.noneMean.toFixed(1),
    `${ms(r.convergedP50)}/${ms(r.convergedMax)}`,
    r.outageMax === undefined ? '-' : `${ms(r.outageP50!)}/${ms(r.outageMax)}`,
    r.falseDeaths === undefined ? '-' : String(r.falseDeaths),
    `${r.movesMean.toFixed(1)} (${r.movesWorst})`,
  ];
}

export function markdownTable(rows: readonly Row[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(HEADERS), line(HEADERS.map(() => '---')), ...rows.map((r) => line(rowCells(r)))].join('\n');
}
