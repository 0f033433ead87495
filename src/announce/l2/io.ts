// The I/O the announcer needs, as small interfaces: the real implementation
// is system-io.ts (AF_PACKET addon, raw-socket, rtnetlink); tests use an
// in-memory one. Everything here may throw errors carrying an errno `code`.

import type { SystemInterface } from './interfaces.js';
import type { L2Protocol } from './verdict.js';

export interface ErrnoLike extends Error {
  code?: string;
}

/** One link-layer socket on one interface, pre-filtered for one protocol's questions. */
export interface L2Port {
  /** Sends frame at once; the frame is only the caller's to keep (it is rewritten for the next one), so a port that keeps it copies it. */
  send(frame: Buffer): void;
  close(): void;
}

/** IPv6 multicast group memberships on one interface (the solicited-node groups). */
export interface MulticastMembership {
  join(group: string): void;
  leave(group: string): void;
  /** Called after a batch of joins and leaves: releases what the batch left unneeded (none by default). */
  settle?(): void;
  close(): void;
}

export interface L2Io {
  /** The current interfaces, in index order. */
  scan(): SystemInterface[];
  openPort(protocol: L2Protocol, iface: SystemInterface, onFrame: (frame: Buffer) => void, onError: (err: ErrnoLike) => void): L2Port;
  openMembership(iface: SystemInterface): MulticastMembership;
  /** Calls onChange (possibly batched) whenever links or addresses change. */
  watchLinks(onChange: () => void, onError: (err: ErrnoLike) => void): { close(): void };
}

export function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
