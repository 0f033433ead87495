// A metric family with one series per address (MetalLB's ip-labelled
// metallb_layer2_* counters, metallb_speaker_announced): thousands of series
// on a speaker with thousands of addresses. prom-client keeps each series as
// a label object, hashes it on every inc() and formats every label on every
// scrape; at 10,000 addresses a /metrics scrape held the event loop for
// about 100 ms in one turn (bench/metrics), long enough for the gossip
// probes waiting behind it to time out under load.
//
// Here a series' line up to its value is written once, when the series is
// created, and the family's text is kept until a series changes, so a scrape
// of an unchanged family is a string copy and a changed one a single pass.
// The text is what prom-client writes for the same calls, byte for byte
// (test/util/series-family.test.ts compares them). The family is registered
// on the prom-client Registry like any metric, so registry.metrics(),
// getSingleMetric(...).get() and resetMetrics() keep working; metricsText()
// is the fast scrape that uses the kept text.

import { Registry, type Metric } from 'prom-client';

export type SeriesType = 'counter' | 'gauge';

export interface SeriesFamilyOptions<L extends string> {
  name: string;
  help: string;
  type: SeriesType;
  /** In the order the labels are written (prom-client writes them in the order of the labels object). */
  labelNames: readonly L[];
  registry: Registry;
  /** Called before the family is read (a scrape, get()), to fold in counts kept elsewhere until then. */
  collect?: () => void;
}

interface Series<L extends string> {
  labels: Readonly<Record<L, string>>;
  /** `name{a="x",b="y"} `: the line without its value. */
  head: string;
  value: number;
}

export class SeriesFamily<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type: SeriesType;
  readonly labelNames: readonly L[];
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series<L>>();
  /** The family's text while no series has changed. */
  private kept: string | undefined;
  private readonly collect: (() => void) | undefined;

  constructor(o: SeriesFamilyOptions<L>) {
    if (o.labelNames.length === 0) throw new Error(`SeriesFamily ${o.name}: needs at least one label`);
    this.name = o.name;
    this.help = o.help;
    this.type = o.type;
    this.labelNames = o.labelNames;
    this.collect = o.collect;
    // prom-client's registry takes any object with its metric shape (name, get, reset); this is one.
    o.registry.registerMetric(this as unknown as Metric);
  }

  /** Adds `by` (default 1) to a series, creating it at 0 first. */
  inc(labels: Readonly<Record<L, string>>, by = 1): void {
    if (this.type === 'counter' && !(by >= 0)) throw new Error(`${this.name}: a counter cannot be decreased (inc by ${by})`);
    const s = this.entry(labels);
    s.value += by;
    this.kept = undefined;
  }

  set(labels: Readonly<Record<L, string>>, value: number): void {
    if (this.type !== 'gauge') throw new Error(`${this.name}: set() is for gauges`);
    const s = this.entry(labels);
    if (s.value === value && this.kept !== undefined) return;
    s.value = value;
    this.kept = undefined;
  }

  remove(labels: Readonly<Record<L, string>>): void {
    if (this.series.delete(this.key(labels))) this.kept = undefined;
  }

  reset(): void {
    this.series.clear();
    this.kept = undefined;
  }

  get size(): number {
    return this.series.size;
  }

  /** The family in the Prometheus text format, as prom-client's registry writes one metric (no trailing newline). */
  text(): string {
    this.collect?.();
    if (this.kept === undefined) {
      let out = `# HELP ${this.name} ${escapeText(this.help)}\n# TYPE ${this.name} ${this.type}`;
      for (const s of this.series.values()) out += `\n${s.head}${valueText(s.value)}`;
      this.kept = out;
    }
    return this.kept;
  }

  /** prom-client's metric object, for registry.metrics() and getSingleMetric(...).get(). */
  async get(): Promise<{ name: string; help: string; type: SeriesType; aggregator: string; values: { labels: Record<L, string>; value: number }[] }> {
    this.collect?.();
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: [...this.series.values()].map((s) => ({ labels: { ...s.labels }, value: s.value })),
    };
  }

  private key(labels: Readonly<Record<L, string>>): string {
    const names = this.labelNames;
    if (names.length === 1) return String(labels[names[0]!]);
    let k = '';
    for (const n of names) k += `${labels[n]}\u0000`;
    return k;
  }

  private entry(labels: Readonly<Record<L, string>>): Series<L> {
    const key = this.key(labels);
    let s = this.series.get(key);
    if (!s) {
      for (const n of this.labelNames) if (typeof labels[n] !== 'string') throw new Error(`${this.name}: label ${n} is missing`);
      const own = Object.fromEntries(this.labelNames.map((n) => [n, labels[n]])) as Record<L, string>;
      const written = this.labelNames.map((n) => `${n}="${escapeLabelValue(own[n])}"`).join(',');
      s = { labels: own, head: `${this.name}{${written}} `, value: 0 };
      this.series.set(key, s);
      this.kept = undefined;
    }
    return s;
  }
}

/**
 * The registry's metrics in the Prometheus text format, the same text as
 * registry.metrics(), with every SeriesFamily written from its kept text.
 * Other content types (OpenMetrics) go through prom-client unchanged.
 * shoal sets no default labels on its registries; a family does not add them.
 */
export async function metricsText(registry: Registry): Promise<string> {
  if (registry.contentType !== Registry.PROMETHEUS_CONTENT_TYPE) return registry.metrics();
  const metrics = registry.getMetricsAsArray() as unknown[];
  const parts = await Promise.all(metrics.map((m) => (m instanceof SeriesFamily ? m.text() : registry.getSingleMetricAsString((m as { name: string }).name))));
  return `${parts.join('\n\n')}\n`;
}

// The escapes and number spellings of the text format, as prom-client writes them.
function escapeText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabelValue(s: string): string {
  return escapeText(s).replace(/"/g, '\\"');
}

function valueText(v: number): string {
  if (Number.isNaN(v)) return 'Nan';
  if (!Number.isFinite(v)) return v < 0 ? '-Inf' : '+Inf';
  return `${v}`;
}
