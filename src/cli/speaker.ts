// `shoal speaker`: the per-node process. With --config FILE it runs in file
// mode (static VIPs, no Kubernetes); without, in Kubernetes mode. This file
// and speaker-file.ts / speaker-kube.ts only turn flags into options; the
// process is assembled in src/speaker/.
import type { Command } from 'commander';
import { DEFAULT_GOSSIP_PORT } from '../cluster/options.js';
import { DEFAULT_NAMESPACE } from '../kube/defaults.js';
import { DEFAULT_FENCING } from '../speaker/fencing-settings.js';
import { LAYER2_MODES, type Layer2Mode } from '../speaker/layer2-mode.js';
import { DEFAULT_FAILBACK_DELAY_MS, MAX_FAILBACK_DELAY_MS } from '../speaker/readiness.js';
import { fileLimitOptions, type FileLimitFlags } from './file-limits.js';

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
  ignoreExcludeLb?: boolean;
  configSource: string;
  status?: string;
  statusAllow?: string;
  bgpListen: string;
  conflictResolution: string;
  reassertInterval: string;
  healBurst: string;
  quorum?: boolean;
  failbackDelay: string;
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
    .option('--ignore-exclude-lb', 'Kubernetes mode: announce from nodes labelled node.kubernetes.io/exclude-from-external-load-balancers too (layer 2 and BGP; give every speaker the same value)')
    .option('--config-source <auto|crd|configmap>', 'Kubernetes mode: metallb.io objects, the legacy ConfigMap, or whichever exists', 'auto')
    .option('--status <host:port,...>', 'Kubernetes mode: status/metrics HTTP listen addresses (default: the gossip advertise address and 127.0.0.1, port 7473)')
    .option('--status-allow <cidr,...>', 'Kubernetes mode: serve status/metrics only to these sources and the host itself (default: every source)')
    .option('--bgp-listen <host:port>', 'Kubernetes mode: where BGP peers may connect (opened with the first peer)', '[::]:179')
    .option('--conflict-resolution <on|off>', 'Kubernetes mode: settle two speakers claiming one address (split brain); off only reports it (file mode: fencing.resolve)', 'on')
    .option('--reassert-interval <ms>', 'Kubernetes mode: re-announce owned addresses about this often, jittered; 0 turns it off (file mode: fencing.reassertMs)', String(DEFAULT_FENCING.reassertMs))
    .option('--heal-burst <ms,...>', 'Kubernetes mode: gratuitous rounds after a partition heals; "off" for none (file mode: fencing.healBurstMs)', DEFAULT_FENCING.healBurstMs.join(','))
    .option('--quorum', 'Kubernetes mode: take over no address while fewer than a majority of the known speakers are alive (docs/failover.md; file mode: fencing.quorum)')
    .option(
      '--failback-delay <ms>',
      'Kubernetes mode: warm-up before a returning speaker takes its addresses back; 0: at once (file mode: fencing.failbackDelayMs)',
      String(DEFAULT_FAILBACK_DELAY_MS),
    )
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

export function layer2Mode(flag: string): Layer2Mode {
  if (!(LAYER2_MODES as readonly string[]).includes(flag)) throw new Error(`--layer2 ${flag}: expected ${LAYER2_MODES.join(', ')}`);
  return flag as Layer2Mode;
}

export function leaveTimeoutMs(flag: string): number {
  const ms = Number(flag);
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`--leave-timeout ${flag}: expected a number of milliseconds`);
  return ms;
}

export function failbackDelayMs(flag: string): number {
  const ms = Number(flag);
  if (flag.trim() === '' || !Number.isInteger(ms) || ms < 0 || ms > MAX_FAILBACK_DELAY_MS) {
    throw new Error(`--failback-delay ${flag}: expected whole milliseconds from 0 to ${MAX_FAILBACK_DELAY_MS}`);
  }
  return ms;
}
