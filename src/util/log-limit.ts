// A log line that anyone on the network can trigger must not let them fill
// the disk: at most one such line per interval, the next one saying how
// many were left out in between.
import type { Clock } from './clock.js';
import type { LogFields, Logger, LogLevel } from './log.js';

export type LimitedLog = (msg: string, fields?: LogFields) => void;

export function limitedLog(log: Logger, level: LogLevel, clock: Clock, intervalMs: number): LimitedLog {
  let last: number | undefined;
  let suppressed = 0;
  return (msg, fields) => {
    const now = clock.now();
    if (last !== undefined && now - last < intervalMs) {
      suppressed++;
      return;
    }
    log[level](msg, { ...fields, ...(suppressed > 0 ? { suppressedSinceLast: suppressed } : {}) });
    last = now;
    suppressed = 0;
  };
}
