// Prometheus metrics of the BGP side, named as MetalLB names its own
// (metallb_bgp_*, metallb_bfd_*) with the shoal_ prefix, so dashboards carry
// over. The peer label is the peer's address, as in MetalLB.

import { Counter, Gauge, type Registry } from 'prom-client';

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
  }

  /** Forgets a removed peer's series. */
  forget(peer: string): void {
    for (const m of [this.sessionUp, this.updatesSent, this.announcedPrefixes, this.pendingPrefixes, this.bfdSessionUp, this.bfdUpEvents, this.bfdDownEvents, this.bfdPacketsIn, this.bfdPacketsOut]) {
      m.remove({ peer });
    }
  }
}
