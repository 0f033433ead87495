// A metric published under a second name: MetalLB's (metallb_*), beside
// shoal's own, so that MetalLB's dashboards and alerts work unchanged while
// the value is kept in one place. The twin reads its source at scrape time
// and has the source's type, so rate() and increase() behave the same on
// either name.

import { Counter, Gauge, type Metric, type Registry } from 'prom-client';

export interface TwinOptions {
  /** The twin's labels; default the source's. */
  labelNames?: readonly string[];
  /** Turns a source series' labels into the twin's; default unchanged. */
  labels?: (source: Record<string, string | number>) => Record<string, string | number>;
}

/** Registers `name` on `registry` as a scrape-time copy of `source` (a Counter or Gauge registered elsewhere). */
export function registerTwin(registry: Registry, source: Metric<string>, name: string, opts: TwinOptions = {}): void {
  const help = `${(source as unknown as { help: string }).help} (MetalLB's name for ${(source as unknown as { name: string }).name})`;
  const read = async () => (await source.get()).values;
  const map = opts.labels ?? ((l) => l);
  const labelNames = opts.labelNames ?? ((source as unknown as { labelNames?: string[] }).labelNames ?? []);
  if (source instanceof Counter) {
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect(this: Counter<string>) {
        const values = await read();
        this.reset();
        for (const v of values) this.inc(map(v.labels as Record<string, string | number>), v.value);
      },
    });
  } else if (source instanceof Gauge) {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect(this: Gauge<string>) {
        const values = await read();
        this.reset();
        for (const v of values) this.set(map(v.labels as Record<string, string | number>), v.value);
      },
    });
  } else {
    throw new Error(`registerTwin: ${name} needs a Counter or Gauge source`);
  }
}
