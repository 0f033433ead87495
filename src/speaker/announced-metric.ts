// MetalLB's metallb_speaker_announced{ip,node,protocol,service}: 1 for each
// service address this node announces, per protocol ("layer2", "bgp"). Like
// MetalLB's, it is the desired state: whether the routers or clients have
// taken it up is another matter. Series of what is no longer announced go.

import type { Registry } from 'prom-client';
import { formatIP, parseIP } from '../net/index.js';
import { SeriesFamily } from '../util/series-family.js';
import { namespacedKey } from '../kube/object-key.js';
import type { Reconciled } from './speaker.js';

type Labels = { ip: string; node: string; protocol: 'layer2' | 'bgp'; service: string };

/** The series a reconcile calls for. */
export function announcedSeries(r: Reconciled, node: string): Labels[] {
  const out: Labels[] = [];
  for (const ip of r.announced) {
    for (const service of r.result.decisions.get(ip)?.services ?? []) out.push({ ip, node, protocol: 'layer2', service });
  }
  for (const svc of r.inputs.services) {
    const service = namespacedKey(svc.namespace, svc.name);
    if (!r.bgpServices.has(service)) continue;
    for (const text of svc.ips) {
      const parsed = parseIP(text);
      if (parsed) out.push({ ip: formatIP(parsed), node, protocol: 'bgp', service });
    }
  }
  return out;
}

/**
 * Keeps the gauge equal to the series of the last update. Each reconcile
 * names every series; one already there costs a lookup, not a new map of
 * them all: that map lived from one reconcile to the next and, at 1,000
 * Services arriving, reached V8's old generation (docs/speaker.md, "Memory").
 */
export class AnnouncedMetric {
  // One series per address and service: kept as rendered text so a scrape stays cheap at 10,000 addresses.
  private readonly gauge: SeriesFamily<keyof Labels>;
  /** By protocol, service and address: the series' labels and the update that last named it. */
  private readonly current = new Map<string, { labels: Labels; seen: number }>();
  private updates = 0;

  constructor(registry: Registry) {
    this.gauge = new SeriesFamily({
      name: 'metallb_speaker_announced',
      help: 'Service addresses this node announces, per protocol: desired state, not a sign that routers or clients took it up',
      type: 'gauge',
      labelNames: ['ip', 'node', 'protocol', 'service'],
      registry,
    });
  }

  update(series: readonly Labels[]): void {
    const now = ++this.updates;
    for (const l of series) {
      const key = `${l.protocol} ${l.service} ${l.ip}`;
      const had = this.current.get(key);
      if (had) {
        had.seen = now;
        continue;
      }
      this.current.set(key, { labels: l, seen: now });
      this.gauge.set(l, 1);
    }
    for (const [key, e] of this.current) {
      if (e.seen === now) continue;
      this.gauge.remove(e.labels);
      this.current.delete(key);
    }
  }
}
