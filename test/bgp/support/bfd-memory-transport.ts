// BFD over an in-memory network on a Clock, for tests: delivery after a
// latency, blackholed addresses, and a settable TTL to exercise the
// single-hop check.

import type { Clock } from '../../../src/util/clock.js';
import type { Family } from '../../../src/net/index.js';
import { type BfdDatagram, type BfdSender, type BfdTransport } from '../../../src/bgp/bfd/transport.js';

export class MemoryBfdNetwork {
  private readonly listeners = new Map<string, (d: BfdDatagram) => void>();
  private readonly holes = new Set<string>();
  private nextPort = 49152;
  /** TTL every delivered datagram carries. */
  ttl = 255;

  constructor(
    private readonly clock: Clock,
    readonly latencyMs = 1,
  ) {}

  blackhole(address: string, on: boolean): void {
    if (on) this.holes.add(address);
    else this.holes.delete(address);
  }

  transport(address: string): BfdTransport {
    return {
      listen: async (_family: Family, onPacket) => {
        this.listeners.set(address, onPacket);
      },
      openSender: async (peer): Promise<BfdSender> => {
        const port = this.nextPort++;
        let open = true;
        return {
          send: (data) => {
            if (!open || this.holes.has(address) || this.holes.has(peer)) return;
            const copy = Buffer.from(data);
            const ttl = this.ttl;
            this.clock.setTimeout(() => this.listeners.get(peer)?.({ data: copy, address, port, ttl }), this.latencyMs);
          },
          close: () => {
            open = false;
          },
        };
      },
      close: async () => {
        this.listeners.delete(address);
      },
    };
  }

  /** Delivers a raw datagram to address, as if sent by from. */
  inject(to: string, d: BfdDatagram): void {
    this.listeners.get(to)?.(d);
  }
}

