// What a BGP session needs from a TCP connection, small enough to fake in
// memory. The real implementation wraps net.Socket (connected by the native
// addon when MD5 or TTL options are needed, see tcp.ts).

import type { Socket } from 'node:net';
import { unmapIPv4 } from '../../net/index.js';

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

export interface SocketListener {
  data(chunk: Buffer): void;
  /** Called once, when the connection is gone for any reason. */
  closed(reason: string): void;
}

export interface BgpSocket {
  readonly local: Endpoint;
  readonly remote: Endpoint;
  /** Data received before a listener is set is held and handed over when it is. */
  setListener(l: SocketListener): void;
  write(data: Buffer): void;
  /** Sends what is queued, then closes (FIN). */
  end(): void;
  /** Closes at once, dropping what is queued. */
  destroy(): void;
}

export interface ConnectRequest {
  readonly remote: Endpoint;
  readonly localAddress?: string;
  /** IP_TTL / IPV6_UNICAST_HOPS for the connection's packets. */
  readonly ttl?: number;
  /** RFC 2385 TCP MD5 signature key. */
  readonly md5Key?: string;
}

/** A connection attempt in flight; cancel() abandons it and the promise never settles afterwards. */
export interface PendingConnect {
  readonly promise: Promise<BgpSocket>;
  cancel(): void;
}

export type Connector = (req: ConnectRequest) => PendingConnect;

/** Adapts a connected net.Socket. */
export class NetBgpSocket implements BgpSocket {
  readonly local: Endpoint;
  readonly remote: Endpoint;
  private listener?: SocketListener;
  private held: Buffer[] = [];
  private closedReason?: string;
  private notified = false;

  constructor(private readonly sock: Socket) {
    this.local = { address: unmapIPv4(sock.localAddress ?? ''), port: sock.localPort ?? 0 };
    this.remote = { address: unmapIPv4(sock.remoteAddress ?? ''), port: sock.remotePort ?? 0 };
    sock.setNoDelay(true);
    sock.on('data', (chunk: Buffer) => {
      if (this.listener) this.listener.data(chunk);
      else this.held.push(chunk);
    });
    let error: Error | undefined;
    sock.on('error', (err) => {
      error = err;
    });
    sock.on('close', () => {
      const code = (error as NodeJS.ErrnoException | undefined)?.code;
      this.closedReason = error ? `connection error${code ? ` ${code}` : ''}: ${error.message}` : 'connection closed';
      this.notifyClosed();
    });
  }

  setListener(l: SocketListener): void {
    this.listener = l;
    const held = this.held;
    this.held = [];
    for (const c of held) l.data(c);
    if (this.closedReason !== undefined) this.notifyClosed();
  }

  write(data: Buffer): void {
    if (!this.sock.destroyed && this.sock.writable) this.sock.write(data);
  }

  end(): void {
    if (this.sock.destroyed) return;
    this.sock.end();
    // A peer that never reads could keep a half-closed socket forever.
    this.sock.setTimeout(5000, () => this.sock.destroy());
  }

  destroy(): void {
    this.sock.destroy();
  }

  private notifyClosed(): void {
    if (this.notified || !this.listener || this.closedReason === undefined) return;
    this.notified = true;
    this.listener.closed(this.closedReason);
  }
}
