// The real transport: UDP datagrams for probes and gossip, TCP for push-pull,
// both on the same port (7946 by default, as memberlist and MetalLB use).
// A TCP exchange is one length-prefixed request and one length-prefixed reply:
//   +-----------------+-------------+
//   | length (u32 BE) | body        |
//   +-----------------+-------------+
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createConnection, createServer, isIP, type Server, type Socket } from 'node:net';
import { silentLogger, type Logger } from '../util/log.js';
import { formatAddress, type Address } from './address.js';
import { TransportError, type Transport, type TransportHandlers } from './transport.js';

export interface NetTransportOptions {
  bindHost: string;
  /** 0 picks a free port (the same one for UDP and TCP). */
  bindPort: number;
  /** Largest stream body accepted; a longer claimed length closes the connection. */
  maxStreamBytes?: number;
  /** Inbound exchanges served at once; more are refused. */
  maxConcurrentStreams?: number;
  /** Time an inbound exchange may take to send its request. */
  streamTimeoutMs?: number;
  logger?: Logger;
}

export interface NetTransportStats {
  sendErrors: number;
  streamsRefused: number;
  streamsOversized: number;
}

/** Reads one length-prefixed body from a socket; rejects on EOF, oversize or error. */
function readFrame(sock: Socket, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let have = 0;
    let need = -1;
    const cleanup = (): void => {
      sock.off('data', onData);
      sock.off('end', onEnd);
      sock.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      have += chunk.length;
      if (need < 0 && have >= 4) {
        need = Buffer.concat(chunks).readUInt32BE(0);
        if (need > maxBytes) {
          cleanup();
          reject(new TransportError('oversized', `stream body of ${need} bytes exceeds ${maxBytes}`));
          return;
        }
      }
      if (need >= 0 && have >= 4 + need) {
        cleanup();
        resolve(Buffer.concat(chunks).subarray(4, 4 + need));
      }
    };
    const onEnd = (): void => {
      cleanup();
      reject(new TransportError('closed', `stream closed after ${have} bytes`));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(new TransportError('io', err.message));
    };
    sock.on('data', onData);
    sock.on('end', onEnd);
    sock.on('error', onError);
  });
}

function frame(body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.set(body, 4);
  return out;
}

/** "::ffff:192.0.2.1" (a v4 peer on a dual-stack socket) -> "192.0.2.1". */
function plainHost(host: string): string {
  return host.startsWith('::ffff:') && isIP(host.slice(7)) === 4 ? host.slice(7) : host;
}

export class NetTransport implements Transport {
  readonly stats: NetTransportStats = { sendErrors: 0, streamsRefused: 0, streamsOversized: 0 };
  private handlers: TransportHandlers | undefined;
  private activeStreams = 0;
  private readonly sockets = new Set<Socket>();
  private closed = false;

  private constructor(
    private readonly udp: UdpSocket,
    private readonly tcp: Server,
    readonly port: number,
    private readonly opts: Required<Omit<NetTransportOptions, 'logger'>>,
    private readonly log: Logger,
  ) {
    udp.on('message', (data, rinfo) => {
      if (this.closed) return;
      this.handlers?.packet({ host: plainHost(rinfo.address), port: rinfo.port }, data);
    });
    udp.on('error', (err) => this.log.warn('udp socket error', { error: err }));
    tcp.on('connection', (sock) => this.serve(sock));
    tcp.on('error', (err) => this.log.warn('tcp listener error', { error: err }));
  }

  static async listen(options: NetTransportOptions): Promise<NetTransport> {
    const opts = {
      bindHost: options.bindHost,
      bindPort: options.bindPort,
      maxStreamBytes: options.maxStreamBytes ?? 4 << 20,
      maxConcurrentStreams: options.maxConcurrentStreams ?? 16,
      streamTimeoutMs: options.streamTimeoutMs ?? 10_000,
    };
    const log = (options.logger ?? silentLogger).child({ component: 'gossip-transport' });
    const family = isIP(opts.bindHost);
    if (family === 0) throw new Error(`gossip bind address "${opts.bindHost}" is not an IP address`);
    // With port 0 the kernel picks a TCP port that UDP may not have free; retry a few times.
    for (let attempt = 0; ; attempt++) {
      const tcp = createServer({ pauseOnConnect: false });
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ host: opts.bindHost, port: opts.bindPort, exclusive: true }, () => {
          tcp.off('error', reject);
          resolve();
        });
      }).catch((err: unknown) => {
        throw new Error(`cannot listen on TCP ${formatAddress({ host: opts.bindHost, port: opts.bindPort })}: ${String(err)}`, { cause: err });
      });
      const addr = tcp.address();
      const port = typeof addr === 'object' && addr ? addr.port : opts.bindPort;
      const udp = createSocket({ type: family === 6 ? 'udp6' : 'udp4', reuseAddr: false });
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind({ address: opts.bindHost, port, exclusive: true }, () => {
            udp.off('error', reject);
            resolve();
          });
        });
        return new NetTransport(udp, tcp, port, opts, log);
      } catch (err) {
        udp.close();
        await new Promise<void>((r) => tcp.close(() => r()));
        if (opts.bindPort !== 0 || attempt >= 5) {
          throw new Error(`cannot bind UDP ${formatAddress({ host: opts.bindHost, port })}: ${String(err)}`, { cause: err });
        }
      }
    }
  }

  setHandlers(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  sendPacket(to: Address, data: Uint8Array): void {
    if (this.closed) return;
    this.udp.send(data, to.port, to.host, (err) => {
      if (err) {
        this.stats.sendErrors++;
        this.log.debug('udp send failed', { to: formatAddress(to), error: err });
      }
    });
  }

  exchange(to: Address, request: Uint8Array, timeoutMs: number): Promise<Buffer> {
    if (this.closed) return Promise.reject(new TransportError('closed', 'transport is closed'));
    return new Promise<Buffer>((resolve, reject) => {
      const sock = createConnection({ host: to.host, port: to.port });
      this.sockets.add(sock);
      let settled = false;
      const settle = (err: Error | undefined, reply?: Buffer): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        sock.destroy();
        this.sockets.delete(sock);
        if (err) reject(err);
        else resolve(reply!);
      };
      const timer = setTimeout(() => settle(new TransportError('timeout', `exchange with ${formatAddress(to)} timed out after ${timeoutMs} ms`)), timeoutMs);
      sock.once('error', (err: NodeJS.ErrnoException) => {
        const code = err.code === 'ECONNREFUSED' ? 'refused' : err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH' ? 'unreachable' : 'io';
        settle(new TransportError(code, `exchange with ${formatAddress(to)}: ${err.message}`));
      });
      sock.once('connect', () => {
        sock.write(frame(request));
        readFrame(sock, this.opts.maxStreamBytes).then(
          (reply) => settle(undefined, reply),
          (err: Error) => settle(err),
        );
      });
    });
  }

  private serve(sock: Socket): void {
    if (this.closed || this.activeStreams >= this.opts.maxConcurrentStreams) {
      this.stats.streamsRefused++;
      sock.destroy();
      return;
    }
    this.activeStreams++;
    this.sockets.add(sock);
    sock.on('error', () => {});
    const timer = setTimeout(() => sock.destroy(), this.opts.streamTimeoutMs);
    const from: Address = { host: plainHost(sock.remoteAddress ?? ''), port: sock.remotePort ?? 0 };
    readFrame(sock, this.opts.maxStreamBytes)
      .then(async (request) => {
        const reply = await this.handlers?.exchange(from, request);
        if (reply && !sock.destroyed) sock.end(frame(reply));
        else sock.destroy();
      })
      .catch((err: unknown) => {
        if (err instanceof TransportError && err.code === 'oversized') this.stats.streamsOversized++;
        sock.destroy();
      })
      .finally(() => {
        clearTimeout(timer);
        this.activeStreams--;
        this.sockets.delete(sock);
      });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sockets) s.destroy();
    await Promise.all([
      new Promise<void>((r) => this.udp.close(() => r())),
      new Promise<void>((r) => this.tcp.close(() => r())),
    ]);
  }
}
