// An in-memory L2Io: interfaces the test edits, ports that record what was
// sent and let the test deliver frames, memberships that behave like the
// kernel's (double join and stray leave fail).

import type { SystemInterface } from '../../../src/announce/l2/interfaces.js';
import type { ErrnoLike, L2Io, L2Port, MulticastMembership } from '../../../src/announce/l2/io.js';
import type { L2Protocol } from '../../../src/announce/l2/verdict.js';

export function errno(code: string, message = code): ErrnoLike {
  return Object.assign(new Error(message), { code });
}

export class FakePort implements L2Port {
  readonly sent: Buffer[] = [];
  closed = false;
  failSends: ErrnoLike | undefined;
  /** Sends still to refuse with EAGAIN, as a full socket queue would. */
  refuseSends = 0;
  /** Told of every frame sent. */
  onSend: ((frame: Buffer) => void) | undefined;

  constructor(
    readonly onFrame: (frame: Buffer) => void,
    readonly onError: (err: ErrnoLike) => void,
  ) {}

  send(frame: Buffer): void {
    if (this.closed) throw errno('EBADF', 'closed');
    if (this.failSends) throw this.failSends;
    if (this.refuseSends > 0) {
      this.refuseSends--;
      throw errno('EAGAIN', 'Resource temporarily unavailable');
    }
    // The announcer rewrites its gratuitous frames in place, as the kernel copies them: keep a copy.
    const copy = Buffer.from(frame);
    this.sent.push(copy);
    this.onSend?.(copy);
  }

  close(): void {
    this.closed = true;
  }
}

export class FakeMembership implements MulticastMembership {
  readonly groups = new Set<string>();
  closed = false;
  /** Batches ended (settle() calls), and the groups held at each. */
  readonly settled: string[][] = [];
  /** The errno code every join fails with while set, as a socket out of option memory would (the message names the group, as raw-socket's does). */
  failJoins: string | undefined;
  /** Joins tried, failed ones included. */
  joinAttempts = 0;

  join(group: string): void {
    this.joinAttempts++;
    if (this.failJoins) throw errno(this.failJoins, `IPV6_ADD_MEMBERSHIP ${group} failed`);
    if (this.groups.has(group)) throw errno('EADDRINUSE');
    this.groups.add(group);
  }

  leave(group: string): void {
    if (!this.groups.delete(group)) throw errno('EADDRNOTAVAIL');
  }

  settle(): void {
    this.settled.push([...this.groups]);
  }

  close(): void {
    this.closed = true;
    this.groups.clear();
  }
}

let nextIndex = 10;

export function fakeInterface(name: string, over: Partial<SystemInterface> = {}): SystemInterface {
  const index = nextIndex++;
  return {
    name,
    index,
    mac: `02:00:00:00:01:${index.toString(16).padStart(2, '0')}`,
    mtu: 1500,
    up: true,
    running: true,
    loopback: false,
    broadcast: true,
    noarp: false,
    hasMaster: false,
    ipv6LinkLocal: true,
    ...over,
  };
}

export class FakeIo implements L2Io {
  interfaces: SystemInterface[] = [];
  /** Every port ever opened, by "protocol/interface", newest last. */
  readonly opened = new Map<string, FakePort[]>();
  readonly memberships = new Map<string, FakeMembership>();
  /** "protocol/interface" -> the error openPort throws there. */
  readonly openFailures = new Map<string, ErrnoLike>();
  scans = 0;
  /** Told of every port opened, before anything is sent on it. */
  onOpen: ((port: FakePort, protocol: L2Protocol, iface: string) => void) | undefined;
  private onLinkChange: (() => void) | undefined;

  scan(): SystemInterface[] {
    this.scans++;
    return this.interfaces.map((i) => ({ ...i }));
  }

  openPort(protocol: L2Protocol, iface: SystemInterface, onFrame: (frame: Buffer) => void, onError: (err: ErrnoLike) => void): L2Port {
    const key = `${protocol}/${iface.name}`;
    const failure = this.openFailures.get(key);
    if (failure) throw failure;
    const port = new FakePort(onFrame, onError);
    this.onOpen?.(port, protocol, iface.name);
    this.opened.set(key, [...(this.opened.get(key) ?? []), port]);
    return port;
  }

  /** Makes the membership of an interface; default a FakeMembership. */
  membershipFactory: ((iface: SystemInterface) => MulticastMembership) | undefined;

  openMembership(iface: SystemInterface): MulticastMembership {
    if (this.membershipFactory) return this.membershipFactory(iface);
    const m = new FakeMembership();
    this.memberships.set(iface.name, m);
    return m;
  }

  watchLinks(onChange: () => void): { close(): void } {
    this.onLinkChange = onChange;
    return { close: () => (this.onLinkChange = undefined) };
  }

  /** Simulates an rtnetlink event. */
  linkChanged(): void {
    this.onLinkChange?.();
  }

  /** The open port for protocol on iface; throws when there is none. */
  port(protocol: L2Protocol, iface: string): FakePort {
    const p = this.opened.get(`${protocol}/${iface}`)?.at(-1);
    if (!p || p.closed) throw new Error(`no open ${protocol} port on ${iface}`);
    return p;
  }

  isOpen(protocol: L2Protocol, iface: string): boolean {
    const p = this.opened.get(`${protocol}/${iface}`)?.at(-1);
    return p !== undefined && !p.closed;
  }
}
