// One BGP peer: the Idle, Connect and Active states of RFC 4271 8 (the
// later states live in Connection), connection collision resolution (6.8),
// retry backoff, and the routes advertised to the peer.
//
// After a failure the session goes through Idle straight to Active (as
// AutomaticStart_with_PassiveTcpEstablishment does): it accepts the peer's
// connection at once and dials again when the ConnectRetryTimer, grown by
// the backoff, expires. A passive session never dials.

import { parseIP } from '../../net/index.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { encodeNotification, shutdownCommunication } from '../messages/notification.js';
import { CeaseSubcode, ErrorCode } from '../messages/notification-codes.js';
import { afiName, familyOfAfi } from '../messages/mp-nlri.js';
import type { UpdateMessage } from '../messages/update.js';
import { endOfRib, encodeUpdate } from '../messages/update.js';
import type { MessageVerdict } from '../messages/message.js';
import { AdjRibOut } from '../advertise/rib-out.js';
import { outRoute, type OutRoute, type SessionView } from '../advertise/out-route.js';
import { normalizeRoutes, type NormalizedRoute, type Route } from '../advertise/route.js';
import { buildAnnouncements, buildUpdates, buildWithdraws } from '../advertise/updates.js';
import { resolvePeerOptions, sessionTtl, type PeerOptions, type ResolvedPeerOptions } from '../options.js';
import type { PeerStatus, SessionError, SessionState } from '../status.js';
import type { BgpSocket, Connector, PendingConnect } from '../transport/socket.js';
import { Connection, type ConnectionOwner, type DownReason } from './connection.js';
import { buildOpen, collisionWinner, type Negotiated } from './negotiate.js';
import { backoffMs } from './timers.js';

export interface SessionEvents {
  stateChanged?(peer: string, from: SessionState, to: SessionState): void;
  updatesSent?(peer: string, messages: number): void;
  prefixesAdvertised?(peer: string, count: number): void;
  updateErrorReceived?(peer: string, handling: string): void;
}

export interface SessionDeps {
  readonly clock: Clock;
  readonly connector: Connector;
  /** Jitter source; seeded in tests. */
  readonly random?: () => number;
  readonly logger?: Logger;
  readonly events?: SessionEvents;
  /** Wall clock for error timestamps. */
  readonly now?: () => Date;
  /**
   * Until this time (on `clock`), OPENs carry graceful restart's Restart
   * State bit: the speaker process has just started, so a peer may still
   * hold its predecessor's routes as stale. Default: never.
   */
  readonly restartingUntil?: number;
}

export interface StopOptions {
  /** Cease subcode: Administrative Shutdown (default), Peer De-configured, Other Configuration Change. */
  readonly subcode?: number;
  /** RFC 9003 shutdown communication. */
  readonly message?: string;
  /** Withdraw every route before the NOTIFICATION. Default true. */
  readonly withdraw?: boolean;
  /** How long to wait for the peer to take the close before dropping the connection. Default 3000. */
  readonly drainMs?: number;
  /**
   * A planned restart of this speaker. Where graceful restart was
   * negotiated (both sides advertised it),
   * nothing is withdrawn and no NOTIFICATION is sent: the TCP connection
   * just closes, so the peer keeps the routes, marked stale, for the
   * restart time (RFC 4724 4.2) while the next process comes up. Elsewhere
   * the stop is the usual withdraw-then-Cease.
   */
  readonly restart?: boolean;
}

type BaseState = 'Idle' | 'Connect' | 'Active';

export class BgpSession {
  readonly options: ResolvedPeerOptions;
  private readonly random: () => number;
  private readonly log: Logger;
  private running = false;
  private base: BaseState = 'Idle';
  private primary?: Connection;
  private shadow?: Connection;
  private pending?: PendingConnect;
  private connectTimer?: TimerHandle;
  private retryTimer?: TimerHandle;
  private failures = 0;
  private desired = new Map<string, NormalizedRoute>();
  private inputErrors: string[] = [];
  private skipped: string[] = [];
  private readonly ribOut = new AdjRibOut();
  private shownState: SessionState = 'Idle';
  private stateSince: number;
  private establishedAt?: number;
  private lastError?: SessionError;
  private updatesSent = 0;
  private updatesReceived = 0;
  private updateErrors = 0;

  constructor(options: PeerOptions | ResolvedPeerOptions, private readonly deps: SessionDeps) {
    // Options already resolved (they carry the derived family) are taken as they are.
    this.options = 'family' in options ? options : resolvePeerOptions(options);
    this.random = deps.random ?? Math.random;
    this.log = (deps.logger ?? silentLogger).child({ peer: this.options.name, peerAddress: this.options.peerAddress });
    this.stateSince = deps.clock.now();
  }

  get state(): SessionState {
    return this.primary && !this.primary.closed ? this.primary.state as SessionState : this.base;
  }

  /** ManualStart: dial now (or, when passive, wait for the peer). */
  start(): void {
    if (this.running) return;
    this.running = true;
    if (this.options.passive) this.base = 'Active';
    else this.dial();
    this.noteState();
  }

  /**
   * ManualStop, gracefully (RFC 4271 8.2.2 Event 2): withdraw what was
   * advertised, send Cease, close. Resolves once the connections are gone.
   */
  async stop(opts: StopOptions = {}): Promise<void> {
    this.running = false;
    this.clearDialing();
    const conns = [this.primary, this.shadow].filter((c): c is Connection => c !== undefined && !c.closed);
    const data = opts.message ? shutdownCommunication(opts.message) : Buffer.alloc(0);
    for (const c of conns) {
      if (opts.restart && c.state === 'Established' && this.peerKeepsRoutes(c)) {
        this.log.info('closing for a restart: the peer keeps the routes as stale (graceful restart)', { restartTime: this.options.gracefulRestart?.restartTimeSeconds });
        c.close();
        continue;
      }
      if (c.state === 'Established' && opts.withdraw !== false && this.ribOut.size > 0) {
        const msgs = buildWithdraws(this.ribOut.routes().map((r) => r.prefix), this.context(c));
        for (const m of msgs) c.send(m);
        this.countSent(msgs.length);
      }
      c.close({ code: ErrorCode.CEASE, subcode: opts.subcode ?? CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, data });
    }
    this.primary = undefined;
    this.shadow = undefined;
    this.lostRoutes();
    this.base = 'Idle';
    this.noteState();
    const drainMs = opts.drainMs ?? 3000;
    await Promise.all(
      conns.map(
        (c) =>
          new Promise<void>((resolve) => {
            const t = this.deps.clock.setTimeout(() => {
              c.socket.destroy();
              resolve();
            }, drainMs);
            void c.gone.then(() => {
              this.deps.clock.clearTimeout(t);
              resolve();
            });
          }),
      ),
    );
  }

  /**
   * Whether the peer will keep this session's routes when the connection
   * closes without a NOTIFICATION: both sides advertised graceful restart.
   * The peer keeps the families listed in our capability (RFC 4724 4.2);
   * the families in its own are those whose forwarding it preserves when
   * it restarts, so a helper-only peer (GoBGP's helper-only) lists none.
   */
  private peerKeepsRoutes(c: Connection): boolean {
    return this.options.gracefulRestart !== undefined && c.negotiated?.peerGracefulRestart !== undefined;
  }

  /** A connection the listener accepted from this peer's address. */
  accept(socket: BgpSocket): void {
    if (!this.running) {
      socket.destroy();
      return;
    }
    if (!this.primary) {
      // A dial in progress goes on: if it completes too, OPENs settle the collision (RFC 4271 6.8).
      this.deps.clock.clearTimeout(this.retryTimer);
      this.primary = this.connection(socket, 'inbound');
    } else if (!this.shadow && this.primary.state !== 'Established') {
      // RFC 4271 6.8: keep both until an OPEN tells which one survives.
      this.shadow = this.connection(socket, 'inbound');
    } else {
      this.log.info('refusing a second connection', { remote: socket.remote });
      socket.setListener({ data: () => {}, closed: () => {} });
      socket.write(encodeNotification({ code: ErrorCode.CEASE, subcode: CeaseSubcode.CONNECTION_COLLISION_RESOLUTION, data: Buffer.alloc(0) }));
      socket.end();
    }
    this.noteState();
  }

  /** BFD declared the path down: drop the session now (RFC 5882 3.2); it comes back through the FSM. */
  bfdDown(): void {
    const conns = [this.primary, this.shadow].filter((c): c is Connection => c !== undefined && !c.closed);
    if (conns.length === 0) return;
    for (const c of conns) c.abort({ code: ErrorCode.CEASE, subcode: CeaseSubcode.BFD_DOWN, data: Buffer.alloc(0) });
    this.primary = undefined;
    this.shadow = undefined;
    this.failed({ reason: 'BFD declared the path to the peer down' });
    this.noteState();
  }

  /** Declarative: the routes this peer should have. Returns problems with the input, also kept for status. */
  setRoutes(routes: readonly Route[]): string[] {
    const { routes: valid, errors } = normalizeRoutes(routes);
    this.desired = valid;
    this.inputErrors = errors;
    const c = this.primary;
    if (c?.state === 'Established') this.flush(c);
    return errors;
  }

  status(): PeerStatus {
    const c = this.primary && !this.primary.closed ? this.primary : undefined;
    const n = c?.negotiated;
    const now = this.deps.clock.now();
    return {
      name: this.options.name,
      peerAddress: this.options.peerAddress,
      peerPort: this.options.peerPort,
      localAsn: this.options.localAsn,
      ...(n ? { peerAsn: n.peerAsn } : this.options.peerAsn !== undefined ? { peerAsn: this.options.peerAsn } : {}),
      state: this.state,
      stateSeconds: Math.round((now - this.stateSince) / 1000),
      ...(this.establishedAt !== undefined && this.state === 'Established' ? { uptimeSeconds: Math.round((now - this.establishedAt) / 1000) } : {}),
      ...(c ? { localAddress: c.socket.local.address } : {}),
      ...(n
        ? { peerRouterId: n.peerRouterId, ibgp: n.ibgp, holdTimeSeconds: n.holdTimeSeconds, keepaliveSeconds: n.keepaliveMs / 1000, families: n.families.map(afiName) }
        : {}),
      prefixesSent: this.ribOut.size,
      prefixesWanted: this.desired.size + this.inputErrors.length,
      routeProblems: [...this.inputErrors, ...this.skipped],
      updatesSent: this.updatesSent,
      updatesReceived: this.updatesReceived,
      updateErrorsReceived: this.updateErrors,
      failures: this.failures,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  // What connections report back (ConnectionOwner).

  private readonly owner: ConnectionOwner = {
    opened: (c, n) => this.onOpened(c, n),
    confirmed: () => this.noteState(),
    established: (c) => this.onEstablished(c),
    update: (c, m, v) => this.onUpdate(c, m, v),
    routeRefresh: (c, afi, safi) => this.onRouteRefresh(c, afi, safi),
    down: (c, why) => this.onDown(c, why),
  };

  private onOpened(c: Connection, n: Negotiated): boolean {
    const other = c === this.primary ? this.shadow : this.primary;
    if (!other || other.closed) return true;
    let loser: Connection;
    if (c.direction === other.direction) {
      loser = c === this.shadow ? c : other;
    } else {
      const winner = collisionWinner({ routerId: this.options.routerId, asn: this.options.localAsn }, { routerId: n.peerRouterId, asn: n.peerAsn });
      loser = (winner === 'locally-initiated') === (c.direction === 'outbound') ? other : c;
    }
    this.log.info('connection collision resolved', { kept: loser === c ? other.direction : c.direction, peerRouterId: n.peerRouterId });
    loser.close({ code: ErrorCode.CEASE, subcode: CeaseSubcode.CONNECTION_COLLISION_RESOLUTION, data: Buffer.alloc(0) });
    if (loser === this.primary) this.primary = this.shadow;
    this.shadow = undefined;
    this.noteState();
    return loser !== c;
  }

  private onEstablished(c: Connection): void {
    if (c !== this.primary) return;
    if (this.shadow) {
      this.shadow.close({ code: ErrorCode.CEASE, subcode: CeaseSubcode.CONNECTION_COLLISION_RESOLUTION, data: Buffer.alloc(0) });
      this.shadow = undefined;
    }
    this.failures = 0;
    this.establishedAt = this.deps.clock.now();
    this.noteState();
    this.log.info('session established', { localAddress: c.socket.local.address, holdTime: c.negotiated?.holdTimeSeconds, families: c.negotiated?.families.map(afiName) });
    this.ribOut.clear();
    this.flush(c);
    for (const f of c.negotiated!.families) c.send(encodeUpdate(endOfRib(f), this.context(c)));
    this.countSent(c.negotiated!.families.length);
  }

  private onUpdate(_c: Connection, _m: UpdateMessage, v: Extract<MessageVerdict, { kind: 'message' }>): void {
    // shoal only advertises; what peers announce is checked (RFC 7606) and counted, not kept.
    this.updatesReceived++;
    if (v.handling !== 'ok') {
      this.updateErrors++;
      this.deps.events?.updateErrorReceived?.(this.options.name, v.handling);
      this.log.warn('malformed UPDATE from peer', { handling: v.handling, errors: v.errors.map((e) => e.reason) });
    }
  }

  private onRouteRefresh(c: Connection, afi: number, safi: number): void {
    const family = familyOfAfi(afi, safi);
    if (!family || !c.negotiated?.families.includes(family)) return;
    // RFC 2918 4: re-advertise the Adj-RIB-Out of that family.
    const msgs = buildAnnouncements(this.ribOut.routes().filter((r) => r.prefix.family === family), this.context(c));
    for (const m of msgs) c.send(m);
    this.countSent(msgs.length);
  }

  private onDown(c: Connection, why: DownReason): void {
    if (c === this.shadow) {
      this.shadow = undefined;
      return;
    }
    if (c !== this.primary) return;
    this.primary = undefined;
    if (this.shadow) {
      // The other connection of a collision carries on.
      this.primary = this.shadow;
      this.shadow = undefined;
      this.noteState();
      return;
    }
    this.failed(why);
    this.noteState();
  }

  // internals

  private connection(socket: BgpSocket, direction: 'inbound' | 'outbound'): Connection {
    const restarting = this.deps.restartingUntil !== undefined && this.deps.clock.now() < this.deps.restartingUntil;
    return new Connection(socket, direction, this.options, buildOpen(this.options, restarting && this.options.gracefulRestart !== undefined), this.owner, { clock: this.deps.clock, random: this.random });
  }

  private dial(): void {
    this.clearDialing();
    this.base = 'Connect';
    const o = this.options;
    const req = {
      remote: { address: o.peerAddress, port: o.peerPort },
      ttl: sessionTtl(o),
      ...(o.sourceAddress ? { localAddress: o.sourceAddress } : {}),
      ...(o.password ? { md5Key: o.password } : {}),
    };
    let attempt: PendingConnect;
    try {
      attempt = this.deps.connector(req);
    } catch (err) {
      this.connectFailed(err);
      return;
    }
    this.pending = attempt;
    this.connectTimer = this.deps.clock.setTimeout(() => {
      if (this.pending !== attempt) return;
      attempt.cancel();
      this.pending = undefined;
      if (!this.primary) this.connectFailed(new Error(`no connection within ${o.connectTimeoutMs} ms`));
      this.noteState();
    }, o.connectTimeoutMs);
    const settled = (): boolean => {
      if (this.pending !== attempt) return false;
      this.pending = undefined;
      this.deps.clock.clearTimeout(this.connectTimer);
      return true;
    };
    attempt.promise.then(
      (socket) => {
        if (!settled()) {
          socket.destroy();
          return;
        }
        if (!this.primary) this.primary = this.connection(socket, 'outbound');
        else if (!this.shadow && this.primary.state !== 'Established') this.shadow = this.connection(socket, 'outbound');
        else socket.destroy();
        this.noteState();
      },
      (err: unknown) => {
        if (!settled()) return;
        // A failed dial matters only when no accepted connection took its place.
        if (!this.primary) this.connectFailed(err);
        this.noteState();
      },
    );
  }

  private connectFailed(err: unknown): void {
    const e = err as NodeJS.ErrnoException;
    this.failed({ reason: `connect to ${this.options.peerAddress}:${this.options.peerPort} failed: ${e?.message ?? String(err)}` });
  }

  /** Any failure: record it, forget what was advertised, listen, and dial again after the backoff. */
  private failed(why: DownReason): void {
    this.failures++;
    this.lastError = { at: (this.deps.now?.() ?? new Date()).toISOString(), reason: why.reason, ...(why.notification ? { notification: why.notification } : {}) };
    this.log.warn('session down', { reason: why.reason, failures: this.failures });
    this.lostRoutes();
    this.clearDialing();
    if (!this.running) {
      this.base = 'Idle';
      return;
    }
    this.base = 'Active';
    if (this.options.passive) return;
    this.retryTimer = this.deps.clock.setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.running || this.primary) return;
      this.dial();
      this.noteState();
    }, backoffMs(this.failures, this.options.connectRetry, this.random));
  }

  private lostRoutes(): void {
    if (this.ribOut.size > 0) this.deps.events?.prefixesAdvertised?.(this.options.name, 0);
    this.ribOut.clear();
    this.skipped = [];
    this.establishedAt = undefined;
  }

  private clearDialing(): void {
    this.pending?.cancel();
    this.pending = undefined;
    this.deps.clock.clearTimeout(this.connectTimer);
    this.deps.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private context(c: Connection): { fourOctetAs: boolean; ibgp: boolean } {
    return { fourOctetAs: c.negotiated?.fourOctetAs ?? false, ibgp: c.negotiated?.ibgp ?? false };
  }

  private view(c: Connection): SessionView {
    const n = c.negotiated!;
    return { ibgp: n.ibgp, localAsn: this.options.localAsn, fourOctetAs: n.fourOctetAs, families: n.families, localAddress: parseIP(c.socket.local.address, { mapped: 'keep' }) };
  }

  /** Sends the difference between the desired routes and the Adj-RIB-Out. */
  private flush(c: Connection): void {
    const view = this.view(c);
    const want = new Map<string, OutRoute>();
    const skipped: string[] = [];
    for (const r of this.desired.values()) {
      const o = outRoute(r, view);
      if ('skip' in o) skipped.push(`${r.key}: ${o.skip}`);
      else want.set(r.key, o);
    }
    this.skipped = skipped;
    const changes = this.ribOut.diff(want);
    const msgs = buildUpdates(changes, this.context(c));
    for (const m of msgs) c.send(m);
    this.ribOut.commit(changes);
    this.countSent(msgs.length);
    if (msgs.length > 0) this.deps.events?.prefixesAdvertised?.(this.options.name, this.ribOut.size);
  }

  private countSent(n: number): void {
    if (n === 0) return;
    this.updatesSent += n;
    this.deps.events?.updatesSent?.(this.options.name, n);
  }

  private noteState(): void {
    const s = this.state;
    if (s === this.shownState) return;
    const from = this.shownState;
    this.shownState = s;
    this.stateSince = this.deps.clock.now();
    this.log.debug('state', { from, to: s });
    this.deps.events?.stateChanged?.(this.options.name, from, s);
  }
}
