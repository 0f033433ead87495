// The gossip section of the status endpoint: who this member is, how it
// feels (Lifeguard health), what others said about it, every member it
// knows, its packet counters, and its push-pull slots and UDP socket.
import type { StatusSection } from '../status/server.js';
import { formatAge, formatBytes, renderTable } from '../status/table.js';
import { formatAddress } from '../net/index.js';
import type { Cluster, ClusterStatus, MemberView } from './cluster.js';

function memberJson(m: MemberView): Record<string, unknown> {
  return { name: m.name, address: formatAddress(m.address), state: m.state, incarnation: m.incarnation, since: new Date(m.since).toISOString(), verified: m.verified, meta: m.meta };
}

export function clusterStatusJson(s: ClusterStatus): Record<string, unknown> {
  return {
    self: memberJson(s.self),
    profile: s.profile,
    lifeguard: s.lifeguard,
    encrypted: s.encrypted,
    health: s.health,
    counts: s.counts,
    members: s.members.map(memberJson),
    counters: s.counters,
    accused: { ...s.accused, last: s.accused.last && { ...s.accused.last, at: new Date(s.accused.last.at).toISOString() } },
    transport: s.transport ?? null,
  };
}

/** One line on what others said about us, or undefined when nobody accused us of anything. */
function accusedText(s: ClusterStatus, now: number): string | undefined {
  const a = s.accused;
  const parts = Object.entries(a.accusations).filter(([, n]) => n > 0);
  if (parts.length === 0 || !a.last) return undefined;
  const last = a.last.kind === 'impersonated' ? `our name claimed at ${a.last.by}` : `${a.last.kind} by ${a.last.by}`;
  return `accused (refuted each time): ${parts.map(([k, n]) => `${k} ${n}`).join(', ')}; last ${formatAge(a.last.at, now)} ago: ${last} at incarnation ${a.last.incarnation}`;
}

function transportText(s: ClusterStatus): string | undefined {
  const t = s.transport;
  if (!t) return undefined;
  const st = t.streams;
  const u = t.udp;
  return (
    `push-pull slots: ${st.active}/${st.limit} in use; served ${st.answered}, refused ${st.refused}, preempted ${st.preempted}, timed out ${st.timedOut}, ` +
    `oversized ${st.oversized}, incomplete ${st.incomplete}\n` +
    `udp: receive buffer ${u.receiveBufferBytes === undefined ? 'unknown' : formatBytes(u.receiveBufferBytes)} (asked ${formatBytes(u.receiveBufferRequested)}), ` +
    `kernel drops ${u.kernelDrops ?? 'unknown'}, send errors ${u.sendErrors}`
  );
}

export function clusterStatusText(s: ClusterStatus, now = Date.now()): string {
  const head =
    `gossip: member ${s.self.name} at ${formatAddress(s.self.address)}, profile ${s.profile}, ` +
    `lifeguard ${s.lifeguard ? 'on' : 'off'}, encryption ${s.encrypted ? 'on' : 'off'}, ` +
    `health ${s.health.score}/${s.health.max - 1} (0 is best)`;
  const counts = `members: ${s.counts.alive} alive, ${s.counts.suspect} suspect, ${s.counts.dead} dead, ${s.counts.left} left`;
  const accused = accusedText(s, now);
  const rows = s.members.map((m) => [
    m.name + (m.name === s.self.name ? ' *' : ''),
    formatAddress(m.address),
    m.verified ? m.state : `${m.state} (unverified)`,
    String(m.incarnation),
    formatAge(m.since, now),
    Object.entries(m.meta)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
  ]);
  const c = s.counters;
  const drops = Object.entries(c.dropped).filter(([, n]) => n > 0);
  const traffic =
    `packets: sent ${c.packetsSent} (${formatBytes(c.bytesSent)}), received ${c.packetsReceived} (${formatBytes(c.bytesReceived)}); ` +
    `push-pull: ${c.streamsSent} out, ${c.streamsReceived} in, ${c.streamErrors} failed\n` +
    `probes: ${c.probes}, failed ${c.probesFailed}, indirect ${c.indirectProbes}; suspicions raised ${c.suspicionsRaised}, deaths declared ${c.deathsDeclared}, refutes ${c.refutes} (sent to every member ${c.fanouts})\n` +
    `dropped: ${drops.length ? drops.map(([r, n]) => `${r} ${n}`).join(', ') : 'none'}`;
  const transport = transportText(s);
  return [
    head,
    counts,
    ...(accused ? [accused] : []),
    '',
    renderTable(['NAME', 'ADDRESS', 'STATE', 'INC', 'FOR', 'META'], rows),
    '',
    traffic,
    ...(transport ? [transport] : []),
  ].join('\n');
}

export function clusterStatusSection(cluster: Cluster): StatusSection {
  return {
    name: 'gossip',
    json: () => clusterStatusJson(cluster.status()),
    text: () => clusterStatusText(cluster.status()),
  };
}
