// Layer-2 announcing metrics, registered on the Registry the caller passes.
// Labels are bounded: protocol (arp|ndp), interface, verdict and errno code;
// never the address, which would grow with every service. MetalLB's
// metallb_layer2_* counters are kept too, with its ip label, for its
// dashboards: a series lives while its address is owned by this node and
// goes when the address is released (forgetAddress), so they follow the
// addresses owned now, not every address owned since start-up.

import { Counter, Gauge, type Registry } from 'prom-client';

import { SeriesFamily } from '../../util/series-family.js';
import type { L2Protocol } from './verdict.js';

export class L2Metrics {
  readonly requestsReceived: Counter<'protocol' | 'interface' | 'verdict'>;
  readonly responsesSent: Counter<'protocol' | 'interface'>;
  readonly gratuitousSent: Counter<'protocol' | 'interface'>;
  readonly gratuitousRefused: Counter<'protocol' | 'interface'>;
  readonly gratuitousDropped: Counter<'protocol' | 'interface'>;
  readonly sendErrors: Counter<'protocol' | 'interface' | 'code'>;
  readonly socketErrors: Counter<'protocol' | 'interface' | 'code'>;
  readonly ownedIps: Gauge<'protocol'>;
  readonly announcedIps: Gauge<'protocol' | 'interface'>;
  /** MetalLB's own names and ip label (internal/layer2/stats.go), so its dashboards work unchanged. */
  readonly metallb: {
    readonly requestsReceived: SeriesFamily<'ip'>;
    readonly responsesSent: SeriesFamily<'ip'>;
    readonly gratuitousSent: SeriesFamily<'ip'>;
  };

  /** Gratuitous frames sent and not yet added to the counters: protocol -> interface -> frames. */
  private readonly sentOn: Record<L2Protocol, Map<string, number>> = { arp: new Map(), ndp: new Map() };
  /** The same, address -> frames, for MetalLB's per-address counter. */
  private readonly sentFor = new Map<string, number>();

  constructor(registry: Registry) {
    const registers = [registry];
    // Read by the counters whenever they are read (a scrape), so the text is never behind.
    const flush = (): void => this.flushGratuitous();
    this.requestsReceived = new Counter({
      name: 'shoal_l2_requests_received_total',
      help: 'ARP and Neighbor Solicitation frames received, by the verdict the responder gave them',
      labelNames: ['protocol', 'interface', 'verdict'],
      registers,
    });
    this.responsesSent = new Counter({
      name: 'shoal_l2_responses_sent_total',
      help: 'ARP replies and Neighbor Advertisements sent in answer to a request',
      labelNames: ['protocol', 'interface'],
      registers,
    });
    this.gratuitousSent = new Counter({
      name: 'shoal_l2_gratuitous_sent_total',
      help: 'Gratuitous ARP frames and unsolicited Neighbor Advertisements sent',
      labelNames: ['protocol', 'interface'],
      registers,
      collect: flush,
    });
    this.gratuitousRefused = new Counter({
      name: 'shoal_l2_gratuitous_refused_total',
      help: 'Gratuitous frames the kernel refused for a full send queue (EAGAIN/ENOBUFS); each is tried again after a pause',
      labelNames: ['protocol', 'interface'],
      registers,
    });
    this.gratuitousDropped = new Counter({
      name: 'shoal_l2_gratuitous_dropped_total',
      help: 'Gratuitous frames given up after the kernel refused them 5 times in a row',
      labelNames: ['protocol', 'interface'],
      registers,
    });
    this.sendErrors = new Counter({
      name: 'shoal_l2_send_errors_total',
      help: 'Frames that could not be sent, by errno code',
      labelNames: ['protocol', 'interface', 'code'],
      registers,
    });
    this.socketErrors = new Counter({
      name: 'shoal_l2_socket_errors_total',
      help: 'Error conditions met opening, reading or joining on an interface (each counted when it starts), by errno code',
      labelNames: ['protocol', 'interface', 'code'],
      registers,
    });
    this.ownedIps = new Gauge({
      name: 'shoal_l2_owned_ips',
      help: 'Addresses this node is told to announce',
      labelNames: ['protocol'],
      registers,
    });
    this.announcedIps = new Gauge({
      name: 'shoal_l2_announced_ips',
      help: 'Addresses being answered for, per interface',
      labelNames: ['protocol', 'interface'],
      registers,
    });
    for (const protocol of ['arp', 'ndp'] as const) this.ownedIps.set({ protocol }, 0);
    // One series per address: kept as rendered text (SeriesFamily) so a scrape stays cheap at 10,000 addresses.
    const perIp = (name: string, help: string, collect?: () => void) => new SeriesFamily({ name, help, type: 'counter', labelNames: ['ip'], registry, ...(collect ? { collect } : {}) });
    this.metallb = {
      requestsReceived: perIp('metallb_layer2_requests_received', 'Number of layer2 requests received for owned IPs'),
      responsesSent: perIp('metallb_layer2_responses_sent', 'Number of layer2 responses sent for owned IPs in response to requests'),
      gratuitousSent: perIp('metallb_layer2_gratuitous_sent', 'Number of gratuitous layer2 packets sent for owned IPs as a result of failovers', flush),
    };
  }

  /**
   * Counts gratuitous frames sent for ip on iface. Kept as plain numbers and
   * added to gratuitousSent and MetalLB's per-address counter when those are
   * read: a prom-client inc builds its label key on every call, which at the
   * periodic re-assertion's thousand addresses a second was a steady stream
   * of garbage. `ip` is undefined for an address no longer owned: its frames
   * count for the interface, and it gets no per-address series back.
   */
  countGratuitous(protocol: L2Protocol, iface: string, ip: string | undefined, frames: number): void {
    const byIface = this.sentOn[protocol];
    byIface.set(iface, (byIface.get(iface) ?? 0) + frames);
    if (ip !== undefined) this.sentFor.set(ip, (this.sentFor.get(ip) ?? 0) + frames);
  }

  private flushGratuitous(): void {
    for (const protocol of ['arp', 'ndp'] as const) {
      const byIface = this.sentOn[protocol];
      byIface.forEach((frames, iface) => this.gratuitousSent.inc({ protocol, interface: iface }, frames));
      byIface.clear();
    }
    this.sentFor.forEach((frames, ip) => this.metallb.gratuitousSent.inc({ ip }, frames));
    this.sentFor.clear();
  }

  /**
   * Drops the per-address series of an address this node no longer owns.
   * Under Service churn they would otherwise pile up, one set per address
   * ever owned; a later owner starts again from 0, which Prometheus reads
   * as a counter reset.
   */
  forgetAddress(ip: string): void {
    this.sentFor.delete(ip);
    for (const family of [this.metallb.requestsReceived, this.metallb.responsesSent, this.metallb.gratuitousSent]) family.remove({ ip });
  }

  setAnnounced(protocol: L2Protocol, iface: string, count: number): void {
    if (count > 0) this.announcedIps.set({ protocol, interface: iface }, count);
    else this.announcedIps.remove({ protocol, interface: iface });
  }
}
