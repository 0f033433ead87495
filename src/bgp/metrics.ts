// Prometheus metrics of the BGP side, named as MetalLB names its own
// (metallb_bgp_*, metallb_bfd_*) with the shoal_ prefix, and published under
// MetalLB's names too, so its dashboards work unchanged. The peer label is the
// peer's address, as in FRR-K8s mode (MetalLB's native mode says
// address:port); the BFD twins carry MetalLB's vrf label, empty (no VRFs).
// MetalLB's BFD echo and zebra counters have no counterpart: shoal has no
// echo mode and no zebra.

import { Counter, Gauge, type Registry } from 'prom-client';
import { registerTwin } from '../util/metric-twin.js';

export class BgpMetrics {
  readonly sessionUp: Gauge<'peer'>;
  readonly updatesSent: Counter<'peer'>;
  readonly announcedPrefixes: Gauge<'peer'>;
  readonly pendingPrefixes: Gauge<'peer'>;
  readonly updateErrorsReceived: Counter<'peer' | 'handling'>;
  readonly bfdSessionUp: Gauge<'peer'>;
  readonly bfdUpEvents: Counter<'peer'>;
  readonly bfdDownEvents: Counter<'peer'>;
  readonly bfdPacketsIn: Counter<'peer'>;
  readonly bfdPacketsOut: Counter<'peer'>;
  readonly bfdDropped: Counter<'reason'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.sessionUp = new Gauge({ name: 'shoal_bgp_session_up', help: 'BGP session state (1 is up, 0 is down)', labelNames: ['peer'], registers });
    this.updatesSent = new Counter({ name: 'shoal_bgp_updates_total', help: 'Number of BGP UPDATE messages sent', labelNames: ['peer'], registers });
    this.announcedPrefixes = new Gauge({ name: 'shoal_bgp_announced_prefixes_total', help: 'Number of prefixes currently being advertised on the BGP session', labelNames: ['peer'], registers });
    this.pendingPrefixes = new Gauge({
      name: 'shoal_bgp_pending_prefixes_total',
      help: 'Number of prefixes that should be advertised on the BGP session but are not (session down, family not negotiated, no next hop)',
      labelNames: ['peer'],
      registers,
    });
    this.updateErrorsReceived = new Counter({
      name: 'shoal_bgp_update_errors_received_total',
      help: 'Malformed UPDATE messages received that did not reset the session, by RFC 7606 handling',
      labelNames: ['peer', 'handling'],
      registers,
    });
    this.bfdSessionUp = new Gauge({ name: 'shoal_bfd_session_up', help: 'BFD session state (1 is up, 0 is down)', labelNames: ['peer'], registers });
    this.bfdUpEvents = new Counter({ name: 'shoal_bfd_session_up_events', help: 'Number of times the BFD session went up', labelNames: ['peer'], registers });
    this.bfdDownEvents = new Counter({ name: 'shoal_bfd_session_down_events', help: 'Number of times the BFD session went down', labelNames: ['peer'], registers });
    this.bfdPacketsIn = new Counter({ name: 'shoal_bfd_control_packet_input', help: 'Number of BFD control packets accepted from the peer', labelNames: ['peer'], registers });
    this.bfdPacketsOut = new Counter({ name: 'shoal_bfd_control_packet_output', help: 'Number of BFD control packets sent to the peer', labelNames: ['peer'], registers });
    this.bfdDropped = new Counter({ name: 'shoal_bfd_packets_dropped_total', help: 'BFD packets dropped, by reason', labelNames: ['reason'], registers });
    const twins: [Gauge<'peer'> | Counter<'peer'>, string][] = [
      [this.sessionUp, 'metallb_bgp_session_up'],
      [this.updatesSent, 'metallb_bgp_updates_total'],
      [this.announcedPrefixes, 'metallb_bgp_announced_prefixes_total'],
    ];
    for (const [m, name] of twins) registerTwin(registry, m, name);
    const bfd: [Gauge<'peer'> | Counter<'peer'>, string][] = [
      [this.bfdSessionUp, 'metallb_bfd_session_up'],
      [this.bfdPacketsIn, 'metallb_bfd_control_packet_input'],
      [this.bfdPacketsOut, 'metallb_bfd_control_packet_output'],
      [this.bfdUpEvents, 'metallb_bfd_session_up_events'],
      [this.bfdDownEvents, 'metallb_bfd_session_down_events'],
    ];
    for (const [m, name] of bfd) registerTwin(registry, m, name, { labelNames: ['peer', 'vrf'], labels: (l) => ({ ...l, vrf: '' }) });
  }

  /** Forgets a removed peer's series. */
  forget(peer: string): void {
    for (const m of [this.sessionUp, this.updatesSent, this.announcedPrefixes, this.pendingPrefixes, this.bfdSessionUp, this.bfdUpEvents, this.bfdDownEvents, this.bfdPacketsIn, this.bfdPacketsOut]) {
      m.remove({ peer });
    }
  }
}
