// File mode: the speaker from a config file with static VIPs, no
// Kubernetes (a keepalived alternative for any group of hosts).
import { Registry } from 'prom-client';
import { VERSION } from '../cli/version.js';
import { launchMember, resolveSeeds } from '../cluster/launch.js';
import { formatConfigError } from '../config/model.js';
import { parseAllowList } from '../status/access.js';
import { statusListen } from '../status/listen.js';
import { RealClock } from '../util/clock.js';
import { createLogger, type Logger, type LogLevel } from '../util/log.js';
import { SpeakerAssembly } from './assembly.js';
import { loadFileConfig, timingProfile } from './file-config.js';
import type { FileLimits } from './file-limits.js';
import { FileWorld, labelsToMeta } from './file-world.js';
import { fileGossipKey, UNENCRYPTED_WARNING_INTERVAL_MS } from './gossip-key.js';
import type { Layer2Mode } from './layer2-mode.js';
import { FailbackWarmUp } from './warm-up.js';

export interface FileSpeakerOptions {
  /** Read at start and by reload(). */
  configPath: string;
  layer2: Layer2Mode;
  leaveTimeoutMs: number;
  logLevel: LogLevel;
  /** Caps on what the file may hold (VIPs, name length, size), at start and on reload. */
  limits: FileLimits;
}

export interface RunningFileSpeaker {
  readonly log: Logger;
  stop(): Promise<void>;
  /** Reads the file again: VIPs, labels and layer-2 settings apply at once; a bad file changes nothing. */
  reload(): Promise<void>;
}

export async function startFileSpeaker(o: FileSpeakerOptions): Promise<RunningFileSpeaker> {
  const loaded = await loadFileConfig(o.configPath, o.limits);
  if (!loaded.ok) throw new Error(`${o.configPath} is not a valid speaker config:\n  ${loaded.errors.map(formatConfigError).join('\n  ')}`);
  const file = loaded.config;
  const log = createLogger({ level: o.logLevel, fields: { node: file.node } });
  const { keyring, status: encryption } = await fileGossipKey(file.gossip.keyFile, o.configPath);
  const statusAllow = parseAllowList(file.statusAllow, 'statusAllow');
  const meta = FailbackWarmUp.startMeta({ version: VERSION, ...labelsToMeta(file.labels) }, file.fencing.failbackDelayMs);
  const { cluster, advertise } = await launchMember({
    name: file.node,
    bind: file.gossip.bind,
    ...(file.gossip.advertise ? { advertise: file.gossip.advertise } : {}),
    profile: timingProfile(file.gossip),
    ...(keyring ? { keyring } : {}),
    meta,
    logger: log,
  });
  const world = new FileWorld(file, advertise.host, (name) => cluster.member(name)?.meta);
  const seeds = await resolveSeeds(file.gossip.join, log);
  const assembly = new SpeakerAssembly({
    node: file.node,
    clock: new RealClock(),
    logger: log,
    registry: new Registry(),
    cluster,
    self: advertise,
    seeds: () => seeds,
    world,
    meta,
    layer2: {
      mode: o.layer2,
      arpScheduleMs: file.layer2.gratuitousArpMs,
      ndpScheduleMs: file.layer2.unsolicitedNaMs,
      gratuitousFramesPerSecond: file.layer2.gratuitousFramesPerSecond,
      gratuitousBurst: file.layer2.gratuitousBurst,
    },
    fencing: file.fencing,
    // Every minute until a key is configured: an upgrade keeps hosts running, and nobody misses it.
    encryption: { status: encryption, warnEveryMs: UNENCRYPTED_WARNING_INTERVAL_MS },
    status: { listen: statusListen(file.status, advertise.host), allow: statusAllow },
    leaveTimeoutMs: o.leaveTimeoutMs,
  });
  await assembly.serveStatus();
  assembly.run();

  const reload = async (): Promise<void> => {
    const next = await loadFileConfig(o.configPath, o.limits);
    if (!next.ok) {
      log.error('reload refused: the file is not valid; keeping the running configuration', { errors: next.errors.map(formatConfigError) });
      return;
    }
    try {
      const labelsChanged = JSON.stringify(next.config.labels) !== JSON.stringify(world.labels);
      const needRestart = world.update(next.config);
      if (labelsChanged) assembly.meta.setBase({ version: VERSION, ...labelsToMeta(next.config.labels) });
      log.info('configuration reloaded', { vips: next.config.vips.length, ...(needRestart.length ? { ignoredUntilRestart: needRestart } : {}) });
    } catch (err) {
      log.error('reload refused; keeping the running configuration', { error: err });
    }
  };
  return { log, stop: () => assembly.stop(), reload };
}
