// Prometheus metrics of a gossip member, read from its counters at scrape
// time so the protocol itself pays nothing for them.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Cluster } from './cluster.js';
import { dropReasons, type ClusterCounters } from './counters.js';
import type { AccusationKind } from './refuter.js';
import type { StreamStats, TransportStats } from './transport.js';

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
  ['fanouts', 'shoal_gossip_fanouts_total', 'Times this member sent its own state to every member itself (a refutation others would not take second-hand).'],
  ['forgotten', 'shoal_gossip_unverified_forgotten_total', 'Members we were told of that never answered our probe, forgotten without a suspicion (made-up names end here).'],
  ['suspicionsRaised', 'shoal_gossip_suspicions_raised_total', 'Suspicions this member raised after failed probes.'],
  ['deathsDeclared', 'shoal_gossip_deaths_declared_total', 'Members this member declared dead when a suspicion timed out.'],
  ['staleUpdates', 'shoal_gossip_stale_updates_total', 'Membership updates ignored for an old incarnation.'],
];

const streamEnds: ReadonlyArray<[Exclude<keyof StreamStats, 'active' | 'limit' | 'accepted'>, string]> = [
  ['answered', 'answered'],
  ['refused', 'refused'],
  ['preempted', 'preempted'],
  ['timedOut', 'timed-out'],
  ['oversized', 'oversized'],
  ['incomplete', 'incomplete'],
];

const accusationKinds: readonly AccusationKind[] = ['suspect', 'dead', 'left', 'impersonated'];

/**
 * A Prometheus counter that follows a total kept elsewhere, per label value:
 * each scrape adds what the total grew by since the last one.
 */
function followTotals(registry: Registry, name: string, help: string, label: string | undefined, read: () => ReadonlyArray<[string, number | undefined]>): void {
  const last = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames: label ? [label] : [],
    registers: [registry],
    collect() {
      for (const [key, v] of read()) {
        if (v === undefined) continue;
        const prev = last.get(key);
        const labels = label ? { [label]: key } : {};
        if (prev === undefined || v > prev) this.inc(labels, v - (prev ?? 0));
        last.set(key, v);
      }
    },
  });
}

/** Registers the gossip metrics of `cluster` on `registry`. */
export function registerClusterMetrics(cluster: Cluster, registry: Registry): void {
  for (const [key, name, help] of counterHelp) followTotals(registry, name, help, undefined, () => [['', cluster.counters[key]]]);
  followTotals(registry, 'shoal_gossip_packets_dropped_total', 'Gossip input dropped, by reason (malformed, decrypt-failed, unsealed, replayed, stranger, implausible-incarnation, member-rate, ...).', 'reason', () =>
    dropReasons.map((r) => [r, cluster.counters.dropped[r]]),
  );
  followTotals(registry, 'shoal_gossip_accused_total', 'What other members said about this member, each refuted: suspect, dead, left, impersonated (its name at another address).', 'kind', () => {
    const a = cluster.accused.accusations;
    return accusationKinds.map((k) => [k, a[k]]);
  });
  const transport = (): TransportStats | undefined => cluster.transportStats;
  followTotals(registry, 'shoal_gossip_pushpull_inbound_total', 'Inbound push-pull connections by how they ended: answered, refused (every slot busy), preempted (idle, closed to make room), timed-out, oversized, incomplete.', 'outcome', () => {
    const st = transport()?.streams;
    return st ? streamEnds.map(([k, label]) => [label, st[k]]) : [];
  });
  followTotals(registry, 'shoal_gossip_udp_kernel_drops_total', 'Gossip datagrams the kernel dropped on this socket (receive buffer full).', undefined, () => [['', transport()?.udp.kernelDrops]]);
  followTotals(registry, 'shoal_gossip_udp_send_errors_total', 'Gossip datagrams that could not be sent.', undefined, () => [['', transport()?.udp.sendErrors]]);
  new Gauge({
    name: 'shoal_gossip_pushpull_inbound_active',
    help: 'Inbound push-pull connections holding a slot now.',
    registers: [registry],
    collect() {
      const st = transport()?.streams;
      if (st) this.set(st.active);
    },
  });
  new Gauge({
    name: 'shoal_gossip_udp_receive_buffer_bytes',
    help: 'Receive buffer the kernel granted the gossip UDP socket (Linux reports twice the usable size).',
    registers: [registry],
    collect() {
      const b = transport()?.udp.receiveBufferBytes;
      if (b !== undefined) this.set(b);
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
