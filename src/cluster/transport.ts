// What the gossip protocol needs from the network: unreliable datagrams for
// probes and gossip, and one reliable request/response exchange (TCP in real
// use) for push-pull state sync. Implementations: net-transport.ts (UDP+TCP)
// and dev/gossip-sim/memory-transport.ts (simulated, with loss, delay and
// partitions).
import type { Address } from '../net/index.js';

export interface TransportHandlers {
  /** A datagram arrived. Must not throw. */
  packet(from: Address, data: Buffer): void;
  /** A stream request arrived; the returned bytes are the reply (undefined: close without one). */
  exchange(from: Address, request: Buffer): Promise<Uint8Array | undefined>;
}

/** Inbound push-pull streams: how each one ended, and what is in use now. */
export interface StreamStats {
  /** Streams being served now, and the most served at once. */
  active: number;
  limit: number;
  accepted: number;
  /** Turned away: every slot busy with a stream that was making progress. */
  refused: number;
  /** Idle streams closed to make room for a new one. */
  preempted: number;
  /** Not done within the stream timeout. */
  timedOut: number;
  /** A length header over the limit. */
  oversized: number;
  /** The peer closed, half-closed or reset before its request was complete. */
  incomplete: number;
  /** Requests the handler answered. */
  answered: number;
}

export interface UdpStats {
  /** Receive buffer asked for and what the kernel granted (it may cap it at net.core.rmem_max). */
  receiveBufferRequested: number;
  receiveBufferBytes: number | undefined;
  /** Datagrams the kernel dropped on this socket (a full receive buffer), when it tells. */
  kernelDrops: number | undefined;
  sendErrors: number;
}

export interface TransportStats {
  streams: StreamStats;
  udp: UdpStats;
}

export interface Transport {
  /** Counters of the real network transport; the in-memory one has none. */
  stats?(): TransportStats;
  /** Best effort: errors are counted by the transport, never thrown. */
  sendPacket(to: Address, data: Uint8Array): void;
  /** Sends one request over a reliable stream and resolves with the reply. */
  exchange(to: Address, request: Uint8Array, timeoutMs: number): Promise<Buffer>;
  setHandlers(handlers: TransportHandlers): void;
  close(): Promise<void>;
}

export class TransportError extends Error {
  constructor(
    readonly code: 'timeout' | 'unreachable' | 'refused' | 'oversized' | 'closed' | 'io',
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}
