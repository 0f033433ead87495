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

export class AnnouncedMetric {
  // One series per address and service: kept as rendered text so a scrape stays cheap at 10,000 addresses.
  private readonly gauge: SeriesFamily<keyof Labels>;
  private current = new Map<string, Labels>();

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
    const next = new Map(series.map((l) => [`${l.protocol} ${l.service} ${l.ip}`, l]));
    for (const [k, l] of this.current) if (!next.has(k)) this.gauge.remove(l);
    for (const l of next.values()) this.gauge.set(l, 1);
    this.current = next;
  }
}
