// One TCP connection of a BGP session, from the moment it is up: the
// OpenSent, OpenConfirm and Established states of RFC 4271 8.2.2, with the
// hold and keepalive timers. A session owns one of these (two while a
// connection collision is being resolved) and decides what a received OPEN
// means for it; everything else a connection handles itself.

import type { Clock, TimerHandle } from '../../util/clock.js';
import { MAX_MESSAGE_LENGTH, MessageType } from '../messages/constants.js';
import { encodeKeepalive } from '../messages/keepalive.js';
import type { MessageVerdict } from '../messages/message.js';
import { describeNotification, encodeNotification, type NotificationMessage } from '../messages/notification.js';
import { encodeOpen, type OpenMessage } from '../messages/open.js';
import { BgpStreamReader } from '../messages/reader.js';
import { ErrorCode, FsmSubcode } from '../messages/notification-codes.js';
import { formatWireError, wireError, type WireError } from '../messages/wire-error.js';
import type { UpdateMessage } from '../messages/update.js';
import type { BgpSocket } from '../transport/socket.js';
import { negotiate, type Negotiated } from './negotiate.js';
import { jittered, OPEN_HOLD_TIME_MS } from './timers.js';
import type { ResolvedPeerOptions } from '../options.js';

export type ConnectionState = 'OpenSent' | 'OpenConfirm' | 'Established' | 'Closed';
export type Direction = 'outbound' | 'inbound';

export interface NotificationRecord {
  readonly direction: 'sent' | 'received';
  readonly code: number;
  readonly subcode: number;
  readonly description: string;
}

export interface DownReason {
  readonly reason: string;
  readonly notification?: NotificationRecord;
}

export interface ConnectionOwner {
  /** The peer's OPEN passed the checks. Return false if the owner closed this connection (collision). */
  opened(c: Connection, n: Negotiated): boolean;
  /** The connection moved to OpenConfirm. */
  confirmed(c: Connection): void;
  established(c: Connection): void;
  update(c: Connection, m: UpdateMessage, v: Extract<MessageVerdict, { kind: 'message' }>): void;
  routeRefresh(c: Connection, afi: number, safi: number): void;
  /** The connection closed on its own account (error, peer, timer); not called for close()/abort(). */
  down(c: Connection, why: DownReason): void;
}

export interface ConnectionDeps {
  readonly clock: Clock;
  readonly random: () => number;
}

const fsmSubcode: Record<Exclude<ConnectionState, 'Closed'>, number> = {
  OpenSent: FsmSubcode.UNEXPECTED_IN_OPENSENT,
  OpenConfirm: FsmSubcode.UNEXPECTED_IN_OPENCONFIRM,
  Established: FsmSubcode.UNEXPECTED_IN_ESTABLISHED,
};

export class Connection {
  state: ConnectionState = 'OpenSent';
  negotiated?: Negotiated;
  readonly reader = new BgpStreamReader();
  private holdTimer?: TimerHandle;
  private keepaliveTimer?: TimerHandle;
  private holdMs = OPEN_HOLD_TIME_MS;
  private markGone!: () => void;
  /** Settles once the socket is closed, whoever closed it. */
  readonly gone = new Promise<void>((resolve) => {
    this.markGone = resolve;
  });

  constructor(
    readonly socket: BgpSocket,
    readonly direction: Direction,
    private readonly options: ResolvedPeerOptions,
    open: OpenMessage,
    private readonly owner: ConnectionOwner,
    private readonly deps: ConnectionDeps,
  ) {
    socket.setListener({ data: (chunk) => this.onData(chunk), closed: (reason) => this.onClosed(reason) });
    socket.write(encodeOpen(open));
    this.armHold();
  }

  /** Sends an UPDATE (or any message) and, as RFC 4271 8.2.2 says, restarts the keepalive timer. */
  send(message: Buffer): void {
    if (this.state === 'Closed') return;
    this.socket.write(message);
    if (this.state === 'Established') this.armKeepalive();
  }

  /** Sends the NOTIFICATION, if any, then closes gracefully. The owner gets no down(). */
  close(notification?: Pick<NotificationMessage, 'code' | 'subcode' | 'data'>): void {
    if (this.state === 'Closed') return;
    if (notification) this.socket.write(encodeNotification(notification));
    this.shut();
    this.socket.end();
  }

  /** Like close(), but drops the connection at once: for a path known to be dead. */
  abort(notification?: Pick<NotificationMessage, 'code' | 'subcode' | 'data'>): void {
    if (this.state === 'Closed') return;
    if (notification) this.socket.write(encodeNotification(notification));
    this.shut();
    this.socket.destroy();
  }

  get closed(): boolean {
    return this.state === 'Closed';
  }

  private shut(): void {
    this.state = 'Closed';
    this.deps.clock.clearTimeout(this.holdTimer);
    this.deps.clock.clearTimeout(this.keepaliveTimer);
  }

  private fail(error: WireError, answer: boolean): void {
    const n = { code: error.code, subcode: error.subcode, data: error.data };
    this.close(answer ? n : undefined);
    this.owner.down(this, {
      reason: formatWireError(error),
      ...(answer ? { notification: { direction: 'sent' as const, code: n.code, subcode: n.subcode, description: describeNotification(n) } } : {}),
    });
  }

  private onClosed(reason: string): void {
    this.markGone();
    if (this.state === 'Closed') return;
    this.shut();
    this.owner.down(this, { reason });
  }

  private armHold(): void {
    this.deps.clock.clearTimeout(this.holdTimer);
    if (this.holdMs === 0) return;
    this.holdTimer = this.deps.clock.setTimeout(() => {
      if (this.state === 'Closed') return;
      this.fail(wireError(ErrorCode.HOLD_TIMER_EXPIRED, 0, `no message from the peer for ${this.holdMs / 1000} s`), true);
    }, this.holdMs);
  }

  private armKeepalive(): void {
    this.deps.clock.clearTimeout(this.keepaliveTimer);
    const every = this.negotiated?.keepaliveMs ?? 0;
    if (every === 0) return;
    this.keepaliveTimer = this.deps.clock.setTimeout(() => {
      if (this.state === 'Closed') return;
      this.socket.write(encodeKeepalive());
      this.armKeepalive();
    }, jittered(every, this.deps.random));
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'Closed') return;
    this.reader.push(chunk);
    for (let v = this.reader.next(); v && !this.closed; v = this.reader.next()) this.onVerdict(v);
  }

  private onVerdict(v: MessageVerdict): void {
    if (v.kind === 'error') {
      this.fail(v.error, v.messageType !== MessageType.NOTIFICATION);
      return;
    }
    const m = v.message;
    if (m.type === 'notification') {
      this.close();
      this.owner.down(this, {
        reason: `peer sent ${describeNotification(m)}`,
        notification: { direction: 'received', code: m.code, subcode: m.subcode, description: describeNotification(m) },
      });
      return;
    }
    const state = this.state as Exclude<ConnectionState, 'Closed'>;
    const unexpected = (): void => this.fail(wireError(ErrorCode.FSM, fsmSubcode[state], `unexpected ${m.type.toUpperCase()} in ${state}`), true);
    if (state === 'OpenSent') {
      if (m.type !== 'open') return unexpected();
      const negotiated = negotiate(this.options, m);
      if (!negotiated.ok) return this.fail(negotiated.error, true);
      const n = negotiated.value;
      this.negotiated = n;
      if (!this.owner.opened(this, n)) return;
      this.reader.context = { fourOctetAs: n.fourOctetAs, ibgp: n.ibgp, maxLength: MAX_MESSAGE_LENGTH };
      this.state = 'OpenConfirm';
      this.holdMs = n.holdTimeSeconds * 1000;
      this.socket.write(encodeKeepalive());
      this.armKeepalive();
      this.armHold();
      this.owner.confirmed(this);
      return;
    }
    if (state === 'OpenConfirm') {
      if (m.type !== 'keepalive') return unexpected();
      this.state = 'Established';
      this.armHold();
      this.owner.established(this);
      return;
    }
    this.armHold();
    if (m.type === 'update') this.owner.update(this, m, v);
    else if (m.type === 'route-refresh') this.owner.routeRefresh(this, m.afi, m.safi);
    else if (m.type === 'open') unexpected();
  }
}
