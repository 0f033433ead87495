// Prometheus metrics of a gossip member, read from its counters at scrape
// time so the protocol itself pays nothing for them.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Cluster } from './cluster.js';
import { dropReasons, type ClusterCounters } from './counters.js';

type CounterKey = Exclude<keyof ClusterCounters, 'dropped'>;

const counterHelp: ReadonlyArray<[CounterKey, string, string]> = [
  ['packetsSent', 'shoal_gossip_packets_sent_total', 'Gossip UDP packets sent.'],
  ['bytesSent', 'shoal_gossip_bytes_sent_total', 'Gossip UDP bytes sent (payload, sealed size).'],
  ['packetsReceived', 'shoal_gossip_packets_received_total', 'Gossip UDP packets received.'],
  ['bytesReceived', 'shoal_gossip_bytes_received_total', 'Gossip UDP bytes received.'],
  ['streamsSent', 'shoal_gossip_pushpull_out_total', 'Push-pull state exchanges started.'],
  ['streamsReceived', 'shoal_gossip_pushpull_in_total', 'Push-pull state exchanges served.'],
  ['streamErrors', 'shoal_gossip_pushpull_errors_total', 'Push-pull exchanges that failed.'],
  ['probes', 'shoal_gossip_probes_total', 'Probes sent to members.'],
  ['probesFailed', 'shoal_gossip_probes_failed_total', 'Probes answered neither directly nor indirectly.'],
  ['indirectProbes', 'shoal_gossip_indirect_probes_total', 'Indirect probe requests sent.'],
  ['refutes', 'shoal_gossip_refutes_total', 'Times this member refuted a suspicion or death about itself.'],
  ['suspicionsRaised', 'shoal_gossip_suspicions_raised_total', 'Suspicions this member raised after failed probes.'],
  ['deathsDeclared', 'shoal_gossip_deaths_declared_total', 'Members this member declared dead when a suspicion timed out.'],
  ['staleUpdates', 'shoal_gossip_stale_updates_total', 'Membership updates ignored for an old incarnation.'],
];

/** Registers the gossip metrics of `cluster` on `registry`. */
export function registerClusterMetrics(cluster: Cluster, registry: Registry): void {
  for (const [key, name, help] of counterHelp) {
    let last = 0;
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const v = cluster.counters[key];
        if (v > last) this.inc(v - last);
        last = v;
      },
    });
  }
  const lastDrop = new Map<string, number>();
  new Counter({
    name: 'shoal_gossip_packets_dropped_total',
    help: 'Gossip input dropped, by reason (malformed, truncated, decrypt-failed, unsealed, ...).',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      for (const reason of dropReasons) {
        const v = cluster.counters.dropped[reason];
        const prev = lastDrop.get(reason) ?? 0;
        if (v > prev || !lastDrop.has(reason)) this.inc({ reason }, v - prev);
        lastDrop.set(reason, v);
      }
    },
  });
  new Gauge({
    name: 'shoal_gossip_members',
    help: 'Members known to this member, by state.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const s = cluster.counts();
      for (const [state, n] of Object.entries(s)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'shoal_gossip_health_score',
    help: 'Lifeguard local health score (0 is healthy; probe interval and timeout scale by score + 1).',
    registers: [registry],
    collect() {
      this.set(cluster.healthScore);
    },
  });
  new Gauge({
    name: 'shoal_gossip_incarnation',
    help: "This member's incarnation number (rises each time it refutes a suspicion).",
    registers: [registry],
    collect() {
      this.set(cluster.incarnation);
    },
  });
}
