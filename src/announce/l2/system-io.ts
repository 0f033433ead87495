// The real L2Io: AF_PACKET sockets from the shoal_packet addon for both
// protocols, raw-socket's ICMPv6 socket for the solicited-node multicast
// joins, rtnetlink for link changes, ioctl + /sys + getifaddrs for the scan.
//
// Why the joins when NS frames are read through AF_PACKET anyway: joining
// makes the kernel program the NIC's multicast filter (without it a real NIC
// drops 33:33:ff:xx:xx:xx frames before any socket sees them) and send MLD
// reports, without which an MLD-snooping switch stops forwarding the group to
// this port at all.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { endianness, networkInterfaces } from 'node:os';
import { getSystemErrorMap } from 'node:util';

import { isLinkLocalIPv6, parseIP, writeIPv6 } from '../../net/index.js';
import { formatMac } from './mac.js';
import { assembleBpf, ARP_FILTER, DROP_ALL_FILTER, NEIGHBOR_DISCOVERY_FILTER } from './bpf.js';
import { ETHERTYPE_ARP, ETHERTYPE_IPV6 } from './ethernet.js';
import type { SystemInterface } from './interfaces.js';
import { MulticastGroups } from './multicast-groups.js';
import type { ErrnoLike, L2Io, L2Port, MulticastMembership } from './io.js';
import { ARPHRD_ETHER, IFF_BROADCAST, IFF_LOOPBACK, IFF_NOARP, IFF_RUNNING, IFF_UP, loadPacketAddon, type ShoalPacketAddon } from './native.js';
import type { L2Protocol } from './verdict.js';

// Linux socket option numbers raw-socket does not export.
const IPPROTO_IPV6 = 41;
const IPPROTO_ICMPV6 = 58;
const IPV6_ADD_MEMBERSHIP = 20;
const IPV6_DROP_MEMBERSHIP = 21;
const ICMP6_FILTER = 1;

/** The slice of raw-socket's API used here (it ships no types). */
interface RawSocket {
  setOption(level: number, option: number, value: Buffer, length: number): void;
  pauseRecv(): RawSocket;
  close(): RawSocket;
  on(event: 'error', fn: (err: Error) => void): RawSocket;
}
interface RawSocketModule {
  createSocket(opts: { addressFamily: number; protocol: number }): RawSocket;
  AddressFamily: { IPv6: number };
  Protocol: { ICMPv6: number };
}

let rawModule: RawSocketModule | undefined;
function rawSocket(): RawSocketModule {
  rawModule ??= createRequire(import.meta.url)('raw-socket') as RawSocketModule;
  return rawModule;
}

/**
 * strerror() texts worded differently from libuv's in getSystemErrorMap()
 * (libuv says "not enough memory").
 */
const GLIBC_ONLY_TEXTS: Readonly<Record<string, string>> = { 'cannot allocate memory': 'ENOMEM' };

/**
 * raw-socket throws plain Errors carrying only strerror() text; recover the
 * errno name from it so callers can match on `code` as for every other error.
 */
export function codeFromStrerror(message: string): string {
  const wanted = message.toLowerCase();
  const glibc = GLIBC_ONLY_TEXTS[wanted];
  if (glibc) return glibc;
  for (const [, [name, text]] of getSystemErrorMap()) {
    if (text.toLowerCase() === wanted) return name;
  }
  return 'EUNKNOWN';
}

function rawSocketError(err: unknown, what: string, ifname: string): ErrnoLike {
  const text = err instanceof Error ? err.message : String(err);
  const code = codeFromStrerror(text);
  const message =
    code === 'EPERM' || code === 'EACCES'
      ? `${what} on ${ifname} needs CAP_NET_RAW (run as root or grant the capability)`
      : code === 'ENODEV'
        ? `interface ${ifname} does not exist`
        : `${what} on ${ifname} failed: ${text}`;
  return Object.assign(new Error(message, { cause: err }), { code });
}

/** One ICMPv6 raw socket that only holds multicast memberships. */
class RawSocketMembership implements MulticastMembership {
  private readonly socket: RawSocket;

  constructor(private readonly iface: SystemInterface) {
    try {
      const raw = rawSocket();
      this.socket = raw.createSocket({ addressFamily: raw.AddressFamily.IPv6, protocol: raw.Protocol.ICMPv6 });
    } catch (err) {
      throw rawSocketError(err, 'ICMPv6 raw socket for multicast joins', iface.name);
    }
    // This socket exists only to hold memberships: block every ICMPv6 type so
    // the kernel queues nothing for it, and never poll it for reading.
    this.socket.on('error', () => {});
    try {
      this.socket.setOption(IPPROTO_ICMPV6, ICMP6_FILTER, Buffer.alloc(32, 0xff), 32);
    } catch (err) {
      this.socket.close();
      throw rawSocketError(err, 'ICMP6_FILTER', iface.name);
    }
    this.socket.pauseRecv();
  }

  join(group: string): void {
    this.membership(IPV6_ADD_MEMBERSHIP, group, 'IPV6_ADD_MEMBERSHIP');
  }

  leave(group: string): void {
    this.membership(IPV6_DROP_MEMBERSHIP, group, 'IPV6_DROP_MEMBERSHIP');
  }

  close(): void {
    this.socket.close();
  }

  private membership(option: number, group: string, what: string): void {
    // struct ipv6_mreq { struct in6_addr; int ifindex; }, the int in host order.
    const mreq = Buffer.alloc(20);
    writeIPv6(group, mreq, 0);
    if (endianness() === 'LE') mreq.writeInt32LE(this.iface.index, 16);
    else mreq.writeInt32BE(this.iface.index, 16);
    try {
      this.socket.setOption(IPPROTO_IPV6, option, mreq, mreq.length);
    } catch (err) {
      throw rawSocketError(err, `${what} ${group}`, this.iface.name);
    }
  }
}

const DROP_ALL_FILTER_CODE = assembleBpf(DROP_ALL_FILTER);

const PROTOCOL_SOCKETS: Record<L2Protocol, { ethertype: number; filter: Buffer }> = {
  arp: { ethertype: ETHERTYPE_ARP, filter: assembleBpf(ARP_FILTER) },
  ndp: { ethertype: ETHERTYPE_IPV6, filter: assembleBpf(NEIGHBOR_DISCOVERY_FILTER) },
};

function isLinkLocalText(text: string): boolean {
  const ip = parseIP(text, { mapped: 'keep' });
  return ip !== undefined && isLinkLocalIPv6(ip);
}

function linkLocalInterfaces(): Set<string> {
  const out = new Set<string>();
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (addrs?.some((a) => isLinkLocalText(a.address))) out.add(name);
  }
  return out;
}

function scanSystemInterfaces(addon: ShoalPacketAddon): SystemInterface[] {
  const withLinkLocal = linkLocalInterfaces();
  return addon.listInterfaces().map((n) => ({
    name: n.name,
    index: n.index,
    mac: n.hwType === ARPHRD_ETHER && n.mac.length === 6 ? formatMac(n.mac) : undefined,
    mtu: n.mtu,
    up: (n.flags & IFF_UP) !== 0,
    running: (n.flags & IFF_RUNNING) !== 0,
    loopback: (n.flags & IFF_LOOPBACK) !== 0,
    broadcast: (n.flags & IFF_BROADCAST) !== 0,
    noarp: (n.flags & IFF_NOARP) !== 0,
    hasMaster: existsSync(`/sys/class/net/${n.name}/master`),
    ipv6LinkLocal: withLinkLocal.has(n.name),
  }));
}

/** The production I/O. Throws ERR_SHOAL_ADDON_NOT_BUILT when the addon is missing. */
export function createSystemIo(): L2Io {
  const addon = loadPacketAddon();
  return {
    scan: () => scanSystemInterfaces(addon),
    openPort(protocol, iface, onFrame, onError): L2Port {
      const { ethertype, filter } = PROTOCOL_SOCKETS[protocol];
      const socket = new addon.PacketSocket(iface.name, ethertype, filter, onFrame, onError);
      return {
        send: (frame) => {
          socket.send(frame);
        },
        close: () => socket.close(),
      };
    },
    openMembership: (iface) =>
      new MulticastGroups({
        open: () => new RawSocketMembership(iface),
        openAllMulticast: () => {
          // A socket of its own that reads nothing: the membership lasts as long as it is open.
          const socket = new addon.PacketSocket(iface.name, ETHERTYPE_IPV6, DROP_ALL_FILTER_CODE, () => {}, () => {});
          try {
            socket.setAllMulticast(true);
          } catch (err) {
            socket.close();
            throw err;
          }
          return { close: () => socket.close() };
        },
      }),
    watchLinks: (onChange, onError) => new addon.LinkWatcher(onChange, onError),
  };
}
