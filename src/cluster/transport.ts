// What the gossip protocol needs from the network: unreliable datagrams for
// probes and gossip, and one reliable request/response exchange (TCP in real
// use) for push-pull state sync. Implementations: net-transport.ts (UDP+TCP)
// and memory-transport.ts (simulated, with loss, delay and partitions).
import type { Address } from './address.js';

export interface TransportHandlers {
  /** A datagram arrived. Must not throw. */
  packet(from: Address, data: Buffer): void;
  /** A stream request arrived; the returned bytes are the reply (undefined: close without one). */
  exchange(from: Address, request: Buffer): Promise<Uint8Array | undefined>;
}

export interface Transport {
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
