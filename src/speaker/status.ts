// The speaker's own sections of GET /status: what the layer-2 responder is
// doing (addresses, interfaces, socket errors, whether it is held) and the
// BGP sessions.
import type { AnnouncerStatus } from '../announce/l2/index.js';
import type { PeerStatus } from '../bgp/status.js';
import type { StatusSection } from '../status/server.js';
import { renderTable } from '../status/table.js';
import type { Layer2GuardStatus } from './layer2-guard.js';
import type { QuorumCount } from './quorum.js';
import type { WarmUpStatus } from './warm-up.js';

export function layer2Text(s: AnnouncerStatus | undefined, hold: Layer2GuardStatus = { held: false }): string {
  const lines = [s ? `layer2: ${s.ips.length} address(es) announced` : 'layer2: off (no responder: run as root or with CAP_NET_RAW, or see --layer2)'];
  if (hold.held) {
    const waiting = hold.awaiting?.length ? `, waiting for ${hold.awaiting.join(', ')}` : '';
    lines.push(`held (${hold.cause}): announcing only ${hold.kept ?? 0} address(es) owned before${waiting}; at most ${Math.ceil((hold.remainingMs ?? 0) / 1000)} s more`);
  }
  if (!s) return lines.join('\n');
  if (s.ips.length) {
    lines.push(
      renderTable(
        ['ADDRESS', 'PROTOCOL', 'INTERFACES', 'ANSWERING ON'],
        s.ips.map((i) => [i.ip, i.protocol, i.requested === 'default' ? '(all eligible)' : i.requested.join(','), i.announcedOn.join(',') || '-']),
      ),
    );
  }
  if (s.interfaces.length) {
    lines.push('', renderTable(['INTERFACE', 'MAC', 'SOCKETS', 'NDP GROUPS'], s.interfaces.map((i) => [i.name, i.mac ?? '-', i.open.join(',') || '-', String(i.groups.length)])));
  }
  if (s.heldInterfaces.length) lines.push(`links held until the view is fresh: ${s.heldInterfaces.join(', ')}`);
  for (const e of s.errors) lines.push(`error: ${e.protocol} on ${e.interface || '-'}: ${e.code}: ${e.message}`);
  return lines.join('\n');
}

/** The layer2 section of /status: the announcer's state and the layer-2 hold (Layer2Guard). */
export function layer2Section(status: () => AnnouncerStatus | undefined, hold: () => Layer2GuardStatus = () => ({ held: false })): StatusSection {
  return {
    name: 'layer2',
    json: () => ({ ...(status() ?? { enabled: false }), hold: hold() }),
    text: () => layer2Text(status(), hold()),
  };
}

export function bgpText(peers: readonly PeerStatus[], problems: readonly string[]): string {
  const lines = [`bgp: ${peers.length} peer(s)`];
  if (peers.length) {
    lines.push(
      renderTable(
        ['PEER', 'ADDRESS', 'AS', 'STATE', 'UP', 'PREFIXES', 'BFD', 'LAST ERROR'],
        peers.map((p) => [
          p.name,
          `${p.peerAddress}:${p.peerPort}`,
          String(p.peerAsn ?? '?'),
          p.state,
          p.uptimeSeconds !== undefined ? `${p.uptimeSeconds}s` : '-',
          `${p.prefixesSent}/${p.prefixesWanted}`,
          p.bfd ? p.bfd.state : '-',
          p.lastError ? `${p.lastError.at} ${p.lastError.reason}` : '-',
        ]),
      ),
    );
  }
  for (const p of problems) lines.push(`problem: ${p}`);
  return lines.join('\n');
}

export function bgpSection(peers: () => readonly PeerStatus[], problems: () => readonly string[]): StatusSection {
  return { name: 'bgp', json: () => ({ peers: peers(), problems: problems() }), text: () => bgpText(peers(), problems()) };
}

/** Quorum as /status shows it: the count, "not counted yet", or undefined when the setting is off. */
export type QuorumStatus = QuorumCount | string | undefined;

export function fencingText(w: WarmUpStatus, q: QuorumStatus): string {
  const warm = w.failbackDelayMs === 0 ? 'ready (no failback delay)' : w.ready ? `ready (failback delay ${w.failbackDelayMs} ms)` : w.readyInMs !== undefined ? `not ready: warming up, ready in ${Math.ceil(w.readyInMs / 1000)} s` : 'not ready: waiting for a fresh view of the cluster, then a warm-up';
  const lines = [`fencing: ${warm}`];
  if (q === undefined) lines.push('quorum: off');
  else if (typeof q === 'string') lines.push(`quorum: on, ${q}`);
  else lines.push(`quorum: on, ${q.live} of ${q.known} known members alive: ${q.majority ? 'majority' : 'NO majority: taking over nothing new'}`);
  return lines.join('\n');
}

/** The fencing section of /status: this member's ready flag (delayed failback) and the quorum. */
export function fencingSection(warmUp: () => WarmUpStatus, quorum: () => QuorumStatus): StatusSection {
  return {
    name: 'fencing',
    json: () => {
      const q = quorum();
      return { ...warmUp(), quorum: q === undefined ? { enabled: false } : typeof q === 'string' ? { enabled: true, pending: q } : { enabled: true, ...q } };
    },
    text: () => fencingText(warmUp(), quorum()),
  };
}
