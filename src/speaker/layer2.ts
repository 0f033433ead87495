// The layer-2 responder per the --layer2 setting: on, off, or on when the
// process may open packet sockets.
import type { Registry } from 'prom-client';
import { Announcer, createSystemIo, type AnnouncerEvent } from '../announce/l2/index.js';
import { CAP_NET_RAW, hasCapability } from '../util/caps.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';

import type { Layer2Mode } from './layer2-mode.js';

export interface Layer2Settings {
  mode: Layer2Mode;
  arpScheduleMs?: readonly number[] | undefined;
  ndpScheduleMs?: readonly number[] | undefined;
  /** Pacing of every gratuitous frame; undefined: the announcer's defaults. */
  gratuitousFramesPerSecond?: number | undefined;
  gratuitousBurst?: number | undefined;
  /** Periodic re-assertion interval (fencing.reassertMs); 0 off, undefined the announcer's default. */
  reassertMs?: number | undefined;
}

/** The announcer (not started), or undefined when layer 2 is off; says why in the log. */
export function createLayer2(settings: Layer2Settings, clock: Clock, log: Logger, registry: Registry, onEvent: (e: AnnouncerEvent) => void): Announcer | undefined {
  if (settings.mode === 'off') return undefined;
  if (settings.mode === 'auto' && !hasCapability(CAP_NET_RAW)) {
    log.warn('layer 2 is off: the process lacks CAP_NET_RAW, so the election runs but nothing answers ARP/NDP (run as root, add the capability, or pass --layer2 on to fail loudly)');
    return undefined;
  }
  return new Announcer({
    io: createSystemIo(),
    clock,
    logger: log,
    registry,
    ...(settings.arpScheduleMs ? { arpScheduleMs: settings.arpScheduleMs } : {}),
    ...(settings.ndpScheduleMs ? { ndpScheduleMs: settings.ndpScheduleMs } : {}),
    ...(settings.gratuitousFramesPerSecond !== undefined ? { gratuitousFramesPerSecond: settings.gratuitousFramesPerSecond } : {}),
    ...(settings.gratuitousBurst !== undefined ? { gratuitousBurst: settings.gratuitousBurst } : {}),
    ...(settings.reassertMs !== undefined ? { reassertEveryMs: settings.reassertMs } : {}),
    onEvent,
  });
}
