// The layer-2 announcer: takes "this node announces these addresses on these
// interfaces" and makes the wire match. It owns the per-interface sockets,
// the solicited-node group joins (solicited-groups.ts) and (through
// gratuitous-sender.ts) the gratuitous schedules, and answers ARP/NS through the pure decide
// functions.
//
// set() is synchronous and cheap: it takes the desired state in
// (desired-state.ts: one owned address however it is spelled), diffs it
// against what is announced and acts on the difference at once (a released
// address is no longer answered by the time set() returns; a taken one is
// answered, and its first gratuitous round is sent at once or, past the
// pacing burst, within the next few hundred milliseconds). When gratuitous
// frames leave is gratuitous-sender.ts's (schedules and one pacer); how they
// are sent and counted is the announcer's. Interface changes arrive through
// rtnetlink (plus a slow periodic rescan as a safety net) and go through the
// same diff.
//
// Links that go and come back are reported ('link' events) and can be held
// (holdLink: nothing announced on them until releaseLinks), so the owner of
// the announcer decides what a returning link announces. reassert() sends
// paced gratuitous rounds for addresses already announced; a low periodic
// rate re-asserts everything announced (periodic-reassert.ts), so two
// claimants of one address see each other.
//
// Split-brain fencing (src/announce/fencing) reads the claims the
// responders report ('verdict' events with a claim) and may make this node
// yield addresses to another claimant (setYielded): a yielded address is
// not answered nor re-asserted, but its claims are still seen, so the
// fence knows when the other claimant goes quiet.

import type { Registry } from 'prom-client';

import { canonicalIP, ipFamily } from '../../net/index.js';
import { validateBackoff, type BackoffPolicy } from '../../util/backoff.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { BatchLog } from '../../util/log-batch.js';
import { SpellLog } from '../../util/log-spell.js';
import { InternedSets } from '../../util/interned-sets.js';
import { decideArp } from './arp-responder.js';
import { DesiredIntake, protocolOf, type DesiredIp, type L2DesiredState } from './desired-state.js';
import type { SendOutcome } from './frame-pacer.js';
import { GratuitousFrames, protocolOfCanonical } from './gratuitous-frames.js';
import { DEFAULT_ARP_SCHEDULE_MS, DEFAULT_NDP_SCHEDULE_MS, validateSchedule } from './gratuitous.js';
import { GratuitousSender } from './gratuitous-sender.js';
import { announceable, canCarry, DEFAULT_EXCLUDED_INTERFACES, selectInterfaces, type SystemInterface } from './interfaces.js';
import { errorCode, errorMessage, type ErrnoLike, type L2Io, type L2Port } from './io.js';
import { solicitedNodeGroup, solicitedNodeKey } from './ipv6.js';
import { L2Metrics } from './metrics.js';
import { decideNdp } from './ndp-responder.js';
import { PacedQueue } from './paced-queue.js';
import { DEFAULT_JOIN_RETRY, SolicitedGroups } from './solicited-groups.js';
import type { RoundIo } from './rounds-job.js';
import { DEFAULT_REASSERT_MAX_PER_SECOND, DEFAULT_REASSERT_PERIOD_MS, PeriodicReassert } from './periodic-reassert.js';
import type { L2Claim, L2Decision, L2Protocol, L2Verdict, Ownership } from './verdict.js';

export type AnnouncerEvent =
  | { type: 'verdict'; protocol: L2Protocol; interface: string; verdict: L2Verdict; ip?: string; detail?: string; claim?: L2Claim }
  | { type: 'announce' | 'withdraw'; protocol: L2Protocol; interface: string; ip: string }
  | { type: 'gratuitous'; protocol: L2Protocol; interface: string; ip: string }
  /** An interface layer 2 could announce on started (true) or stopped (false) carrying; not reported for the first scan. */
  | { type: 'link'; interface: string; carrying: boolean }
  /** The MACs of the interfaces layer 2 may announce on changed (also reported after the first scan). */
  | { type: 'macs'; macs: string[] }
  | { type: 'error'; protocol: L2Protocol | 'scan' | 'watch'; interface: string; code: string; message: string };

export interface AnnouncerOptions {
  io: L2Io;
  clock: Clock;
  logger: Logger;
  registry: Registry;
  /** Interface names the default selection skips. Default: MetalLB's exclusion list. */
  excludeInterfaces?: readonly RegExp[];
  /** Delays (ms after takeover) of the gratuitous ARP rounds. */
  arpScheduleMs?: readonly number[];
  /** Delays (ms after takeover) of the unsolicited NAs. */
  ndpScheduleMs?: readonly number[];
  /** Gratuitous frames (ARP and NA, all interfaces) sent per second at most, on average. Default 5,000. */
  gratuitousFramesPerSecond?: number;
  /** Gratuitous frames that may go at once after a quiet spell. Default 500. */
  gratuitousBurst?: number;
  /** Full rescan period behind the rtnetlink watch. Default 10 s, MetalLB's scan period. */
  rescanIntervalMs?: number;
  /** reassert(): addresses sent per interval. Default 500. */
  reassertBatch?: number;
  /** reassert(): the interval. Default 100 ms: at most 5,000 addresses a second. */
  reassertIntervalMs?: number;
  /** Mean time between periodic re-assertions of each announced address; 0 turns them off. Default 3 s. */
  reassertEveryMs?: number;
  /** Periodic re-assertion: addresses per second at most, however many are announced. Default 1,000. */
  reassertMaxPerSecond?: number;
  /** Uniform in [0, 1), for the periodic re-assertion's and the group join retries' jitter; seeded in tests. */
  random?: () => number;
  /** Backoff of the retries of solicited-node group joins that failed. Default 1 s doubling to 60 s. */
  joinRetry?: BackoffPolicy;
  /** Observer for tests, the harness and the status endpoint. What it throws is logged and dropped. */
  onEvent?: (e: AnnouncerEvent) => void;
}

export interface AnnouncerStatus {
  ips: { ip: string; protocol: L2Protocol; requested: string[] | 'default'; announcedOn: string[] }[];
  /** groups: solicited-node groups joined; unjoinedGroups: wanted but not joined, waiting for a retry. */
  interfaces: { name: string; index: number; mac: string | undefined; open: L2Protocol[]; groups: string[]; unjoinedGroups: number }[];
  errors: { protocol: string; interface: string; code: string; message: string }[];
  /** Interfaces held by holdLink(): nothing is announced on them. */
  heldInterfaces: string[];
  /** Addresses yielded to another claimant (setYielded): not answered for now. */
  yielded: string[];
}

interface LinkState {
  iface: SystemInterface;
  ports: Partial<Record<L2Protocol, L2Port>>;
  /** The solicited-node groups its announced IPv6 addresses need. */
  groups: SolicitedGroups;
}

/** errno codes of a send the kernel refused for a full queue: worth trying again shortly. */
const QUEUE_FULL = new Set(['EAGAIN', 'EWOULDBLOCK', 'ENOBUFS']);

const LINK_EVENT_DEBOUNCE_MS = 10;
export const DEFAULT_REASSERT_BATCH = 500;
export const DEFAULT_REASSERT_INTERVAL_MS = 100;
const CONFLICT_LOG_INTERVAL_MS = 10_000;

/** The interfaces of a yielded address: none (it is heard, not answered). */
const NO_INTERFACES: ReadonlySet<string> = new Set();

export class Announcer {
  private readonly io: L2Io;
  private readonly clock: Clock;
  private readonly log: Logger;
  /** Claims by other hosts, summarised when they come in floods. */
  private readonly conflictLog: SpellLog;
  private readonly metrics: L2Metrics;
  private exclude: readonly RegExp[];
  private readonly schedules: Record<L2Protocol, readonly number[]>;
  private readonly rescanIntervalMs: number;
  private readonly onEvent: (e: AnnouncerEvent) => void;
  private readonly gratuitous: GratuitousSender;
  /** The buffers every gratuitous frame is written into, one address after another. */
  private readonly frames = new GratuitousFrames();
  private readonly reasserts: PacedQueue;
  private readonly periodic: PeriodicReassert;
  /** Timers of reassert() rounds still to come. */
  private readonly burstTimers = new Set<TimerHandle>();
  private readonly random: (() => number) | undefined;
  private readonly joinRetry: BackoffPolicy;

  /** Canonical address -> what it wants; replaced by set(), never changed. */
  private desired: ReadonlyMap<string, DesiredIp> = new Map();
  private snapshot: SystemInterface[] = [];
  private readonly links = new Map<string, LinkState>();
  /** Address -> interfaces it is answered on right now. */
  private readonly announced = new Map<string, ReadonlySet<string>>();
  /** The interface sets of `desired` and `announced`: a few distinct ones shared by every address. */
  private readonly sets = new InternedSets();
  private readonly intake = new DesiredIntake(this.sets);
  /** "protocol/interface" -> the error last reported there, so each is logged once. */
  private readonly errors = new Map<string, { code: string; message: string }>();
  /** Interface -> address -> when a conflict there was last logged. */
  private readonly lastConflictLog = new Map<string, Map<string, number>>();
  /** Announceable interfaces carrying at the last scan; undefined before the first. */
  private carrying: ReadonlySet<string> | undefined;
  private readonly heldLinks = new Set<string>();
  /** Addresses yielded to another claimant, and the interfaces they would be announced on. */
  private yielded: ReadonlySet<string> = new Set();
  private readonly yieldedOn = new Map<string, ReadonlySet<string>>();
  private macsKey: string | undefined;
  private watcher: { close(): void } | undefined;
  private rescanTimer: TimerHandle | undefined;
  private debounceTimer: TimerHandle | undefined;
  private started = false;
  private closed = false;
  private readonly announcing: BatchLog;
  private readonly withdrawing: BatchLog;

  constructor(opts: AnnouncerOptions) {
    this.io = opts.io;
    this.clock = opts.clock;
    this.log = opts.logger.child({ module: 'announce/l2' });
    this.conflictLog = new SpellLog(this.log, 'warn', 'another host claims an address we announce', this.clock);
    this.announcing = new BatchLog(this.log, 'announcing');
    this.withdrawing = new BatchLog(this.log, 'withdrawn');
    this.exclude = opts.excludeInterfaces ?? DEFAULT_EXCLUDED_INTERFACES;
    this.schedules = {
      arp: validateSchedule('arpScheduleMs', opts.arpScheduleMs ?? DEFAULT_ARP_SCHEDULE_MS),
      ndp: validateSchedule('ndpScheduleMs', opts.ndpScheduleMs ?? DEFAULT_NDP_SCHEDULE_MS),
    };
    this.rescanIntervalMs = opts.rescanIntervalMs ?? 10_000;
    if (!(this.rescanIntervalMs > 0)) throw new RangeError(`rescanIntervalMs must be positive, got ${this.rescanIntervalMs}`);
    this.random = opts.random;
    this.joinRetry = opts.joinRetry ?? DEFAULT_JOIN_RETRY;
    validateBackoff(this.joinRetry);
    const batch = opts.reassertBatch ?? DEFAULT_REASSERT_BATCH;
    this.reasserts = new PacedQueue(this.clock, batch, opts.reassertIntervalMs ?? DEFAULT_REASSERT_INTERVAL_MS, (ip) => this.gratuitous.reassert(ip), 'reassert');
    this.periodic = new PeriodicReassert({
      clock: this.clock,
      periodMs: opts.reassertEveryMs ?? DEFAULT_REASSERT_PERIOD_MS,
      maxPerSecond: opts.reassertMaxPerSecond ?? DEFAULT_REASSERT_MAX_PER_SECOND,
      ...(opts.random ? { random: opts.random } : {}),
      addresses: () => [...this.announced.keys()],
      send: (ip) => this.gratuitous.reassert(ip),
    });
    // Registered only once the options are known good, so a refused
    // construction leaves the registry as it was.
    this.metrics = new L2Metrics(opts.registry);
    const observer = opts.onEvent;
    // Events are emitted from socket callbacks: an observer's exception must
    // not escape into the receive path.
    this.onEvent = observer
      ? (e) => {
          try {
            observer(e);
          } catch (err) {
            this.log.warn('event observer threw', { error: errorMessage(err), event: e.type });
          }
        }
      : () => {};
    this.gratuitous = new GratuitousSender({
      clock: this.clock,
      ...(opts.gratuitousFramesPerSecond !== undefined ? { framesPerSecond: opts.gratuitousFramesPerSecond } : {}),
      ...(opts.gratuitousBurst !== undefined ? { burst: opts.gratuitousBurst } : {}),
      announcedOn: (ip) => this.announced.get(ip),
      macOf: (name) => this.links.get(name)?.iface.mac,
      io: this.roundIo,
    });
  }

  /** Scans the interfaces, starts watching them, and announces what set() asked for so far. */
  start(): void {
    if (this.closed) throw new Error('announcer is closed');
    if (this.started) return;
    this.started = true;
    try {
      this.watcher = this.io.watchLinks(
        () => this.scheduleRescan(LINK_EVENT_DEBOUNCE_MS),
        (err) => this.reportError('watch', '*', err),
      );
    } catch (err) {
      // Without events the periodic rescan still finds every change, later.
      this.reportError('watch', '*', err as ErrnoLike);
    }
    this.rescan();
    this.periodic.start();
  }

  /** Replaces the desired state; throws (changing nothing) on an invalid address. */
  set(desired: L2DesiredState): void {
    if (this.closed) throw new Error('announcer is closed');
    const next = this.intake.read(desired, this.desired);
    // Released addresses take their per-address series with them.
    this.desired.forEach((_, ip) => {
      if (!next.ips.has(ip)) this.metrics.forgetAddress(ip);
    });
    this.desired = next.ips;
    for (const protocol of ['arp', 'ndp'] as const) this.metrics.ownedIps.set({ protocol }, next.owned[protocol]);
    if (this.started) this.reconcile();
  }

  /** Replaces the names the default interface selection skips (MetalLB's metallb-excludel2 list). */
  setExcludeInterfaces(exclude: readonly RegExp[]): void {
    this.exclude = [...exclude];
    if (this.started && !this.closed) this.reconcile();
  }

  status(): AnnouncerStatus {
    return {
      ips: [...this.desired].map(([ip, d]) => ({
        ip,
        protocol: d.protocol,
        requested: d.named ? [...d.named] : 'default',
        announcedOn: [...(this.announced.get(ip) ?? [])],
      })),
      interfaces: [...this.links.values()].map((l) => ({
        name: l.iface.name,
        index: l.iface.index,
        mac: l.iface.mac,
        open: (Object.keys(l.ports) as L2Protocol[]).filter((p) => l.ports[p]),
        groups: l.groups.joined().map(solicitedNodeGroup),
        unjoinedGroups: l.groups.pending,
      })),
      errors: [...this.errors].map(([key, e]) => {
        const [protocol = '', iface = ''] = key.split('/');
        return { protocol, interface: iface, ...e };
      }),
      heldInterfaces: [...this.heldLinks].sort(),
      yielded: [...this.yielded].sort(),
    };
  }

  /**
   * Announces nothing on `name` until releaseLinks(): for a link back from
   * an outage, while its owner's view of who announces what may be stale.
   * Called from a 'link' event, it takes effect before anything is
   * announced on the returning link.
   */
  holdLink(name: string): void {
    if (this.closed || this.heldLinks.has(name)) return;
    this.heldLinks.add(name);
    if (this.started) this.reconcile();
  }

  /** Ends every holdLink(): the desired addresses are announced there, with their gratuitous schedule. */
  releaseLinks(): void {
    if (this.closed || this.heldLinks.size === 0) return;
    this.heldLinks.clear();
    if (this.started) this.reconcile();
  }

  /**
   * One gratuitous round (ARP: both forms; NDP: one unsolicited NA) for
   * each of these addresses on every interface it is announced on, at each
   * of `delaysMs` (default: one round now), paced (reassertBatch per
   * reassertIntervalMs). For clients another host pulled away: a member
   * back from an outage may have claimed them, or a claimant lost a
   * conflict to us. Addresses not announced when their turn comes are
   * skipped.
   */
  reassert(ips: Iterable<string>, delaysMs: readonly number[] = [0]): void {
    if (this.closed) return;
    const due = new Set<string>();
    for (const text of ips) {
      const ip = canonicalIP(text);
      if (ip !== undefined && this.announced.has(ip)) due.add(ip);
    }
    if (due.size === 0) return;
    for (const delay of delaysMs) {
      if (delay <= 0) {
        this.reasserts.add(due);
        continue;
      }
      const timer = this.clock.setTimeout(() => {
        this.burstTimers.delete(timer);
        this.reasserts.add(due);
      }, delay);
      this.burstTimers.add(timer);
    }
  }

  /**
   * Replaces the set of addresses yielded to another claimant: those stop
   * being answered and re-asserted at once (their sockets stay open, so
   * further claims are still seen) until they leave the set.
   */
  setYielded(ips: Iterable<string>): void {
    if (this.closed) return;
    const next = new Set<string>();
    for (const text of ips) {
      const ip = canonicalIP(text);
      if (ip !== undefined) next.add(ip);
    }
    if (next.size === this.yielded.size && [...next].every((ip) => this.yielded.has(ip))) return;
    this.yielded = next;
    if (this.started) this.reconcile();
  }

  /** The MACs of the interfaces layer 2 may announce on, at the last scan, sorted. */
  macs(): string[] {
    const out = new Set<string>();
    for (const i of this.snapshot) if (i.mac && this.carrying?.has(i.name)) out.add(i.mac);
    return [...out].sort();
  }

  /** Stops answering, cancels pending announcements and closes every socket. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clock.clearTimeout(this.rescanTimer);
    this.clock.clearTimeout(this.debounceTimer);
    this.conflictLog.close();
    this.gratuitous.close();
    this.reasserts.clear();
    this.periodic.stop();
    for (const timer of this.burstTimers) this.clock.clearTimeout(timer);
    this.burstTimers.clear();
    this.watcher?.close();
    for (const name of [...this.links.keys()]) this.dropLink(name);
    this.announced.clear();
    for (const protocol of ['arp', 'ndp'] as const) this.metrics.ownedIps.set({ protocol }, 0);
  }

  private readonly lookup = (ip: string, iface: string): Ownership => {
    if (this.announced.get(ip)?.has(iface)) return 'announce';
    if (this.yieldedOn.get(ip)?.has(iface)) return 'yielded';
    return this.desired.has(ip) ? 'other-interface' : 'not-owned';
  };

  private scheduleRescan(delayMs: number): void {
    if (this.closed || this.debounceTimer) return;
    this.debounceTimer = this.clock.setTimeout(() => {
      this.debounceTimer = undefined;
      this.rescan();
    }, delayMs);
  }

  private rescan(): void {
    if (this.closed) return;
    this.clock.clearTimeout(this.rescanTimer);
    this.rescanTimer = this.clock.setTimeout(() => {
      this.rescanTimer = undefined;
      this.rescan();
    }, this.rescanIntervalMs);
    try {
      this.snapshot = this.io.scan();
      this.clearError('scan', '*');
      this.noteLinkChanges();
    } catch (err) {
      this.reportError('scan', '*', err as ErrnoLike);
    }
    this.reconcile();
  }

  /**
   * Reports announceable links that started or stopped carrying since the
   * last scan, before acting on the change, so an observer can hold a
   * returning link first.
   */
  private noteLinkChanges(): void {
    const named = new Set<string>();
    let last: ReadonlySet<string> | undefined;
    this.desired.forEach((d) => {
      if (d.named === last) return;
      last = d.named;
      for (const n of d.named ?? []) named.add(n);
    });
    const now = new Set(this.snapshot.filter((i) => canCarry(i) && announceable(i, named, this.exclude)).map((i) => i.name));
    const before = this.carrying;
    this.carrying = now;
    const macs = this.macs();
    if (macs.join() !== this.macsKey) {
      this.macsKey = macs.join();
      this.onEvent({ type: 'macs', macs });
    }
    if (!before) return;
    for (const name of before) if (!now.has(name)) this.onEvent({ type: 'link', interface: name, carrying: false });
    for (const name of now) if (!before.has(name)) this.onEvent({ type: 'link', interface: name, carrying: true });
  }

  private reconcile(): void {
    const byName = new Map(this.snapshot.map((i) => [i.name, i]));
    for (const [name, link] of this.links) {
      const now = byName.get(name);
      if (!now || now.index !== link.iface.index || now.mac !== link.iface.mac || !canCarry(now)) this.dropLink(name);
      else link.iface = now;
    }

    // Runs every rescan over every address, so nothing here is built per
    // address: what an address wants follows from its shared DesiredIp
    // (worked out once a pass) and whether it is yielded; the loops are
    // forEach (for-of over entries builds a pair for each) and compare
    // interned sets by identity. desired and yielded are replaced, never
    // changed, so the locals hold this pass's view whatever an observer does.
    const desired = this.desired;
    const yielded = this.yielded;
    const selected = new Map<DesiredIp, ReadonlySet<string>>();
    const namesFor = (d: DesiredIp): ReadonlySet<string> => {
      let names = selected.get(d);
      if (!names) {
        names = this.sets.of(selectInterfaces(d.family, d.named, this.snapshot, this.exclude).filter((n) => !this.heldLinks.has(n)));
        selected.set(d, names);
        for (const name of d.named ?? []) {
          if (byName.has(name)) this.clearError(d.protocol, name, 'ENODEV');
          else this.reportError(d.protocol, name, Object.assign(new Error(`interface ${name} does not exist`), { code: 'ENODEV' }));
        }
      }
      return names;
    };
    const wantedFor = (d: DesiredIp, ip: string): ReadonlySet<string> => (yielded.has(ip) ? NO_INTERFACES : namesFor(d));
    desired.forEach(namesFor);
    this.yieldedOn.clear();
    for (const ip of yielded) {
      const d = desired.get(ip);
      if (d) this.yieldedOn.set(ip, namesFor(d));
    }
    const withdrawals: string[] = [];
    this.announced.forEach((names, ip) => {
      const d = desired.get(ip);
      const keep = d && wantedFor(d, ip);
      if (keep === names) return;
      for (const name of names) if (!keep?.has(name)) withdrawals.push(ip, name);
    });
    for (let i = 0; i < withdrawals.length; i += 2) this.withdraw(withdrawals[i]!, withdrawals[i + 1]!);
    desired.forEach((d, ip) => {
      const names = wantedFor(d, ip);
      const now = this.announced.get(ip);
      if (now === names) return;
      for (const name of names) if (!now?.has(name)) this.announce(ip, name);
    });
    // A yielded address still listens, to see whether its winner keeps claiming it.
    for (const [ip, names] of this.yieldedOn) {
      for (const name of names) {
        const iface = byName.get(name);
        if (iface) this.ensurePort(this.links.get(name) ?? this.addLink(iface), protocolOf(ipFamily(ip)!));
      }
    }
    this.closeIdlePorts();
    for (const link of this.links.values()) link.groups.settle();
    this.updateGauges();
    this.flushLogs();
    // The pass's takeovers start their schedules together: one cohort each interface.
    this.gratuitous.passEnded();
  }

  /** One summary line per kind for what the pass that just ended announced and withdrew (each address is at debug). */
  private flushLogs(): void {
    this.withdrawing.flush();
    this.announcing.flush();
  }

  private announce(ip: string, name: string): void {
    const d = this.desired.get(ip);
    const iface = this.snapshot.find((i) => i.name === name);
    if (!d || !iface) return;
    const link = this.links.get(name) ?? this.addLink(iface);
    if (!this.ensurePort(link, d.protocol)) return;
    if (d.protocol === 'ndp') link.groups.add(solicitedNodeKey(ip));
    this.announced.set(ip, this.sets.with(this.announced.get(ip), name));
    this.announcing.add(ip, { ip, interface: name, protocol: d.protocol });
    this.onEvent({ type: 'announce', protocol: d.protocol, interface: name, ip });
    this.gratuitous.taken(name, ip, this.schedules[d.protocol]);
  }

  private withdraw(ip: string, name: string): void {
    const names = this.announced.get(ip);
    if (!names?.has(name)) return;
    const rest = this.sets.without(names, name);
    if (rest.size === 0) this.announced.delete(ip);
    else this.announced.set(ip, rest);
    this.gratuitous.withdrawn(name, ip);
    this.lastConflictLog.get(name)?.delete(ip);
    const protocol = protocolOf(ipFamily(ip)!);
    const link = this.links.get(name);
    if (link && protocol === 'ndp') link.groups.remove(solicitedNodeKey(ip));
    this.withdrawing.add(ip, { ip, interface: name, protocol });
    this.onEvent({ type: 'withdraw', protocol, interface: name, ip });
  }

  private addLink(iface: SystemInterface): LinkState {
    const name = iface.name;
    const link: LinkState = {
      iface,
      ports: {},
      groups: new SolicitedGroups({
        // The link's iface is replaced at each scan: the membership opens on the one current then.
        openMembership: () => this.io.openMembership(link.iface),
        clock: this.clock,
        ...(this.random ? { random: this.random } : {}),
        retry: this.joinRetry,
        onProblem: (err) => this.reportError('ndp', name, err),
        onRecovered: (code, retries) => {
          this.clearError('ndp', name, code);
          // Joined, or no longer wanted (their addresses withdrawn): either way none waits now.
          this.log.info('no solicited-node group left unjoined after failed joins', { interface: name, code, retries });
        },
      }),
    };
    this.links.set(name, link);
    return link;
  }

  /** Withdraws everything on an interface that vanished, went down or was recreated, and closes its sockets. */
  private dropLink(name: string): void {
    for (const [ip, names] of [...this.announced]) if (names.has(name)) this.withdraw(ip, name);
    this.flushLogs();
    const link = this.links.get(name);
    if (!link) return;
    for (const protocol of ['arp', 'ndp'] as const) this.closePort(link, protocol);
    link.groups.close();
    this.links.delete(name);
  }

  private ensurePort(link: LinkState, protocol: L2Protocol): L2Port | undefined {
    const existing = link.ports[protocol];
    if (existing) return existing;
    const name = link.iface.name;
    try {
      const port: L2Port = this.io.openPort(
        protocol,
        link.iface,
        (frame) => this.onFrame(protocol, name, port, frame),
        (err) => this.onPortError(protocol, name, port, err),
      );
      link.ports[protocol] = port;
      this.clearError(protocol, name);
      return port;
    } catch (err) {
      this.reportError(protocol, name, err as ErrnoLike);
      return undefined;
    }
  }

  private closePort(link: LinkState, protocol: L2Protocol): void {
    const port = link.ports[protocol];
    if (!port) return;
    delete link.ports[protocol];
    port.close();
    this.metrics.setAnnounced(protocol, link.iface.name, 0);
  }

  /**
   * "protocol/interface" -> how many addresses are announced there. Counted
   * per shared interface set, so 10,000 addresses cost no string each.
   */
  private announcedCounts(): Map<string, number> {
    const bySet = new Map<ReadonlySet<string>, { arp: number; ndp: number }>();
    this.announced.forEach((names, ip) => {
      let c = bySet.get(names);
      if (!c) bySet.set(names, (c = { arp: 0, ndp: 0 }));
      c[protocolOfCanonical(ip)]++;
    });
    const counts = new Map<string, number>();
    for (const [names, c] of bySet) {
      for (const name of names) {
        for (const protocol of ['arp', 'ndp'] as const) {
          if (c[protocol] === 0) continue;
          const key = `${protocol}/${name}`;
          counts.set(key, (counts.get(key) ?? 0) + c[protocol]);
        }
      }
    }
    return counts;
  }

  private closeIdlePorts(): void {
    const inUse = this.announcedCounts();
    // A yielded address still listens, so its ports stay open.
    for (const [ip, names] of this.yieldedOn) for (const name of names) inUse.set(`${protocolOf(ipFamily(ip)!)}/${name}`, 0);
    for (const [name, link] of this.links) {
      for (const protocol of ['arp', 'ndp'] as const) if (!inUse.has(`${protocol}/${name}`)) this.closePort(link, protocol);
      if (!link.ports.arp && !link.ports.ndp) {
        link.groups.close();
        this.links.delete(name);
      }
    }
  }

  private onFrame(protocol: L2Protocol, name: string, port: L2Port, frame: Buffer): void {
    const link = this.links.get(name);
    if (!link || link.ports[protocol] !== port || !link.iface.mac) return;
    const iface = { name, mac: link.iface.mac };
    let d: L2Decision;
    try {
      d = protocol === 'arp' ? decideArp(frame, iface, this.lookup) : decideNdp(frame, iface, this.lookup);
    } catch (err) {
      // The decoders return bad input as errors, which decide* turns into
      // verdicts; a throw here is a bug, counted rather than let loose in
      // the receive path.
      d = { verdict: 'malformed', detail: `unexpected: ${errorMessage(err)}` };
    }
    this.metrics.requestsReceived.inc({ protocol, interface: name, verdict: d.verdict });
    if (d.verdict === 'answered' && d.ip) this.metrics.metallb.requestsReceived.inc({ ip: d.ip });
    if (d.verdict === 'answered' && d.reply && this.send(link, protocol, d.reply)) {
      this.metrics.responsesSent.inc({ protocol, interface: name });
      if (d.ip) this.metrics.metallb.responsesSent.inc({ ip: d.ip });
    }
    if (d.verdict === 'conflict' && d.ip) this.logConflict(protocol, name, d.ip, frame);
    this.onEvent({ type: 'verdict', protocol, interface: name, verdict: d.verdict, ip: d.ip, detail: d.detail, ...(d.claim ? { claim: d.claim } : {}) });
  }

  private onPortError(protocol: L2Protocol, name: string, port: L2Port, err: ErrnoLike): void {
    const link = this.links.get(name);
    if (!link || link.ports[protocol] !== port) return;
    this.reportError(protocol, name, err);
    // The socket is unusable (typically ENETDOWN/ENODEV as the link goes):
    // withdraw on it now and let the rescan rebuild whatever still applies.
    for (const [ip, names] of [...this.announced]) {
      if (names.has(name) && protocolOf(ipFamily(ip)!) === protocol) this.withdraw(ip, name);
    }
    this.flushLogs();
    this.closePort(link, protocol);
    this.scheduleRescan(LINK_EVENT_DEBOUNCE_MS);
  }

  /** How a paced gratuitous frame is written (for the interface's MAC now), sent, counted and reported. */
  private readonly roundIo: RoundIo = {
    send: (r, index) => {
      const link = this.links.get(r.name);
      const mac = link?.iface.mac;
      if (!link || !mac) return 'failed';
      const outcome = this.transmit(link, r.protocol, this.frames.write(r.protocol, mac, r.ip, index), true);
      if (outcome === 'refused') this.metrics.gratuitousRefused.inc({ protocol: r.protocol, interface: r.name });
      return outcome;
    },
    dropped: (r) => this.metrics.gratuitousDropped.inc({ protocol: r.protocol, interface: r.name }),
    finished: (r, sent) => {
      // A round is counted when the pacer takes the next one, which can be after its address
      // was released: the frames count for the interface, but bring back no per-address series.
      if (sent > 0) this.metrics.countGratuitous(r.protocol, r.name, this.desired.has(r.ip) ? r.ip : undefined, sent);
      this.onEvent({ type: 'gratuitous', protocol: r.protocol, interface: r.name, ip: r.ip });
    },
  };

  private send(link: LinkState, protocol: L2Protocol, frame: Buffer): boolean {
    return this.transmit(link, protocol, frame) === 'sent';
  }

  /** paced: a refusal is the pacer's to retry and count (gratuitous_refused), not a send error. */
  private transmit(link: LinkState, protocol: L2Protocol, frame: Buffer, paced = false): SendOutcome {
    const port = link.ports[protocol];
    if (!port) return 'failed';
    try {
      port.send(frame);
      return 'sent';
    } catch (err) {
      const code = errorCode(err);
      if (paced && QUEUE_FULL.has(code)) return 'refused';
      this.metrics.sendErrors.inc({ protocol, interface: link.iface.name, code });
      this.log.warn('send failed', { protocol, interface: link.iface.name, code, error: errorMessage(err) });
      return 'failed';
    }
  }

  private logConflict(protocol: L2Protocol, name: string, ip: string, frame: Buffer): void {
    let byIp = this.lastConflictLog.get(name);
    if (!byIp) this.lastConflictLog.set(name, (byIp = new Map()));
    const last = byIp.get(ip);
    if (last !== undefined && this.clock.now() - last < CONFLICT_LOG_INTERVAL_MS) return;
    byIp.set(ip, this.clock.now());
    this.conflictLog.add(ip, { ip, interface: name, protocol, frame: frame.toString('hex') });
  }

  private reportError(protocol: L2Protocol | 'scan' | 'watch', name: string, err: ErrnoLike): void {
    const code = errorCode(err);
    const message = errorMessage(err);
    const key = `${protocol}/${name}`;
    const prev = this.errors.get(key);
    // A condition that persists (a missing interface, a missing capability)
    // is retried on every reconcile: report and count it once, not each time.
    if (prev?.code === code && prev.message === message) return;
    this.errors.set(key, { code, message });
    this.metrics.socketErrors.inc({ protocol, interface: name, code });
    this.log.error(message, { protocol, interface: name, code });
    this.onEvent({ type: 'error', protocol, interface: name, code, message });
  }

  /** Forgets the error reported for protocol/name (only if it has this code, when one is given). */
  private clearError(protocol: L2Protocol | 'scan' | 'watch', name: string, code?: string): void {
    const key = `${protocol}/${name}`;
    if (code === undefined || this.errors.get(key)?.code === code) this.errors.delete(key);
  }

  private updateGauges(): void {
    const counts = this.announcedCounts();
    for (const [name, link] of this.links) {
      for (const protocol of ['arp', 'ndp'] as const) {
        if (link.ports[protocol]) this.metrics.setAnnounced(protocol, name, counts.get(`${protocol}/${name}`) ?? 0);
      }
    }
  }
}
