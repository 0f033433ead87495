// The BGP side of a speaker: every configured peer's session, the one
// listening socket they share, BFD for the peers that want it, routes per
// peer, status and metrics. Everything comes in as plain objects
// (PeerOptions, Route); the config adapter (config-adapter.ts) builds them
// from the MetalLB model.

import type { Registry } from 'prom-client';
import { ipKey } from '../net/index.js';
import { RealClock, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/log.js';
import { CeaseSubcode } from './messages/notification-codes.js';
import type { Route } from './advertise/route.js';
import { BfdManager } from './bfd/manager.js';
import { UdpBfdTransport, type BfdTransport } from './bfd/transport.js';
import type { BfdStateChange } from './bfd/session.js';
import { BgpSession, type StopOptions } from './fsm/session.js';
import { BgpMetrics } from './metrics.js';
import { BgpOptionsError, expectsInternal, resolvePeerOptions, type PeerOptions, type ResolvedPeerOptions } from './options.js';
import type { PeerStatus, SessionState } from './status.js';
import type { BgpSocket, Connector } from './transport/socket.js';
import { BgpListener, tcpConnector, type ListenerOptions } from './transport/tcp.js';

/** What the speaker needs from a listening socket; the in-memory tests provide their own. */
export interface PeerListener {
  start(): Promise<void>;
  setPassword(peerAddress: string, key: string | undefined): void;
  close(): Promise<void>;
}

export type ListenerFactory = (opts: ListenerOptions, onConnection: (socket: BgpSocket, setTtl: (ttl: number) => void) => void) => PeerListener;

export interface BgpSpeakerOptions {
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly logger?: Logger;
  /** Metrics are registered here when given. */
  readonly registry?: Registry;
  readonly now?: () => Date;
  /** Where peers connect to; false to only dial (passive peers then never come up). Default "::" port 179. */
  readonly listen?: ListenerOptions | false;
  readonly connector?: Connector;
  readonly listenerFactory?: ListenerFactory;
  /** Default: UDP 3784 through the native addon, created when the first peer with BFD appears. */
  readonly bfdTransport?: BfdTransport;
}

interface Peer {
  readonly options: ResolvedPeerOptions;
  readonly session: BgpSession;
  readonly key: string;
}

const realListener: ListenerFactory = (opts, onConnection) => {
  const l: BgpListener = new BgpListener(opts, (socket, raw) => onConnection(socket, (ttl) => l.setTtl(raw, ttl)));
  return l;
};

export class BgpSpeaker {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly metrics?: BgpMetrics;
  private readonly connector: Connector;
  private readonly peers = new Map<string, Peer>();
  private routes = new Map<string, readonly Route[]>();
  private listener?: PeerListener;
  /** Why the listener is not open, when it failed to. */
  listenError: string | undefined;
  private bfd?: BfdManager;
  private started = false;
  /** When this speaker (this process) was created: its first sessions are those of a restart. */
  private readonly createdAt: number;

  constructor(private readonly opts: BgpSpeakerOptions = {}) {
    this.clock = opts.clock ?? new RealClock();
    this.log = (opts.logger ?? silentLogger).child({ component: 'bgp' });
    this.metrics = opts.registry ? new BgpMetrics(opts.registry) : undefined;
    this.connector = opts.connector ?? tcpConnector(this.log);
    this.createdAt = this.clock.now();
  }

  /** Opens the listening socket and starts every peer set so far. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (this.opts.listen !== false) {
      const factory = this.opts.listenerFactory ?? realListener;
      const listener = factory(this.opts.listen ?? {}, (socket, setTtl) => this.incoming(socket, setTtl));
      for (const p of this.peers.values()) listener.setPassword(p.options.peerAddress, p.options.password);
      try {
        await listener.start();
        this.listener = listener;
      } catch (err) {
        // Port 179 taken (another BGP daemon on the node) or not allowed:
        // dial out anyway. Only passive peers, which wait for us to connect
        // to nothing, stay down; status says why.
        this.listenError = err instanceof Error ? err.message : String(err);
        this.log.error('BGP listener could not start; dialing out only', { error: this.listenError });
      }
    }
    for (const p of this.peers.values()) p.session.start();
  }

  /**
   * Declarative: the peers to have. Unchanged peers are left alone; changed
   * ones are restarted (Cease / Other Configuration Change), removed ones
   * closed (Cease / Peer De-configured). Peers with invalid options are
   * skipped; their problems are returned.
   */
  async setPeers(peers: readonly PeerOptions[]): Promise<string[]> {
    const problems: string[] = [];
    const wanted = new Map<string, ResolvedPeerOptions>();
    for (const p of peers) {
      try {
        const r = resolvePeerOptions(p);
        if (wanted.has(r.name)) problems.push(`peer "${r.name}" is listed more than once; the first is used`);
        else wanted.set(r.name, r);
      } catch (err) {
        if (err instanceof BgpOptionsError) problems.push(...err.problems);
        else throw err;
      }
    }
    const stops: Promise<void>[] = [];
    for (const [name, p] of this.peers) {
      const next = wanted.get(name);
      if (next && JSON.stringify(next) === p.key) continue;
      stops.push(this.removePeer(p, next ? CeaseSubcode.OTHER_CONFIGURATION_CHANGE : CeaseSubcode.PEER_DECONFIGURED));
    }
    await Promise.all(stops);
    for (const [name, options] of wanted) {
      if (!this.peers.has(name)) await this.addPeer(options);
    }
    return problems;
  }

  /** Declarative: the routes each peer (by name) should have; peers left out get none. Returns input problems per peer. */
  setRoutes(routes: ReadonlyMap<string, readonly Route[]> | Readonly<Record<string, readonly Route[]>>): Record<string, string[]> {
    this.routes = routes instanceof Map ? new Map(routes) : new Map(Object.entries(routes));
    const problems: Record<string, string[]> = {};
    for (const [name, p] of this.peers) {
      const errs = p.session.setRoutes(this.routes.get(name) ?? []);
      if (errs.length > 0) problems[name] = errs;
      this.updatePending(p);
    }
    return problems;
  }

  status(): PeerStatus[] {
    return [...this.peers.values()].map((p) => {
      const s = p.session.status();
      const bfd = p.options.bfd ? this.bfd?.status(p.options.peerAddress) : undefined;
      return bfd ? { ...s, bfd } : s;
    });
  }

  /**
   * Graceful shutdown: every peer gets its routes withdrawn and a Cease; BFD
   * goes AdminDown; the listener closes. Final: a speaker is not restarted.
   * With `restart` (a planned restart of the process), peers that
   * negotiated graceful restart only see the connection close and keep the
   * routes until the next process sends them again (StopOptions.restart).
   */
  async shutdown(opts: StopOptions = {}): Promise<void> {
    await Promise.all([...this.peers.values()].map((p) => p.session.stop(opts)));
    await this.bfd?.close();
    this.bfd = undefined;
    await this.listener?.close();
    this.listener = undefined;
    this.started = false;
  }

  private async addPeer(options: ResolvedPeerOptions): Promise<void> {
    const label = options.peerAddress;
    const session = new BgpSession(options, {
      clock: this.clock,
      connector: this.connector,
      ...(this.opts.random ? { random: this.opts.random } : {}),
      logger: this.log,
      ...(this.opts.now ? { now: this.opts.now } : {}),
      ...(options.gracefulRestart ? { restartingUntil: this.createdAt + options.gracefulRestart.restartTimeSeconds * 1000 } : {}),
      events: {
        stateChanged: (_p, _from, to: SessionState) => this.metrics?.sessionUp.set({ peer: label }, to === 'Established' ? 1 : 0),
        updatesSent: (_p, n) => this.metrics?.updatesSent.inc({ peer: label }, n),
        prefixesAdvertised: (_p, n) => {
          this.metrics?.announcedPrefixes.set({ peer: label }, n);
          const peer = this.peers.get(options.name);
          if (peer) this.updatePending(peer);
        },
        updateErrorReceived: (_p, handling) => this.metrics?.updateErrorsReceived.inc({ peer: label, handling }),
      },
    });
    const peer: Peer = { options, session, key: JSON.stringify(options) };
    this.peers.set(options.name, peer);
    this.metrics?.sessionUp.set({ peer: label }, 0);
    this.metrics?.announcedPrefixes.set({ peer: label }, 0);
    session.setRoutes(this.routes.get(options.name) ?? []);
    this.updatePending(peer);
    this.listener?.setPassword(options.peerAddress, options.password);
    if (options.bfd) await this.startBfd(peer);
    if (this.started) session.start();
  }

  private async removePeer(p: Peer, subcode: number): Promise<void> {
    this.peers.delete(p.options.name);
    if (p.options.bfd) this.bfd?.remove(p.options.peerAddress);
    const stillUsed = [...this.peers.values()].some((q) => q.options.peerAddress === p.options.peerAddress);
    if (!stillUsed) this.listener?.setPassword(p.options.peerAddress, undefined);
    await p.session.stop({ subcode });
    this.metrics?.forget(p.options.peerAddress);
  }

  private async startBfd(peer: Peer): Promise<void> {
    if (!this.bfd) {
      const transport = this.opts.bfdTransport ?? new UdpBfdTransport((err) => this.log.warn('BFD socket error', { error: err }));
      this.bfd = new BfdManager({
        clock: this.clock,
        transport,
        ...(this.opts.random ? { random: this.opts.random } : {}),
        logger: this.log,
        dropped: (reason) => this.metrics?.bfdDropped.inc({ reason }),
      });
    }
    const label = peer.options.peerAddress;
    const onChange = (c: BfdStateChange): void => {
      this.metrics?.bfdSessionUp.set({ peer: label }, c.to === 'Up' ? 1 : 0);
      if (c.to === 'Up') this.metrics?.bfdUpEvents.inc({ peer: label });
      if (c.from === 'Up') this.metrics?.bfdDownEvents.inc({ peer: label });
      // RFC 5882 3.2: the peer going AdminDown is not a path failure.
      if (c.from === 'Up' && c.to !== 'Up' && !c.remoteAdminDown && this.peers.get(peer.options.name) === peer) peer.session.bfdDown();
    };
    try {
      this.metrics?.bfdSessionUp.set({ peer: label }, 0);
      await this.bfd.add(
        label,
        peer.options.bfd!,
        {
          changed: onChange,
          counted: (dir) => (dir === 'in' ? this.metrics?.bfdPacketsIn : this.metrics?.bfdPacketsOut)?.inc({ peer: label }),
        },
        peer.options.sourceAddress,
      );
    } catch (err) {
      this.log.error('cannot start BFD', { peer: peer.options.name, error: err });
    }
  }

  private incoming(socket: BgpSocket, setTtl: (ttl: number) => void): void {
    const from = ipKey(socket.remote.address);
    const local = ipKey(socket.local.address);
    const peer = [...this.peers.values()].find((p) => p.options.peerAddress === from && (!p.options.sourceAddress || p.options.sourceAddress === local));
    if (!peer) {
      this.log.info('connection from an unknown address refused', { from, local });
      socket.destroy();
      return;
    }
    if (!expectsInternal(peer.options) && !peer.options.ebgpMultiHop) setTtl(1);
    peer.session.accept(socket);
  }

  private updatePending(p: Peer): void {
    if (!this.metrics) return;
    const s = p.session.status();
    this.metrics.pendingPrefixes.set({ peer: p.options.peerAddress }, Math.max(0, s.prefixesWanted - s.prefixesSent));
  }
}
