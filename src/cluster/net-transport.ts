// The real transport: UDP datagrams for probes and gossip, TCP for push-pull,
// both on the same port (7946 by default, as memberlist and MetalLB use).
// A TCP exchange is one length-prefixed request and one length-prefixed reply:
//   +-----------------+-------------+
//   | length (u32 BE) | body        |
//   +-----------------+-------------+
// Inbound exchanges are served in a fixed number of slots. A slot is taken
// when the connection is accepted and given back when its socket closes,
// whichever way it ends (reply sent, timeout, reset, half-close, garbage,
// oversize claim), and a connection that has stopped moving bytes gives its
// slot up to a new one, so stalled peers cannot lock push-pull out.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { silentLogger, type Logger } from '../util/log.js';
import { formatAddress, ipFamily, unmapIPv4, type Address } from '../net/index.js';
import { TransportError, type StreamStats, type Transport, type TransportHandlers, type TransportStats } from './transport.js';
import { UdpDropCounter } from './udp-drops.js';

export interface NetTransportOptions {
  bindHost: string;
  /** 0 picks a free port (the same one for UDP and TCP). */
  bindPort: number;
  /** Largest stream body accepted; a longer claimed length closes the connection. */
  maxStreamBytes?: number;
  /** Inbound exchanges served at once. */
  maxConcurrentStreams?: number;
  /** Time an inbound exchange may take, from accept to close. */
  streamTimeoutMs?: number;
  /** An inbound exchange that moved no bytes for this long gives up its slot when another needs one. */
  streamIdleMs?: number;
  /** Receive buffer asked for the UDP socket, for bursts (memberlist asks for 2 MB). */
  udpReceiveBufferBytes?: number;
  logger?: Logger;
}

/** Reads one length-prefixed body from a socket; rejects on EOF, close, oversize or error. */
function readFrame(sock: Socket, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let have = 0;
    let need = -1;
    const cleanup = (): void => {
      sock.off('data', onData);
      sock.off('end', onEnd);
      sock.off('close', onEnd);
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
    // A socket destroyed here (timeout, preemption) emits only 'close'.
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
    sock.on('close', onEnd);
    sock.on('error', onError);
  });
}

function frame(body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.set(body, 4);
  return out;
}


type StreamEnd = 'answered' | 'timedOut' | 'preempted' | 'oversized' | 'incomplete';

/** One inbound exchange holding a slot. */
interface InboundStream {
  readonly sock: Socket;
  /** Last time bytes came in or the reply was handed to the kernel. */
  lastProgress: number;
  ended: StreamEnd | undefined;
}

export class NetTransport implements Transport {
  private readonly streams: StreamStats;
  private sendErrors = 0;
  private handlers: TransportHandlers | undefined;
  private readonly inbound = new Set<InboundStream>();
  private readonly sockets = new Set<Socket>();
  private closed = false;
  private readonly drops: UdpDropCounter;
  private readonly receiveBufferBytes: number | undefined;

  private constructor(
    private readonly udp: UdpSocket,
    private readonly tcp: Server,
    readonly port: number,
    private readonly opts: Required<Omit<NetTransportOptions, 'logger'>>,
    private readonly log: Logger,
  ) {
    this.streams = { active: 0, limit: opts.maxConcurrentStreams, accepted: 0, refused: 0, preempted: 0, timedOut: 0, oversized: 0, incomplete: 0, answered: 0 };
    this.drops = new UdpDropCounter(port, ipFamily(opts.bindHost) ?? 4);
    this.receiveBufferBytes = this.sizeReceiveBuffer();
    udp.on('message', (data, rinfo) => {
      if (this.closed) return;
      this.handlers?.packet({ host: unmapIPv4(rinfo.address), port: rinfo.port }, data);
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
      streamIdleMs: options.streamIdleMs ?? 1_000,
      udpReceiveBufferBytes: options.udpReceiveBufferBytes ?? 2 << 20,
    };
    const log = (options.logger ?? silentLogger).child({ component: 'gossip-transport' });
    const family = ipFamily(opts.bindHost);
    if (family === undefined) throw new Error(`gossip bind address "${opts.bindHost}" is not an IP address`);
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

  /**
   * Bursts (a flood of junk, or every member answering at once) must fit
   * in the socket's buffer, or the kernel drops probes and acks with them.
   * Linux caps the size at net.core.rmem_max and reports twice what it
   * grants (its own bookkeeping included).
   */
  private sizeReceiveBuffer(): number | undefined {
    const want = this.opts.udpReceiveBufferBytes;
    try {
      this.udp.setRecvBufferSize(want);
    } catch (err) {
      this.log.warn('cannot size the gossip UDP receive buffer', { requested: want, error: err });
    }
    let granted: number | undefined;
    try {
      granted = this.udp.getRecvBufferSize();
    } catch {
      return undefined;
    }
    if (granted < want) {
      this.log.warn('gossip UDP receive buffer is smaller than asked; raise net.core.rmem_max for bursts', { requested: want, granted });
    }
    return granted;
  }

  stats(): TransportStats {
    return {
      streams: { ...this.streams, active: this.inbound.size },
      udp: { receiveBufferRequested: this.opts.udpReceiveBufferBytes, receiveBufferBytes: this.receiveBufferBytes, kernelDrops: this.drops.read(), sendErrors: this.sendErrors },
    };
  }

  setHandlers(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  sendPacket(to: Address, data: Uint8Array): void {
    if (this.closed) return;
    this.udp.send(data, to.port, to.host, (err) => {
      if (err) {
        this.sendErrors++;
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
    sock.on('error', () => {});
    if (this.closed || (this.inbound.size >= this.opts.maxConcurrentStreams && !this.preemptIdle())) {
      this.streams.refused++;
      sock.destroy();
      return;
    }
    const s: InboundStream = { sock, lastProgress: performance.now(), ended: undefined };
    const end = (how: StreamEnd): void => {
      if (s.ended) return;
      s.ended = how;
      this.streams[how]++;
    };
    this.streams.accepted++;
    this.inbound.add(s);
    this.sockets.add(sock);
    const timer = setTimeout(() => {
      end('timedOut');
      sock.destroy();
    }, this.opts.streamTimeoutMs);
    // The one place a slot is given back: every way a connection ends closes its socket.
    sock.once('close', () => {
      clearTimeout(timer);
      this.inbound.delete(s);
      this.sockets.delete(sock);
    });
    sock.on('data', () => (s.lastProgress = performance.now()));
    const from: Address = { host: unmapIPv4(sock.remoteAddress ?? ''), port: sock.remotePort ?? 0 };
    readFrame(sock, this.opts.maxStreamBytes)
      .then(async (request) => {
        const reply = await this.handlers?.exchange(from, request);
        if (!reply || sock.destroyed) {
          end('incomplete');
          sock.destroy();
          return;
        }
        end('answered');
        sock.end(frame(reply), () => (s.lastProgress = performance.now()));
      })
      .catch((err: unknown) => {
        end(err instanceof TransportError && err.code === 'oversized' ? 'oversized' : 'incomplete');
        sock.destroy();
      });
  }

  /** Closes the inbound stream idle the longest, if one has been idle long enough; true when a slot was freed. */
  private preemptIdle(): boolean {
    const now = performance.now();
    let idlest: InboundStream | undefined;
    for (const s of this.inbound) if (now - s.lastProgress >= this.opts.streamIdleMs && (!idlest || s.lastProgress < idlest.lastProgress)) idlest = s;
    if (!idlest) return false;
    if (!idlest.ended) {
      idlest.ended = 'preempted';
      this.streams.preempted++;
    }
    // The slot is taken over now; the socket's close handler finds it gone.
    this.inbound.delete(idlest);
    idlest.sock.destroy();
    return true;
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
