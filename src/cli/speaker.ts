// `shoal speaker`: the per-node process. With --config FILE it runs in file
// mode (static VIPs, no Kubernetes); without, in Kubernetes mode.
import type { Command } from 'commander';
import type { Registry } from 'prom-client';
import { DEFAULT_GOSSIP_PORT } from '../cluster/launch.js';
import { DEFAULT_NAMESPACE } from '../kube/defaults.js';
import type { Address } from '../cluster/address.js';
import type { Cluster } from '../cluster/cluster.js';
import { Announcer, createSystemIo } from '../announce/l2/index.js';
import type { Speaker } from '../speaker/speaker.js';
import { CAP_NET_RAW, hasCapability } from '../util/caps.js';
import type { RealClock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { fileLimitOptions, type FileLimitFlags } from './file-limits.js';

export type Layer2Mode = 'auto' | 'on' | 'off';

export interface SpeakerFlags extends FileLimitFlags {
  config?: string;
  layer2: string;
  leaveTimeout: string;
  kubeconfig?: string;
  namespace: string;
  nodeName?: string;
  advertise?: string;
  gossipBind: string;
  gossipProfile: string;
  gossipKeyFile?: string;
  insecureGossip?: boolean;
  peerSelector: string;
  lbClass?: string;
  configSource: string;
  status?: string;
  statusAllow?: string;
  bgpListen: string;
  logLevel: string;
}

export function registerSpeakerCommand(program: Command): void {
  const [maxVips, maxNameLength, maxFileSize] = fileLimitOptions('file mode: ');
  program
    .command('speaker')
    .description('run the per-node speaker: gossip, election, ARP/NDP (and BGP in Kubernetes mode)')
    .option('--config <file>', 'file mode: a YAML file with this host, its gossip seeds and the VIPs (see docs/speaker.md); without it, Kubernetes mode')
    .option('--layer2 <auto|on|off>', 'answer ARP/NDP: auto does when the process has CAP_NET_RAW', 'auto')
    .option('--leave-timeout <ms>', 'how long a graceful leave may take on SIGTERM', '2000')
    .option('--kubeconfig <path>', 'Kubernetes mode: kubeconfig file (default: in-cluster, then $KUBECONFIG, then ~/.kube/config)')
    .option('--namespace <ns>', "Kubernetes mode: shoal's namespace (configuration, Secrets, speaker pods)", process.env['POD_NAMESPACE'] ?? process.env['METALLB_NAMESPACE'] ?? DEFAULT_NAMESPACE)
    .option('--node-name <name>', 'Kubernetes mode: this node (default: $NODE_NAME from the downward API)')
    .option('--advertise <host:port>', 'Kubernetes mode: gossip address other speakers reach (default: $POD_IP and the bind port)')
    .option('--gossip-bind <host:port>', 'Kubernetes mode: gossip UDP+TCP bind address', `0.0.0.0:${DEFAULT_GOSSIP_PORT}`)
    .option('--gossip-profile <lan|fast>', 'Kubernetes mode: gossip timing profile', 'fast')
    .option('--gossip-key-file <path>', 'Kubernetes mode: gossip key file or directory holding "secretkey" (default: $SHOAL_ML_SECRET_KEY_PATH or $METALLB_ML_SECRET_KEY_PATH)')
    .option('--insecure-gossip', 'Kubernetes mode: gossip unencrypted when there is no key (without this flag the speaker refuses to start)')
    .option('--peer-selector <selector>', 'Kubernetes mode: label selector of the speaker pods (gossip seeds)', 'app.kubernetes.io/name=shoal,app.kubernetes.io/component=speaker')
    .option('--lb-class <class>', 'Kubernetes mode: handle only services of this loadBalancerClass (default: only services without one)')
    .option('--config-source <auto|crd|configmap>', 'Kubernetes mode: metallb.io objects, the legacy ConfigMap, or whichever exists', 'auto')
    .option('--status <host:port,...>', 'Kubernetes mode: status/metrics HTTP listen addresses (default: the gossip advertise address and 127.0.0.1, port 7473)')
    .option('--status-allow <cidr,...>', 'Kubernetes mode: serve status/metrics only to these sources and the host itself (default: every source)')
    .option('--bgp-listen <host:port>', 'Kubernetes mode: where BGP peers may connect (opened with the first peer)', '[::]:179')
    .addOption(maxVips)
    .addOption(maxNameLength)
    .addOption(maxFileSize)
    .option('--log-level <level>', 'debug, info, warn or error', process.env['SHOAL_LOG_LEVEL'] ?? 'info')
    .action(async (flags: SpeakerFlags) => {
      if (flags.config) {
        const { runFileSpeaker } = await import('./speaker-file.js');
        await runFileSpeaker(flags);
      } else {
        const { runKubeSpeaker } = await import('./speaker-kube.js');
        await runKubeSpeaker(flags);
      }
    });
}

/** Starts the layer-2 responder per --layer2, or explains why not. */
export interface Layer2Schedules {
  arpScheduleMs?: readonly number[] | undefined;
  ndpScheduleMs?: readonly number[] | undefined;
}

export function startLayer2(mode: string, clock: RealClock, log: Logger, registry: Registry, schedules: Layer2Schedules = {}): Announcer | undefined {
  if (mode !== 'auto' && mode !== 'on' && mode !== 'off') throw new Error(`--layer2 ${mode}: expected auto, on or off`);
  if (mode === 'off') return undefined;
  if (mode === 'auto' && !hasCapability(CAP_NET_RAW)) {
    log.warn('layer 2 is off: the process lacks CAP_NET_RAW, so the election runs but nothing answers ARP/NDP (run as root, add the capability, or pass --layer2 on to fail loudly)');
    return undefined;
  }
  const l2 = new Announcer({
    io: createSystemIo(),
    clock,
    logger: log,
    registry,
    ...(schedules.arpScheduleMs ? { arpScheduleMs: schedules.arpScheduleMs } : {}),
    ...(schedules.ndpScheduleMs ? { ndpScheduleMs: schedules.ndpScheduleMs } : {}),
    onEvent: (e) => {
      if (e.type === 'gratuitous' || e.type === 'announce' || e.type === 'withdraw') log.debug(`layer2 ${e.type}`, { protocol: e.protocol, interface: e.interface, ip: e.ip });
    },
  });
  l2.start();
  return l2;
}

/** Membership changes in the log, for operators and for the failover benchmark's timeline. */
export function logMemberEvents(cluster: Cluster, log: Logger): void {
  cluster.onEvent((e) =>
    log.info('member event', { event: e.kind, member: e.member.name, state: e.member.state, previous: e.previous, incarnation: e.member.incarnation }),
  );
}

/** How long a speaker whose seeds do not answer waits before it concludes it is alone and announces. */
export const JOIN_GRACE_MS = 10_000;

/**
 * Joins through the seeds and releases layer 2 once another member answered
 * or, failing that, after JOIN_GRACE_MS (the first speaker of a cluster, or
 * one cut off from the rest, still has to announce). A speaker whose only
 * seed is itself is alone by definition and announces at once.
 */
export async function joinThenAnnounce(cluster: Cluster, speaker: Speaker, seeds: readonly Address[], self: Address, log: Logger): Promise<void> {
  const others = seeds.filter((s) => s.host !== self.host || s.port !== self.port);
  if (others.length === 0) {
    speaker.holdLayer2(false);
    return;
  }
  const grace = setTimeout(() => {
    if (cluster.liveMembers().length <= 1) log.warn('no seed answered within the grace period; announcing alone', { graceMs: JOIN_GRACE_MS });
    speaker.holdLayer2(false);
  }, JOIN_GRACE_MS);
  const stop = cluster.onEvent(() => {
    if (cluster.liveMembers().length > 1) {
      clearTimeout(grace);
      stop();
      speaker.holdLayer2(false);
    }
  });
  const answered = await cluster.join(others);
  if (answered > 0) {
    clearTimeout(grace);
    stop();
    speaker.holdLayer2(false);
  }
}

