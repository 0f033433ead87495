// `shoal speaker`: the per-node process. With --config FILE it runs in file
// mode (static VIPs, no Kubernetes); without, in Kubernetes mode.
import type { Command } from 'commander';
import type { Address } from '../cluster/address.js';
import type { Cluster } from '../cluster/cluster.js';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { announcementsSection, ipStatusResource } from '../announce/election-status.js';
import { Announcer, createSystemIo } from '../announce/l2/index.js';
import { launchMember, loadKeyring, resolveSeeds } from '../cluster/launch.js';
import { registerClusterMetrics } from '../cluster/metrics.js';
import { clusterStatusSection } from '../cluster/status.js';
import { formatConfigError } from '../config/model.js';
import { loadFileConfig, timingProfile } from '../speaker/file-config.js';
import { FileWorld, labelsToMeta } from '../speaker/file-world.js';
import { Speaker } from '../speaker/speaker.js';
import { layer2Section } from '../speaker/status.js';
import { StatusServer } from '../status/server.js';
import { CAP_NET_RAW, hasCapability } from '../util/caps.js';
import { RealClock } from '../util/clock.js';
import { createLogger, type Logger } from '../util/log.js';
import { VERSION } from './version.js';

export type Layer2Mode = 'auto' | 'on' | 'off';

interface SpeakerFlags {
  config?: string;
  layer2: string;
  leaveTimeout: string;
}

export function registerSpeakerCommand(program: Command): void {
  program
    .command('speaker')
    .description('run the per-node speaker: gossip, election, ARP/NDP (and BGP in Kubernetes mode)')
    .option('--config <file>', 'file mode: a YAML file with this host, its gossip seeds and the VIPs (see docs/speaker.md)')
    .option('--layer2 <auto|on|off>', 'answer ARP/NDP: auto does when the process has CAP_NET_RAW', 'auto')
    .option('--leave-timeout <ms>', 'how long a graceful leave may take on SIGTERM', '2000')
    .action(async (flags: SpeakerFlags) => {
      if (!flags.config) throw new Error('Kubernetes mode is not available in this build; pass --config FILE for file mode');
      await runFileSpeaker(flags);
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

async function runFileSpeaker(flags: SpeakerFlags): Promise<void> {
  const loaded = await loadFileConfig(flags.config!);
  if (!loaded.ok) throw new Error(`${flags.config} is not a valid speaker config:\n  ${loaded.errors.map(formatConfigError).join('\n  ')}`);
  const file = loaded.config;
  const log = createLogger({ fields: { node: file.node } });
  const clock = new RealClock();
  const keyring = file.gossip.keyFile ? await loadKeyring(file.gossip.keyFile) : undefined;
  const { cluster, advertise } = await launchMember({
    name: file.node,
    bind: file.gossip.bind,
    ...(file.gossip.advertise ? { advertise: file.gossip.advertise } : {}),
    profile: timingProfile(file.gossip),
    ...(keyring ? { keyring } : {}),
    meta: { version: VERSION, ...labelsToMeta(file.labels) },
    logger: log,
  });
  logMemberEvents(cluster, log);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerClusterMetrics(cluster, registry);
  const l2 = startLayer2(flags.layer2, clock, log, registry, { arpScheduleMs: file.layer2.gratuitousArpMs, ndpScheduleMs: file.layer2.unsolicitedNaMs });
  const world = new FileWorld(file, advertise.host, (name) => cluster.member(name)?.meta);
  const speaker = new Speaker({ node: file.node, cluster, world, clock, logger: log, registry, ...(l2 ? { l2 } : {}) });
  const status = new StatusServer({
    host: file.status.host,
    port: file.status.port,
    registry,
    logger: log,
    sections: [clusterStatusSection(cluster), announcementsSection(() => speaker.result, file.node, speaker.tracker), layer2Section(() => l2?.status())],
    subResources: [ipStatusResource((ip) => (speaker.inputs ? speaker.election.explain(ip, speaker.inputs) : undefined))],
  });
  await status.start();
  log.info('status endpoint listening', { url: `http://${file.status.host}:${status.port}/status` });
  cluster.start();
  speaker.holdLayer2(true);
  speaker.start();
  await joinThenAnnounce(cluster, speaker, await resolveSeeds(file.gossip.join, log), advertise, log);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info('leaving the cluster', { signal });
    // Keep answering until the others have heard we leave: they take over
    // with gratuitous ARP while we still answer, so clients see no gap.
    speaker.stop();
    await cluster.leave(Number(flags.leaveTimeout));
    l2?.close();
    await cluster.shutdown();
    await status.close();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // SIGHUP reloads the file, as keepalived does; a bad file changes nothing.
  process.on('SIGHUP', () => {
    loadFileConfig(flags.config!).then(
      (next) => {
        if (!next.ok) {
          log.error('reload refused: the file is not valid; keeping the running configuration', { errors: next.errors.map(formatConfigError) });
          return;
        }
        try {
          const labelsChanged = JSON.stringify(next.config.labels) !== JSON.stringify(world.labels);
          const needRestart = world.update(next.config);
          if (labelsChanged) cluster.setMeta({ version: VERSION, ...labelsToMeta(next.config.labels) });
          log.info('configuration reloaded', { vips: next.config.vips.length, ...(needRestart.length ? { ignoredUntilRestart: needRestart } : {}) });
        } catch (err) {
          log.error('reload refused; keeping the running configuration', { error: err });
        }
      },
      (err: unknown) => log.error('reload failed', { error: err }),
    );
  });
}
