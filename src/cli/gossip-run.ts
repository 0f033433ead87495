// The process behind `shoal gossip` (loaded only when that command runs).
import { Registry, collectDefaultMetrics } from 'prom-client';
import { parseAddress } from '../net/index.js';
import { DEFAULT_GOSSIP_PORT, profileByName } from '../cluster/options.js';
import { launchMember, loadKeyring, resolveSeeds } from '../cluster/launch.js';
import { registerClusterMetrics } from '../cluster/metrics.js';
import { clusterStatusSection } from '../cluster/status.js';
import { parseListen, splitList, statusListen } from '../status/listen.js';
import { StatusServer } from '../status/server.js';
import { createLogger } from '../util/log.js';
import type { GossipFlags } from './gossip.js';
import { stopOnSignals } from './signals.js';
import { VERSION } from './version.js';

export async function runGossipMember(flags: GossipFlags): Promise<void> {
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
