// An in-memory network for tests and the simulator: datagrams with loss,
// delay (and so reordering), partitions and paused endpoints; exchanges with
// delay and partitions. Everything runs on the injected clock, so a virtual
// clock makes whole clusters deterministic.
import type { Clock } from '../../src/util/clock.js';
import { formatAddress, type Address } from '../../src/net/index.js';
import { TransportError, type Transport, type TransportHandlers } from '../../src/cluster/transport.js';

export interface MemoryNetworkOptions {
  /** Probability that a datagram is lost, 0..1. */
  loss?: number;
  /** One-way delay drawn uniformly from [minDelayMs, maxDelayMs]; a range reorders packets. */
  minDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
}

export interface EndpointStats {
  packetsSent: number;
  /** Datagram payload bytes. */
  bytesSent: number;
  /** Stream (push-pull) bytes, requests and replies this endpoint sent. */
  streamBytesSent: number;
  packetsReceived: number;
  packetsLost: number;
}

interface Endpoint {
  readonly key: string;
  readonly address: Address;
  handlers: TransportHandlers | undefined;
  paused: boolean;
  closed: boolean;
  queued: Array<() => void>;
  group: number;
  stats: EndpointStats;
}

export class MemoryNetwork {
  private readonly endpoints = new Map<string, Endpoint>();
  loss: number;
  minDelayMs: number;
  maxDelayMs: number;
  private readonly random: () => number;

  constructor(
    private readonly clock: Clock,
    opts: MemoryNetworkOptions = {},
  ) {
    this.loss = opts.loss ?? 0;
    this.minDelayMs = opts.minDelayMs ?? 0;
    this.maxDelayMs = opts.maxDelayMs ?? this.minDelayMs;
    this.random = opts.random ?? Math.random;
  }

  attach(address: Address): MemoryTransport {
    const key = formatAddress(address);
    const existing = this.endpoints.get(key);
    if (existing && !existing.closed) throw new Error(`address ${key} is already in use`);
    const ep: Endpoint = {
      key,
      address,
      handlers: undefined,
      paused: false,
      closed: false,
      queued: [],
      group: 0,
      stats: { packetsSent: 0, bytesSent: 0, streamBytesSent: 0, packetsReceived: 0, packetsLost: 0 },
    };
    this.endpoints.set(key, ep);
    return new MemoryTransport(this, ep);
  }

  stats(address: Address): EndpointStats | undefined {
    return this.endpoints.get(formatAddress(address))?.stats;
  }

  /**
   * Delivers a datagram that claims to come from `from`, as an attacker who
   * forges source addresses could: for tests of who may say what.
   */
  inject(from: Address, to: Address, data: Uint8Array): void {
    const dst = this.lookup(to);
    if (!dst) return;
    const copy = Buffer.from(data);
    this.deliver(dst, () => {
      dst.stats.packetsReceived++;
      dst.handlers?.packet(from, copy);
    });
  }

  /** Splits the network: endpoints in different groups cannot reach each other. */
  partition(groups: readonly (readonly Address[])[]): void {
    for (const ep of this.endpoints.values()) ep.group = 0;
    groups.forEach((g, i) => {
      for (const a of g) {
        const ep = this.endpoints.get(formatAddress(a));
        if (ep) ep.group = i + 1;
      }
    });
  }

  heal(): void {
    for (const ep of this.endpoints.values()) ep.group = 0;
  }

  /** A paused endpoint receives nothing until resumed; deliveries queue up. */
  pause(address: Address): void {
    const ep = this.endpoints.get(formatAddress(address));
    if (ep) ep.paused = true;
  }

  resume(address: Address): void {
    const ep = this.endpoints.get(formatAddress(address));
    if (!ep) return;
    ep.paused = false;
    const queued = ep.queued;
    ep.queued = [];
    for (const deliver of queued) deliver();
  }

  /** @internal */
  reachable(a: Endpoint, b: Endpoint): boolean {
    return a.group === b.group;
  }

  /** @internal */
  lookup(address: Address): Endpoint | undefined {
    const ep = this.endpoints.get(formatAddress(address));
    return ep && !ep.closed ? ep : undefined;
  }

  /** @internal */
  delay(): number {
    return this.minDelayMs + (this.maxDelayMs - this.minDelayMs) * this.random();
  }

  /** @internal */
  lost(): boolean {
    return this.loss > 0 && this.random() < this.loss;
  }

  /** @internal Runs fn at the destination after the network delay, honouring pauses. */
  deliver(to: Endpoint, fn: () => void): void {
    this.clock.setTimeout(() => {
      if (to.closed) return;
      if (to.paused) to.queued.push(fn);
      else fn();
    }, this.delay());
  }

  /** @internal */
  get clockRef(): Clock {
    return this.clock;
  }

  /** @internal */
  detach(ep: Endpoint): void {
    ep.closed = true;
    ep.queued = [];
    if (this.endpoints.get(ep.key) === ep) this.endpoints.delete(ep.key);
  }
}

/**
 * The bytes a sender passes on, as the receiver's Buffer, without a copy.
 * Senders give up what they send (the cluster encodes every packet and
 * push-pull state into a buffer of its own and never touches it again), and
 * at n = 5000 copies were gigabytes a simulated second: every member
 * exchanges its whole state with a dead member's address each second, and
 * in the benchmark a replacement member answers there. inject() still
 * copies: tests hand it buffers they may reuse.
 */
function handOver(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length);
}

export class MemoryTransport implements Transport {
  constructor(
    private readonly net: MemoryNetwork,
    private readonly ep: Endpoint,
  ) {}

  get address(): Address {
    return this.ep.address;
  }

  setHandlers(handlers: TransportHandlers): void {
    this.ep.handlers = handlers;
  }

  sendPacket(to: Address, data: Uint8Array): void {
    if (this.ep.closed) return;
    this.ep.stats.packetsSent++;
    this.ep.stats.bytesSent += data.length;
    const dst = this.net.lookup(to);
    if (!dst || !this.net.reachable(this.ep, dst) || this.net.lost()) {
      this.ep.stats.packetsLost++;
      return;
    }
    const payload = handOver(data);
    const from = this.ep.address;
    this.net.deliver(dst, () => {
      dst.stats.packetsReceived++;
      dst.handlers?.packet(from, payload);
    });
  }

  exchange(to: Address, request: Uint8Array, timeoutMs: number): Promise<Buffer> {
    const dst = this.net.lookup(to);
    // An unreachable peer looks like a connect that never completes.
    const reachable = !this.ep.closed && dst !== undefined && this.net.reachable(this.ep, dst);
    if (reachable) this.ep.stats.streamBytesSent += request.length;
    // No closure here sees `request`: the timeout timer of an exchange that
    // is never answered would keep it (the whole member list) for its 10 s.
    return this.awaitReply(to, reachable ? dst : undefined, reachable ? handOver(request) : undefined, timeoutMs);
  }

  private awaitReply(to: Address, dst: Endpoint | undefined, payload: Buffer | undefined, timeoutMs: number): Promise<Buffer> {
    const clock = this.net.clockRef;
    return new Promise<Buffer>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        fn();
      };
      const timer = clock.setTimeout(() => settle(() => reject(new TransportError('timeout', `exchange with ${formatAddress(to)} timed out after ${timeoutMs} ms`))), timeoutMs);
      if (this.ep.closed) return settle(() => reject(new TransportError('closed', 'transport is closed')));
      if (!dst || !payload) return;
      const from = this.ep.address;
      this.net.deliver(dst, () => {
        const h = dst.handlers;
        if (!h) return;
        h.exchange(from, payload).then(
          (reply) => {
            if (!reply) return settle(() => reject(new TransportError('closed', 'peer closed the exchange without a reply')));
            dst.stats.streamBytesSent += reply.length;
            const back = handOver(reply);
            if (!this.net.reachable(this.ep, dst)) return;
            this.net.deliver(this.ep, () => settle(() => resolve(back)));
          },
          (err: unknown) => settle(() => reject(new TransportError('io', `peer failed the exchange: ${String(err)}`))),
        );
      });
    });
  }

  close(): Promise<void> {
    this.net.detach(this.ep);
    return Promise.resolve();
  }
}
