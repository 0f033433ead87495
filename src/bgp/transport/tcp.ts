// Real TCP for BGP: outgoing connections with RFC 2385 MD5 keys, TTL and
// source address set before the SYN (through the native addon), and one
// listening socket shared by all peers, carrying each peer's MD5 key.
// Without the addon, plain Node sockets still work for peers without a
// password; the TTL is then the system default and a warning says so.

import net from 'node:net';
import { silentLogger, type Logger } from '../../util/log.js';
import { tcpAddon, tcpAddonError } from './addon.js';
import { NetBgpSocket, type BgpSocket, type ConnectRequest, type Connector, type PendingConnect } from './socket.js';

function pendingFrom(start: (resolve: (s: BgpSocket) => void, reject: (e: Error) => void) => () => void): PendingConnect {
  let cancel: () => void = () => {};
  let cancelled = false;
  const promise = new Promise<BgpSocket>((resolve, reject) => {
    cancel = start(
      (s) => (cancelled ? s.destroy() : resolve(s)),
      (e) => {
        if (!cancelled) reject(e);
      },
    );
  });
  return {
    promise,
    cancel: () => {
      cancelled = true;
      cancel();
    },
  };
}

function nativeConnect(req: ConnectRequest): PendingConnect {
  const addon = tcpAddon();
  return pendingFrom((resolve, reject) => {
    const op = new addon.TcpConnect(
      {
        address: req.remote.address,
        port: req.remote.port,
        ...(req.localAddress ? { localAddress: req.localAddress } : {}),
        ...(req.ttl ? { ttl: req.ttl } : {}),
        ...(req.md5Key ? { md5Key: req.md5Key } : {}),
      },
      (err, fd) => {
        if (err || fd === undefined) {
          reject(err ?? new Error('connect finished without a socket'));
          return;
        }
        const sock = new net.Socket({ fd, readable: true, writable: true });
        resolve(new NetBgpSocket(sock));
      },
    );
    return () => op.cancel();
  });
}

function plainConnect(req: ConnectRequest): PendingConnect {
  return pendingFrom((resolve, reject) => {
    const sock = net.connect({ host: req.remote.address, port: req.remote.port, ...(req.localAddress ? { localAddress: req.localAddress } : {}) });
    const onError = (err: Error): void => reject(err);
    sock.once('error', onError);
    sock.once('connect', () => {
      sock.off('error', onError);
      resolve(new NetBgpSocket(sock));
    });
    return () => sock.destroy();
  });
}

/** Connects through the addon; without it, falls back to Node sockets for peers without a password. */
export function tcpConnector(logger: Logger = silentLogger): Connector {
  let warned = false;
  return (req) => {
    const missing = tcpAddonError();
    if (!missing) return nativeConnect(req);
    if (req.md5Key) throw missing;
    if (!warned) {
      warned = true;
      logger.warn('native addon missing: BGP connections use the default TTL', { error: missing.message });
    }
    return plainConnect(req);
  };
}

/** The fd under a net.Socket, which Node does not expose publicly. */
function socketFd(s: net.Socket): number | undefined {
  const fd = (s as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

export interface ListenerOptions {
  /** Default "::" (IPv4 peers arrive IPv4-mapped). */
  readonly address?: string;
  /** Default 179. */
  readonly port?: number;
  /** TTL of accepted connections until adjusted per peer. Default 255. */
  readonly ttl?: number;
}

/**
 * One listening socket for every peer (RFC 4271 8: port 179). Accepted
 * connections are handed to onConnection with their remote address; MD5
 * keys are set per peer on the listening socket, so a peer with a password
 * cannot even complete the handshake without it.
 */
export class BgpListener {
  private server?: net.Server;
  private fd?: number;
  private readonly keys = new Map<string, string>();
  readonly address: string;
  private readonly requestedPort: number;
  private readonly ttl: number;

  constructor(
    opts: ListenerOptions,
    private readonly onConnection: (socket: BgpSocket, raw: net.Socket) => void,
    private readonly logger: Logger = silentLogger,
  ) {
    this.address = opts.address ?? '::';
    this.requestedPort = opts.port ?? 179;
    this.ttl = opts.ttl ?? 255;
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    const a = this.server?.address();
    return typeof a === 'object' && a ? a.port : this.requestedPort;
  }

  async start(): Promise<void> {
    const server = net.createServer({ pauseOnConnect: false }, (s) => {
      s.on('error', () => {});
      this.onConnection(new NetBgpSocket(s), s);
    });
    server.on('error', (err) => this.logger.error('BGP listener error', { error: err }));
    const missing = tcpAddonError();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (missing) {
        this.logger.warn('native addon missing: listening without MD5 support', { error: missing.message });
        server.listen({ host: this.address, port: this.requestedPort, ipv6Only: false }, () => resolve());
      } else {
        this.fd = tcpAddon().listenTcp({ address: this.address, port: this.requestedPort, ttl: this.ttl });
        server.listen({ fd: this.fd }, () => resolve());
      }
    });
    this.server = server;
    for (const [peer, key] of this.keys) this.applyKey(peer, key);
  }

  /** Sets (or with undefined removes) the MD5 key the listening socket requires from peer. */
  setPassword(peerAddress: string, key: string | undefined): void {
    const had = this.keys.get(peerAddress);
    if (had === key) return;
    if (key === undefined) this.keys.delete(peerAddress);
    else this.keys.set(peerAddress, key);
    if (this.server) this.applyKey(peerAddress, key ?? '');
  }

  private applyKey(peerAddress: string, key: string): void {
    if (this.fd === undefined) {
      if (key) throw tcpAddonError() ?? new Error('listener has no native socket for MD5 keys');
      return;
    }
    tcpAddon().setMd5(this.fd, peerAddress, key);
  }

  /** Sets the TTL of an accepted connection (1 for single-hop eBGP). */
  setTtl(raw: net.Socket, ttl: number): void {
    const fd = socketFd(raw);
    if (fd === undefined || tcpAddonError()) return;
    try {
      tcpAddon().setTtl(fd, ttl);
    } catch (err) {
      this.logger.warn('could not set TTL of an accepted BGP connection', { error: err });
    }
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    this.fd = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
