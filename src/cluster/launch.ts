// Wiring a gossip member to the real network: bind UDP+TCP, work out the
// address to advertise, resolve seed names, load the key ring.
import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { RealClock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { familyFromName, formatAddress, ipFamily, isLinkLocalIPv6, parseAddress, parseIP, type Address, type Family } from '../net/index.js';
import { Cluster } from './cluster.js';
import { DEFAULT_GOSSIP_PORT, type ClusterOptions } from './options.js';
import { Keyring } from './keyring.js';
import { NetTransport } from './net-transport.js';


/** The first non-internal address of the wanted family, for a member bound to a wildcard. */
export function defaultAdvertiseHost(family: Family): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.internal || familyFromName(a.family) !== family) continue;
      const ip = parseIP(a.address, { mapped: 'keep' });
      // A link-local address needs a zone to be reached: not one to advertise.
      if (ip && !isLinkLocalIPv6(ip)) return a.address;
    }
  }
  throw new Error(`no non-loopback IPv${family} address to advertise; pass --advertise`);
}

/** Resolves "host:port" seeds (names allowed) to addresses, skipping ones that do not resolve. */
export async function resolveSeeds(seeds: readonly string[], log: Logger): Promise<Address[]> {
  const out: Address[] = [];
  for (const s of seeds) {
    const a = parseAddress(s, DEFAULT_GOSSIP_PORT);
    if (ipFamily(a.host) !== undefined) {
      out.push(a);
      continue;
    }
    try {
      for (const r of await lookup(a.host, { all: true })) out.push({ host: r.address, port: a.port });
    } catch (err) {
      log.warn('seed does not resolve', { seed: s, error: err });
    }
  }
  return out;
}

/**
 * Reads gossip keys, one per line, the first being primary; "#" starts a
 * comment. See Keyring.fromSecretText for how a line becomes a key.
 */
export async function loadKeyring(path: string): Promise<Keyring> {
  const text = await readFile(path, 'utf8');
  const keys = text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
  if (keys.length === 0) throw new Error(`${path}: no keys (expected one key per line, e.g. from \`openssl rand -base64 32\`)`);
  return Keyring.fromSecretText(keys);
}

export interface LaunchOptions extends Omit<ClusterOptions, 'advertiseHost' | 'advertisePort'> {
  bind: Address;
  advertise?: Address;
  logger: Logger;
}

export interface LaunchedMember {
  cluster: Cluster;
  transport: NetTransport;
  advertise: Address;
}

export async function launchMember(o: LaunchOptions): Promise<LaunchedMember> {
  const transport = await NetTransport.listen({ bindHost: o.bind.host, bindPort: o.bind.port, logger: o.logger });
  const wildcard = o.bind.host === '0.0.0.0' || o.bind.host === '::';
  const advertise: Address = o.advertise ?? {
    host: wildcard ? defaultAdvertiseHost(o.bind.host === '::' ? 6 : 4) : o.bind.host,
    port: transport.port,
  };
  const cluster = new Cluster({ ...o, advertiseHost: advertise.host, advertisePort: advertise.port }, { transport, clock: new RealClock(), logger: o.logger });
  o.logger.info('gossip member listening', { bind: formatAddress({ host: o.bind.host, port: transport.port }), advertise: formatAddress(advertise) });
  return { cluster, transport, advertise };
}
