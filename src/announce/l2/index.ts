// Public surface of layer-2 announcing, for the speaker.

export { Announcer } from './announcer.js';
export type { AnnouncerEvent, AnnouncerOptions, AnnouncerStatus } from './announcer.js';
export type { L2DesiredState, L2Target } from './desired-state.js';
export { DEFAULT_ARP_SCHEDULE_MS, DEFAULT_NDP_SCHEDULE_MS } from './gratuitous.js';
export { DEFAULT_EXCLUDED_INTERFACES } from './interfaces.js';
export type { L2Io } from './io.js';
export { createSystemIo } from './system-io.js';
export type { L2Protocol, L2Verdict } from './verdict.js';
