// Graceful stop for every long-running command: SIGTERM (Kubernetes, systemd)
// or SIGINT (Ctrl-C) runs the command's shutdown once, then exits; a second
// signal while stopping is ignored, and a failing shutdown exits non-zero.
import type { Logger } from '../util/log.js';

export function stopOnSignals(log: Logger, shutdown: (signal: string) => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    shutdown(signal).then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error('stopping failed', { error: err });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
