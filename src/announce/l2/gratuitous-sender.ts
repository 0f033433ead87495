// When the gratuitous frames of announced addresses leave: the schedule of
// each takeover (gratuitous.ts, one cohort per pass and interface), the
// re-assertions asked for, and the one pacer (frame-pacer.ts) they all go
// through, first rounds of a takeover before repeats, both before
// re-assertions. A round is an address and an interface; its frames are
// written when their turn comes, for the interface's MAC at that moment,
// and how a frame is written, sent and counted is the announcer's (RoundIo).

import type { Clock } from '../../util/clock.js';
import { DEFAULT_GRATUITOUS_BURST, DEFAULT_GRATUITOUS_FRAMES_PER_SECOND, FramePacer } from './frame-pacer.js';
import { protocolOfCanonical } from './gratuitous-frames.js';
import { GratuitousSchedule, type Cohort } from './gratuitous.js';
import { RoundsJob, type Round, type RoundIo } from './rounds-job.js';

/** Pacing lanes, highest priority first. */
const FIRST_ROUNDS = 0;
const REPEATS = 1;
const REASSERTS = 2;

export interface GratuitousSenderOptions {
  clock: Clock;
  /** Default DEFAULT_GRATUITOUS_FRAMES_PER_SECOND. */
  framesPerSecond?: number;
  /** Default DEFAULT_GRATUITOUS_BURST. */
  burst?: number;
  /** The interfaces ip is announced on now (undefined: nowhere). */
  announcedOn: (ip: string) => ReadonlySet<string> | undefined;
  /** The MAC of an interface we announce on, if it has one now. */
  macOf: (name: string) => string | undefined;
  io: RoundIo;
}

export class GratuitousSender {
  private readonly schedule: GratuitousSchedule;
  private readonly pacer: FramePacer;
  /** Addresses whose re-assertion round waits for the pacer, and the interfaces left of the one under way. */
  private readonly reassertWaiting = new Set<string>();
  private reassertIp: string | undefined;
  /** The interfaces of reassertIp, and how many of them are done. */
  private reassertNames: readonly string[] = [];
  private reassertNext = 0;
  /** The names of each (interned, so shared) interface set as a list, made once a set rather than once an address. */
  private readonly namesOf = new WeakMap<ReadonlySet<string>, readonly string[]>();
  private readonly reassertJob: RoundsJob;

  constructor(private readonly o: GratuitousSenderOptions) {
    this.schedule = new GratuitousSchedule(o.clock, (cohort, round) => this.startRound(cohort, round));
    this.pacer = new FramePacer({
      clock: o.clock,
      framesPerSecond: o.framesPerSecond ?? DEFAULT_GRATUITOUS_FRAMES_PER_SECOND,
      burst: o.burst ?? DEFAULT_GRATUITOUS_BURST,
      lanes: 3,
    });
    this.reassertJob = new RoundsJob(() => this.nextReassertRound(), o.io);
  }

  /** ip was taken on iface in the pass under way: its schedule starts with the others of the pass at passEnded(). */
  taken(iface: string, ip: string, delays: readonly number[]): void {
    this.schedule.add(iface, ip, delays);
  }

  /** ip was withdrawn from iface: its rounds still to come, or waiting for the pacer, are skipped. */
  withdrawn(iface: string, ip: string): void {
    this.schedule.cancel(iface, ip);
  }

  /** The pass ended: what it took starts its schedule, first rounds handed to the pacer at once. */
  passEnded(): void {
    this.schedule.seal();
  }

  /** Queues one paced round for ip on every interface it is announced on. */
  reassert(ip: string): void {
    if (!this.o.announcedOn(ip)) return;
    this.reassertWaiting.add(ip);
    this.pacer.add(REASSERTS, this.reassertJob);
  }

  /** Drops every schedule and every frame not sent yet. */
  close(): void {
    this.schedule.cancelAll();
    this.pacer.clear();
    this.reassertWaiting.clear();
    this.reassertNames = [];
    this.reassertNext = 0;
  }

  private nextReassertRound(): Round | undefined {
    for (;;) {
      if (this.reassertNext < this.reassertNames.length) {
        const name = this.reassertNames[this.reassertNext++]!;
        // Still announced there when its turn comes?
        const round = this.o.announcedOn(this.reassertIp!)?.has(name) ? this.roundFor(this.reassertIp!, name) : undefined;
        if (round) return round;
        continue;
      }
      const ip = this.reassertWaiting.values().next().value as string | undefined;
      if (ip === undefined) return undefined;
      this.reassertWaiting.delete(ip);
      this.reassertIp = ip;
      this.reassertNames = this.names(this.o.announcedOn(ip));
      this.reassertNext = 0;
    }
  }

  private names(set: ReadonlySet<string> | undefined): readonly string[] {
    if (!set) return [];
    let names = this.namesOf.get(set);
    if (!names) this.namesOf.set(set, (names = [...set]));
    return names;
  }

  /** A cohort's round is due: its addresses still on the schedule get a round each, paced, firsts before repeats. */
  private startRound(cohort: Cohort, round: number): void {
    let next = 0;
    const job = new RoundsJob(
      () => {
        while (next < cohort.ips.length) {
          const ip = cohort.ips[next++]!;
          if (!this.schedule.isMember(cohort, ip)) continue;
          const r = this.roundFor(ip, cohort.iface);
          if (r) return r;
        }
        return undefined;
      },
      this.o.io,
      () => this.schedule.roundDone(cohort),
    );
    this.pacer.add(round === 0 ? FIRST_ROUNDS : REPEATS, job);
  }

  /** A round for ip on name, unless name has no MAC to announce from now. */
  private roundFor(ip: string, name: string): Round | undefined {
    if (!this.o.macOf(name)) return undefined;
    return { ip, name, protocol: protocolOfCanonical(ip) };
  }
}
