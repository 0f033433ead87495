// `shoal speaker --config FILE`: file mode, no Kubernetes (a keepalived
// alternative for any group of hosts).
import { Registry, collectDefaultMetrics } from 'prom-client';
import { announcementsSection, ipStatusResource } from '../announce/election-status.js';
import { launchMember, resolveSeeds } from '../cluster/launch.js';
import { registerClusterMetrics } from '../cluster/metrics.js';
import { clusterStatusSection } from '../cluster/status.js';
import { formatConfigError } from '../config/model.js';
import { loadFileConfig, timingProfile } from '../speaker/file-config.js';
import { FileWorld, labelsToMeta } from '../speaker/file-world.js';
import { encryptionSection, fileGossipKey, UNENCRYPTED_WARNING_INTERVAL_MS, warnWhileUnencrypted } from '../speaker/gossip-key.js';
import { Speaker } from '../speaker/speaker.js';
import { layer2Section } from '../speaker/status.js';
import { parseAllowList } from '../status/access.js';
import { statusListen } from '../status/listen.js';
import { StatusServer } from '../status/server.js';
import { RealClock } from '../util/clock.js';
import { createLogger } from '../util/log.js';
import { fileLimits } from './file-limits.js';
import { joinThenAnnounce, logMemberEvents, startLayer2, type SpeakerFlags } from './speaker.js';
import { stopOnSignals } from './signals.js';
import { VERSION } from './version.js';

export async function runFileSpeaker(flags: SpeakerFlags): Promise<void> {
  const limits = fileLimits(flags);
  const loaded = await loadFileConfig(flags.config!, limits);
  if (!loaded.ok) throw new Error(`${flags.config} is not a valid speaker config:\n  ${loaded.errors.map(formatConfigError).join('\n  ')}`);
  const file = loaded.config;
  const log = createLogger({ fields: { node: file.node } });
  const clock = new RealClock();
  const { keyring, status: encryption } = await fileGossipKey(file.gossip.keyFile, flags.config!);
  const statusAllow = parseAllowList(file.statusAllow, 'statusAllow');
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
    listen: statusListen(file.status, advertise.host),
    allow: statusAllow,
    registry,
    logger: log,
    sections: [
      clusterStatusSection(cluster),
      encryptionSection(encryption),
      announcementsSection(() => speaker.result, file.node, speaker.tracker),
      layer2Section(() => l2?.status()),
    ],
    subResources: [ipStatusResource((ip) => (speaker.inputs ? speaker.election.explain(ip, speaker.inputs) : undefined))],
  });
  await status.start();
  log.info('status endpoint listening', { urls: status.urls(), ...(statusAllow.cidrs.length ? { allow: statusAllow.cidrs } : {}) });
  const stopWarning = warnWhileUnencrypted(encryption, clock, log, UNENCRYPTED_WARNING_INTERVAL_MS);
  cluster.start();
  speaker.holdLayer2(true);
  speaker.start();
  await joinThenAnnounce(cluster, speaker, await resolveSeeds(file.gossip.join, log), advertise, log);

  stopOnSignals(log, async () => {
    // Keep answering until the others have heard we leave: they take over
    // with gratuitous ARP while we still answer, so clients see no gap.
    speaker.stop();
    stopWarning();
    await cluster.leave(Number(flags.leaveTimeout));
    l2?.close();
    await cluster.shutdown();
    await status.close();
  });
  // SIGHUP reloads the file, as keepalived does; a bad file changes nothing.
  process.on('SIGHUP', () => {
    loadFileConfig(flags.config!, limits).then(
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
