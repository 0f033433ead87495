// `shoal speaker` in Kubernetes mode: flags and the downward API's
// environment become the options of startKubeSpeaker.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAddress, type Address } from '../net/index.js';
import { DEFAULT_GOSSIP_PORT, profileByName } from '../cluster/options.js';
import { CONFIG_SOURCE_MODES, GOSSIP_SECRET_KEY, type ConfigSourceMode } from '../kube/defaults.js';
import { parseDelayList, parseMsFlag, parseOnOff } from '../speaker/fencing-settings.js';
import { startKubeSpeaker } from '../speaker/kube-mode.js';
import { parseAllowList } from '../status/access.js';
import { parseListen, splitList } from '../status/listen.js';
import { RealClock } from '../util/clock.js';
import { parseLogLevel } from '../util/log.js';
import { startMemoryUpkeep } from '../util/heap-release.js';
import { failbackDelayMs, layer2Mode, leaveTimeoutMs, type SpeakerFlags } from './speaker.js';
import { stopOnSignals } from './signals.js';

/** The gossip key: a file, or a mounted Secret directory holding "secretkey" (MetalLB's layout). */
export function gossipKeyPath(flag: string | undefined, env: Record<string, string | undefined>): string | undefined {
  const path = flag ?? env['SHOAL_ML_SECRET_KEY_PATH'] ?? env['METALLB_ML_SECRET_KEY_PATH'];
  if (!path) return undefined;
  try {
    if (statSync(path).isDirectory()) return join(path, GOSSIP_SECRET_KEY);
  } catch {
    // not there (an optional Secret that does not exist): the caller says so
  }
  return path;
}

export async function runKubeSpeaker(flags: SpeakerFlags): Promise<void> {
  const node = flags.nodeName ?? process.env['NODE_NAME'];
  if (!node) throw new Error('no node name: pass --node-name or set NODE_NAME (the downward API field spec.nodeName)');
  if (!CONFIG_SOURCE_MODES.includes(flags.configSource as ConfigSourceMode)) throw new Error(`--config-source ${flags.configSource}: pick one of ${CONFIG_SOURCE_MODES.join(', ')}`);
  const bind = parseAddress(flags.gossipBind, DEFAULT_GOSSIP_PORT);
  const podIP = process.env['POD_IP'];
  const advertise: Address | undefined = flags.advertise ? parseAddress(flags.advertise, bind.port) : podIP ? { host: podIP, port: bind.port } : undefined;
  const speaker = await startKubeSpeaker({
    node,
    namespace: flags.namespace,
    kubeconfigPath: flags.kubeconfig,
    gossipBind: bind,
    advertise,
    podIP,
    gossipProfile: profileByName(flags.gossipProfile),
    gossipKeyPath: gossipKeyPath(flags.gossipKeyFile, process.env),
    insecureGossip: flags.insecureGossip === true,
    peerSelector: flags.peerSelector,
    lbClass: flags.lbClass,
    ignoreExcludeLB: flags.ignoreExcludeLb === true,
    configSource: flags.configSource as ConfigSourceMode,
    status: flags.status === undefined ? undefined : parseListen(splitList(flags.status), '--status'),
    statusAllow: parseAllowList(splitList(flags.statusAllow)),
    bgpListen: parseAddress(flags.bgpListen, 179),
    layer2: layer2Mode(flags.layer2),
    fencing: {
      resolve: parseOnOff('--conflict-resolution', flags.conflictResolution),
      reassertMs: parseMsFlag('--reassert-interval', flags.reassertInterval),
      healBurstMs: parseDelayList('--heal-burst', flags.healBurst),
      quorum: flags.quorum === true,
      failbackDelayMs: failbackDelayMs(flags.failbackDelay),
    },
    leaveTimeoutMs: leaveTimeoutMs(flags.leaveTimeout),
    logLevel: parseLogLevel(flags.logLevel),
  });
  // Freed C heap and the heap a burst or a slow churn left go back to the system (src/util/heap-release.ts).
  const stopMemoryUpkeep = startMemoryUpkeep(new RealClock(), (message, fields) => speaker.log.warn(message, fields));
  stopOnSignals(speaker.log, async () => {
    stopMemoryUpkeep();
    await speaker.stop();
  });
}
