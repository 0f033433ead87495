// How BFD packets move. Single-hop BFD (RFC 5881) listens on UDP 3784,
// sends from a source port in 49152..65535 that stays the same for the
// session, with TTL 255, and needs the TTL of what it receives (GTSM), which
// only the native addon can report.

import dgram from 'node:dgram';
import { ipFamily, type Family } from '../../net/index.js';
import { tcpAddon } from '../transport/addon.js';

export const BFD_CONTROL_PORT = 3784;
const SOURCE_PORT_MIN = 49152;
const SOURCE_PORT_MAX = 65535;

export interface BfdDatagram {
  readonly data: Buffer;
  readonly address: string;
  readonly port: number;
  /** Received TTL or hop limit; -1 when the socket could not tell. */
  readonly ttl: number;
}

export interface BfdSender {
  send(data: Buffer): void;
  close(): void;
}

export interface BfdTransport {
  /** Starts receiving on the control port for a family; calling again is a no-op. */
  listen(family: Family, onPacket: (d: BfdDatagram) => void): Promise<void>;
  openSender(peerAddress: string, localAddress?: string): Promise<BfdSender>;
  close(): Promise<void>;
}

/** The real transport: addon socket to receive with TTL, dgram sockets to send. */
export class UdpBfdTransport implements BfdTransport {
  private readonly receivers = new Map<Family, { close(): void }>();

  constructor(
    private readonly onError: (err: Error) => void = () => {},
    private readonly random: () => number = Math.random,
    private readonly port = BFD_CONTROL_PORT,
  ) {}

  async listen(family: Family, onPacket: (d: BfdDatagram) => void): Promise<void> {
    if (this.receivers.has(family)) return;
    const addon = tcpAddon();
    const sock = new addon.UdpTtlSocket(
      { address: family === 4 ? '0.0.0.0' : '::', port: this.port },
      (data, address, port, ttl) => onPacket({ data, address, port, ttl }),
      (err) => this.onError(err),
    );
    this.receivers.set(family, sock);
  }

  async openSender(peerAddress: string, localAddress?: string): Promise<BfdSender> {
    const type = ipFamily(peerAddress) === 6 ? 'udp6' : 'udp4';
    for (let attempt = 0; ; attempt++) {
      const port = SOURCE_PORT_MIN + Math.floor(this.random() * (SOURCE_PORT_MAX - SOURCE_PORT_MIN + 1));
      const sock = dgram.createSocket({ type, reuseAddr: false });
      try {
        await new Promise<void>((resolve, reject) => {
          sock.once('error', reject);
          sock.bind({ port, ...(localAddress ? { address: localAddress } : {}), exclusive: true }, () => {
            sock.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        sock.close();
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 50) continue;
        throw err;
      }
      sock.setTTL(255);
      sock.on('error', (err) => this.onError(err));
      const target = this.port;
      return {
        send: (data) => sock.send(data, target, peerAddress),
        close: () => sock.close(),
      };
    }
  }

  async close(): Promise<void> {
    for (const r of this.receivers.values()) r.close();
    this.receivers.clear();
  }
}
