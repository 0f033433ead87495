// Loader and types for the shoal_packet addon (native/packet.cc, built by
// node-gyp from binding.gyp during `npm install`). Loaded lazily so that code
// which never touches layer 2 (the controller, pure tests) runs without it.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../../util/package-root.js';

export interface NativeInterfaceInfo {
  name: string;
  index: number;
  /** IFF_* flags from SIOCGIFFLAGS. */
  flags: number;
  mtu: number;
  /** ARPHRD_* type: 1 Ethernet, 772 loopback, 65534 none (tun). */
  hwType: number;
  /** 6 bytes for Ethernet, empty otherwise. */
  mac: Buffer;
}

export interface NativePacketSocket {
  /** Sends one whole frame (Ethernet header included); returns the bytes sent or throws with an errno code. */
  send(frame: Buffer): number;
  /** Adds (true) or drops a PACKET_MR_ALLMULTI membership: every multicast frame passes the interface. */
  setAllMulticast(on: boolean): void;
  close(): void;
  readonly closed: boolean;
  readonly ifindex: number;
}

export interface NativeLinkWatcher {
  close(): void;
}

export interface ShoalPacketAddon {
  PacketSocket: new (
    ifname: string,
    ethertype: number,
    filter: Buffer | null,
    onFrame: (frame: Buffer) => void,
    onError: (err: Error) => void,
  ) => NativePacketSocket;
  LinkWatcher: new (onChange: () => void, onError: (err: Error) => void) => NativeLinkWatcher;
  interfaceInfo(name: string): NativeInterfaceInfo;
  listInterfaces(): NativeInterfaceInfo[];
}

export const IFF_UP = 0x1;
export const IFF_BROADCAST = 0x2;
export const IFF_LOOPBACK = 0x8;
export const IFF_RUNNING = 0x40;
export const IFF_NOARP = 0x80;
export const ARPHRD_ETHER = 1;

const ADDON_RELATIVE_PATH = join('build', 'Release', 'shoal_packet.node');

/**
 * Loads the addon built under root (default: this repository). Node's module
 * cache makes repeated calls cheap. Throws ERR_SHOAL_ADDON_NOT_BUILT, with the
 * command that fixes it, when the .node file is missing.
 */
export function loadPacketAddon(root: string | undefined = packageRoot()): ShoalPacketAddon {
  const path = root ? join(root, ADDON_RELATIVE_PATH) : undefined;
  if (!path || !existsSync(path)) {
    const err = new Error(
      `the shoal_packet native addon is not built (looked for ${path ?? ADDON_RELATIVE_PATH}); ` +
        'run `npm install` (it builds binding.gyp with node-gyp) or `npx node-gyp rebuild` in the repository root; ' +
        'it needs a C++ compiler, make, python3 and the Node headers',
    );
    throw Object.assign(err, { code: 'ERR_SHOAL_ADDON_NOT_BUILT' });
  }
  return createRequire(import.meta.url)(path) as ShoalPacketAddon;
}
