// `shoal speaker --config FILE`: file mode, no Kubernetes (a keepalived
// alternative for any group of hosts).
import { startFileSpeaker } from '../speaker/file-mode.js';
import { parseLogLevel } from '../util/log.js';
import { fileLimits } from './file-limits.js';
import { layer2Mode, leaveTimeoutMs, type SpeakerFlags } from './speaker.js';
import { stopOnSignals } from './signals.js';

export async function runFileSpeaker(flags: SpeakerFlags): Promise<void> {
  const speaker = await startFileSpeaker({
    configPath: flags.config!,
    layer2: layer2Mode(flags.layer2),
    leaveTimeoutMs: leaveTimeoutMs(flags.leaveTimeout),
    logLevel: parseLogLevel(flags.logLevel),
    limits: fileLimits(flags),
  });
  stopOnSignals(speaker.log, () => speaker.stop());
  // SIGHUP reloads the file, as keepalived does; a bad file changes nothing.
  process.on('SIGHUP', () => {
    speaker.reload().catch((err: unknown) => speaker.log.error('reload failed', { error: err }));
  });
}
