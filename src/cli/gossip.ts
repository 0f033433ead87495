// `shoal gossip`: a gossip-only member with its status endpoint. The
// speaker embeds the same member; this command runs it alone (the demo
// cluster, and a check of the gossip layer on real hosts).
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { parseAddress } from '../net/index.js';
import { profileByName } from '../cluster/options.js';
import { DEFAULT_GOSSIP_PORT, launchMember, loadKeyring, resolveSeeds } from '../cluster/launch.js';
import { registerClusterMetrics } from '../cluster/metrics.js';
import { clusterStatusSection } from '../cluster/status.js';
import { parseListen, splitList, statusListen } from '../status/listen.js';
import { StatusServer } from '../status/server.js';
import { createLogger } from '../util/log.js';
import { stopOnSignals } from './signals.js';
import { VERSION } from './version.js';

interface GossipFlags {
  name: string;
  bind: string;
  advertise?: string;
  join: string[];
  profile: string;
  keyFile?: string;
  meta: string[];
  status?: string;
  leaveTimeout: string;
  lifeguard: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

export function registerGossipCommand(program: Command): void {
  program
    .command('gossip')
    .description('run a gossip-only member (SWIM + Lifeguard) with its status endpoint')
    .option('--name <name>', 'unique member name', hostname())
    .option('--bind <host:port>', 'gossip UDP+TCP bind address', `0.0.0.0:${DEFAULT_GOSSIP_PORT}`)
    .option('--advertise <host:port>', 'address other members reach this one at (default: the bind address, or the first non-loopback IPv4 when bound to a wildcard)')
    .option('--join <host:port,...>', 'seed members to join through (repeatable)', collect, [])
    .option('--profile <lan|fast>', 'timing profile', 'fast')
    .option('--key-file <path>', 'AES-256 gossip keys, base64, one per line, primary first')
    .option('--meta <key=value>', 'metadata to gossip (repeatable)', collect, [])
    .option('--status <host:port,...>', 'status/metrics HTTP listen addresses (default: the advertise address and 127.0.0.1, port 7473)')
    .option('--leave-timeout <ms>', 'how long a graceful leave may take on SIGTERM', '2000')
    .option('--no-lifeguard', 'turn the Lifeguard extensions off (for comparison only)')
    .action(async (flags: GossipFlags) => {
      await runGossipMember(flags);
    });
}

async function runGossipMember(flags: GossipFlags): Promise<void> {
  const log = createLogger({ fields: { member: flags.name } });
  const statusGiven = flags.status === undefined ? undefined : parseListen(splitList(flags.status), '--status');
  const meta: Record<string, string> = { version: VERSION };
  for (const kv of flags.meta) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new Error(`--meta "${kv}": expected key=value`);
    meta[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const keyring = flags.keyFile ? await loadKeyring(flags.keyFile) : undefined;
  const { cluster, advertise } = await launchMember({
    name: flags.name,
    bind: parseAddress(flags.bind, DEFAULT_GOSSIP_PORT),
    ...(flags.advertise ? { advertise: parseAddress(flags.advertise, DEFAULT_GOSSIP_PORT) } : {}),
    profile: profileByName(flags.profile),
    lifeguard: flags.lifeguard,
    ...(keyring ? { keyring } : {}),
    meta,
    logger: log,
  });
  cluster.onEvent((e) =>
    log.info('member event', { event: e.kind, node: e.member.name, state: e.member.state, previous: e.previous, incarnation: e.member.incarnation }),
  );
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerClusterMetrics(cluster, registry);
  const listen = statusListen(statusGiven, advertise.host);
  const status = new StatusServer({ listen, registry, sections: [clusterStatusSection(cluster)], logger: log });
  await status.start();
  log.info('status endpoint listening', { urls: status.urls() });
  cluster.start();
  const seeds = await resolveSeeds(flags.join, log);
  const n = await cluster.join(seeds);
  if (n > 0) log.info('joined', { seedsAnswered: n });
  else if (cluster.liveMembers().length <= 1 && seeds.some((s) => s.host !== advertise.host || s.port !== advertise.port)) {
    log.warn('no seed answered yet; retrying with backoff', { seeds: flags.join });
  }
  stopOnSignals(log, async () => {
    await cluster.leave(Number(flags.leaveTimeout));
    await cluster.shutdown();
    await status.close();
  });
}
