// Loads the shoal_tcp native addon (native/tcp.cc), built by node-gyp at
// npm install. When it is missing, callers get one clear error saying how
// to build it instead of a bare MODULE_NOT_FOUND.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../../util/package-root.js';

export interface TcpConnectOptions {
  readonly address: string;
  readonly port: number;
  readonly localAddress?: string;
  readonly ttl?: number;
  readonly md5Key?: string;
}

export interface ShoalTcpAddon {
  TcpConnect: new (opts: TcpConnectOptions, done: (err: NodeJS.ErrnoException | null, fd?: number) => void) => { cancel(): void };
  UdpTtlSocket: new (
    opts: { address: string; port: number },
    onMessage: (data: Buffer, address: string, port: number, ttl: number) => void,
    onError: (err: NodeJS.ErrnoException) => void,
  ) => { close(): void };
  listenTcp(opts: { address: string; port: number; backlog?: number; ttl?: number }): number;
  setMd5(fd: number, peerAddress: string, key: string): void;
  setTtl(fd: number, ttl: number): void;
}

export class AddonMissingError extends Error {
  readonly code = 'ERR_SHOAL_ADDON_MISSING';
  constructor(detail: string) {
    super(`the shoal_tcp native addon is not built (run "npm install", or "npx node-gyp rebuild" in the package root): ${detail}`);
    this.name = 'AddonMissingError';
  }
}

let loaded: ShoalTcpAddon | AddonMissingError | undefined;

function load(): ShoalTcpAddon | AddonMissingError {
  const root = packageRoot();
  if (!root) return new AddonMissingError('no binding.gyp above ' + fileURLToPath(import.meta.url));
  const path = join(root, 'build', 'Release', 'shoal_tcp.node');
  if (!existsSync(path)) return new AddonMissingError(`${path} does not exist`);
  try {
    return createRequire(import.meta.url)(path) as ShoalTcpAddon;
  } catch (err) {
    return new AddonMissingError(`${path} failed to load: ${(err as Error).message}`);
  }
}

/** The addon, or throws AddonMissingError. */
export function tcpAddon(): ShoalTcpAddon {
  loaded ??= load();
  if (loaded instanceof AddonMissingError) throw loaded;
  return loaded;
}

export function tcpAddonError(): AddonMissingError | undefined {
  loaded ??= load();
  return loaded instanceof AddonMissingError ? loaded : undefined;
}
