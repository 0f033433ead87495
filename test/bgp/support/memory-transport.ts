// An in-memory network of BGP sockets on a Clock, for tests and
// simulations: connections to listeners by address and port, delivery after
// a latency, refused connects when nothing listens, and blackholed
// addresses (traffic silently dropped, connects never answered) to play a
// cut link.

import type { Clock } from '../../../src/util/clock.js';
import type { BgpSocket, ConnectRequest, Connector, Endpoint, PendingConnect, SocketListener } from '../../../src/bgp/transport/socket.js';

class MemorySocket implements BgpSocket {
  peer?: MemorySocket;
  private listener?: SocketListener;
  private held: Buffer[] = [];
  private closedReason?: string;
  private notified = false;
  private open = true;

  constructor(
    private readonly net: MemoryNetwork,
    readonly local: Endpoint,
    readonly remote: Endpoint,
  ) {}

  setListener(l: SocketListener): void {
    this.listener = l;
    const held = this.held;
    this.held = [];
    for (const c of held) l.data(c);
    this.notify();
  }

  write(data: Buffer): void {
    if (!this.open) return;
    const copy = Buffer.from(data);
    this.net.deliver(this, () => this.peer?.receive(copy));
  }

  end(): void {
    if (!this.open) return;
    this.open = false;
    this.net.deliver(this, () => this.peer?.gone('connection closed by peer'));
    this.net.later(() => this.gone('connection closed'));
  }

  destroy(): void {
    if (!this.open) return;
    this.open = false;
    this.net.deliver(this, () => this.peer?.gone('connection reset by peer'));
    this.net.later(() => this.gone('connection destroyed'));
  }

  private receive(chunk: Buffer): void {
    if (this.closedReason !== undefined) return;
    if (this.listener) this.listener.data(chunk);
    else this.held.push(chunk);
  }

  gone(reason: string): void {
    this.open = false;
    if (this.closedReason === undefined) this.closedReason = reason;
    this.notify();
  }

  private notify(): void {
    if (this.notified || !this.listener || this.closedReason === undefined) return;
    this.notified = true;
    this.listener.closed(this.closedReason);
  }
}

export class MemoryNetwork {
  private readonly listeners = new Map<string, (s: BgpSocket) => void>();
  private readonly holes = new Set<string>();
  private nextPort = 40000;

  constructor(
    private readonly clock: Clock,
    readonly latencyMs = 1,
  ) {}

  listen(at: Endpoint, onAccept: (s: BgpSocket) => void): { close(): void } {
    const key = `${at.address}|${at.port}`;
    if (this.listeners.has(key)) throw new Error(`${at.address}:${at.port} is already listening`);
    this.listeners.set(key, onAccept);
    return { close: () => this.listeners.delete(key) };
  }

  /** Drops all traffic to and from address while on; connects to it hang. */
  blackhole(address: string, on: boolean): void {
    if (on) this.holes.add(address);
    else this.holes.delete(address);
  }

  /** A connected pair, as if a connected and b accepted. */
  pair(a: Endpoint, b: Endpoint): [BgpSocket, BgpSocket] {
    const sa = new MemorySocket(this, a, b);
    const sb = new MemorySocket(this, b, a);
    sa.peer = sb;
    sb.peer = sa;
    return [sa, sb];
  }

  connector(localAddress: string): Connector {
    return (req: ConnectRequest): PendingConnect => {
      let cancelled = false;
      const local = { address: req.localAddress ?? localAddress, port: this.nextPort++ };
      const promise = new Promise<BgpSocket>((resolve, reject) => {
        this.clock.setTimeout(() => {
          if (cancelled || this.holes.has(req.remote.address) || this.holes.has(local.address)) return;
          const accept = this.listeners.get(`${req.remote.address}|${req.remote.port}`);
          if (!accept) {
            reject(Object.assign(new Error(`connect ECONNREFUSED ${req.remote.address}:${req.remote.port}`), { code: 'ECONNREFUSED' }));
            return;
          }
          const [mine, theirs] = this.pair(local, req.remote);
          accept(theirs);
          resolve(mine);
        }, this.latencyMs);
      });
      return {
        promise,
        cancel: () => {
          cancelled = true;
        },
      };
    };
  }

  /** Runs fn after the latency unless either end of from's path is blackholed. */
  deliver(from: BgpSocket, fn: () => void): void {
    if (this.holes.has(from.local.address) || this.holes.has(from.remote.address)) return;
    this.clock.setTimeout(fn, this.latencyMs);
  }

  later(fn: () => void): void {
    this.clock.setTimeout(fn, 0);
  }
}
