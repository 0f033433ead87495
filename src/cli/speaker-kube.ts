// `shoal speaker` in Kubernetes mode: a DaemonSet pod on the host network.
// It watches Services, EndpointSlices, Nodes and the metallb.io
// configuration, gossips with the other speaker pods, announces the service
// IPs the election gives its node (layer 2) and advertises the ones it is
// eligible for to its BGP peers.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { announcementsSection, ipStatusResource } from '../announce/election-status.js';
import { BgpSpeaker } from '../bgp/speaker.js';
import { parseAddress, type Address } from '../cluster/address.js';
import { profileByName } from '../cluster/config.js';
import { DEFAULT_GOSSIP_PORT, launchMember, loadKeyring } from '../cluster/launch.js';
import { registerClusterMetrics } from '../cluster/metrics.js';
import { clusterStatusSection } from '../cluster/status.js';
import { CONFIG_SOURCE_MODES, type ConfigSourceMode } from '../kube/defaults.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { EventRecorder, referenceTo } from '../kube/events.js';
import { services } from '../kube/resources.js';
import { KubeWorld } from '../speaker/kube-world.js';
import { Speaker, type LocalOwnershipChange } from '../speaker/speaker.js';
import { bgpSection, layer2Section } from '../speaker/status.js';
import { StatusServer } from '../status/server.js';
import { RealClock } from '../util/clock.js';
import { createLogger, parseLogLevel, type Logger } from '../util/log.js';
import { joinThenAnnounce, logMemberEvents, startLayer2, type SpeakerFlags } from './speaker.js';
import { stopOnSignals } from './signals.js';
import { VERSION } from './version.js';

/** The gossip key: a file, or a mounted Secret directory holding "secretkey" (MetalLB's layout). */
export function gossipKeyPath(flag: string | undefined, env: Record<string, string | undefined>): string | undefined {
  const path = flag ?? env['SHOAL_ML_SECRET_KEY_PATH'] ?? env['METALLB_ML_SECRET_KEY_PATH'];
  if (!path) return undefined;
  try {
    if (statSync(path).isDirectory()) return join(path, 'secretkey');
  } catch {
    // not there (an optional Secret that does not exist): the caller says so
  }
  return path;
}

function describeChange(c: LocalOwnershipChange, node: string): { reason: string; message: string } {
  return c.taken
    ? { reason: 'nodeAssigned', message: `announcing from node "${node}" with protocol "layer2"` }
    : { reason: 'nodeUnassigned', message: `node "${node}" stopped announcing ${c.ip}${c.to ? `; "${c.to}" announces it now` : ''}` };
}

export async function runKubeSpeaker(flags: SpeakerFlags): Promise<void> {
  const node = flags.nodeName ?? process.env['NODE_NAME'];
  if (!node) throw new Error('no node name: pass --node-name or set NODE_NAME (the downward API field spec.nodeName)');
  if (!CONFIG_SOURCE_MODES.includes(flags.configSource as ConfigSourceMode)) throw new Error(`--config-source ${flags.configSource}: pick one of ${CONFIG_SOURCE_MODES.join(', ')}`);
  const log: Logger = createLogger({ level: parseLogLevel(flags.logLevel), fields: { node } });
  const clock = new RealClock();
  const { kubeConfig, source } = loadKubeConfig(flags.kubeconfig ? { kubeconfigPath: flags.kubeconfig } : {});
  log.info('speaker starting', { version: VERSION, kubeconfig: source, namespace: flags.namespace });

  const keyPath = gossipKeyPath(flags.gossipKeyFile, process.env);
  let keyring;
  if (keyPath && existsSync(keyPath)) keyring = await loadKeyring(keyPath);
  else log.warn('gossip is not encrypted: no key file', { path: keyPath ?? '(none given)' });

  const bind = parseAddress(flags.gossipBind, DEFAULT_GOSSIP_PORT);
  const podIP = process.env['POD_IP'];
  const advertise: Address | undefined = flags.advertise ? parseAddress(flags.advertise, bind.port) : podIP ? { host: podIP, port: bind.port } : undefined;
  const { cluster } = await launchMember({
    name: node,
    bind,
    ...(advertise ? { advertise } : {}),
    profile: profileByName(flags.gossipProfile),
    ...(keyring ? { keyring } : {}),
    meta: { version: VERSION },
    logger: log,
  });
  logMemberEvents(cluster, log);

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerClusterMetrics(cluster, registry);
  const world = new KubeWorld({
    kubeConfig,
    namespace: flags.namespace,
    node,
    configSource: flags.configSource as ConfigSourceMode,
    lbClass: flags.lbClass,
    peerSelector: flags.peerSelector,
    podIP,
    clock,
    logger: log,
    registry,
  });
  const l2 = startLayer2(flags.layer2, clock, log, registry);
  const bgpListen = parseAddress(flags.bgpListen, 179);
  const bgp = new BgpSpeaker({ clock, logger: log, registry, listen: { address: bgpListen.host, port: bgpListen.port } });
  const events = new EventRecorder(kubeConfig, { component: 'shoal-speaker', host: node, clock, logger: log });
  const speaker = new Speaker({
    node,
    cluster,
    world,
    clock,
    logger: log,
    registry,
    ...(l2 ? { l2 } : {}),
    bgp,
    secrets: () => world.passwords(),
    onLocalChange: (c) => {
      const { reason, message } = describeChange(c, node);
      for (const key of c.services) {
        const svc = world.service(key);
        if (svc) events.event(referenceTo(services, svc), 'Normal', reason, message);
      }
    },
  });

  const statusAddr = parseAddress(flags.status, 7473);
  const status = new StatusServer({
    host: statusAddr.host,
    port: statusAddr.port,
    registry,
    logger: log,
    sections: [
      clusterStatusSection(cluster),
      announcementsSection(() => speaker.result, node, speaker.tracker),
      layer2Section(() => l2?.status()),
      bgpSection(
        () => bgp.status(),
        () => [...speaker.problems, ...(bgp.listenError ? [`not listening for peers (${bgp.listenError}): passive peers cannot connect`] : [])],
      ),
      { name: 'config', json: () => ({ loaded: world.config !== undefined, errors: world.configErrors }), text: () => configText(world) },
    ],
    subResources: [ipStatusResource((ip) => (speaker.inputs ? speaker.election.explain(ip, speaker.inputs) : undefined))],
    unhealthy: () => (world.hasSynced ? undefined : 'informers have not listed yet'),
  });
  await status.start();
  log.info('status endpoint listening', { url: `http://${flags.status}/status` });

  world.start();
  await world.synced();
  log.info('informers synced', { config: world.config !== undefined });
  cluster.start();
  speaker.holdLayer2(true);
  speaker.start();
  const seeds = (): Address[] => world.seedHosts().map((host) => ({ host, port: bind.port }));
  world.onSeedsChange(() => {
    // A speaker that is still alone tries the new pods at once.
    if (cluster.liveMembers().length <= 1) void cluster.join(seeds());
  });
  const self = advertise ?? { host: '', port: bind.port };
  await joinThenAnnounce(cluster, speaker, seeds(), self, log);

  stopOnSignals(log, async () => {
    speaker.stop();
    // BGP first: routers move traffic to the other nodes (withdraw, then Cease).
    await bgp.shutdown({ message: 'shoal speaker stopping' });
    await cluster.leave(Number(flags.leaveTimeout));
    l2?.close();
    await Promise.all([world.stop(), events.close(), cluster.shutdown(), status.close()]);
  });
}

function configText(world: KubeWorld): string {
  const lines = [`config: ${world.config ? `loaded (${world.config.source}, ${world.config.pools.length} pool(s), ${world.config.peers.length} peer(s))` : 'none yet'}`];
  for (const e of world.configErrors) lines.push(`refused: ${e}`);
  return lines.join('\n');
}
