// The election's services grouped by IP, kept up to date from one set of
// inputs to the next. Only the services that changed (by object identity:
// the speaker replaces a service's input object when the Service or its
// EndpointSlices change) are parsed again, and update() says which
// addresses they touch, so the election re-decides only those.
//
// The rules are those of one full grouping: every address in canonical
// text (an address listed twice by one service counts once); a service
// listed twice in the inputs is left out and reported, because which entry
// is right would depend on input order; unparseable addresses are reported
// with their field.

import { compareIP, formatIP, parseIPDetailed, type IP } from '../net/index.js';
import type { InputProblem } from './election-eligibility.js';
import { serviceKeyOf } from './election-inputs.js';
import type { ElectionService } from './election-inputs.js';

export interface IpGroup {
  readonly ip: IP;
  readonly text: string;
  /**
   * The services holding the address, in no particular order. Replaced,
   * never changed in place: an address held by one service shares its
   * key's one-entry list instead of a list of its own.
   */
  services: readonly ElectionService[];
}

interface KeyEntry {
  /** Every input entry with this "namespace/name" (more than one is a problem). */
  readonly entries: readonly ElectionService[];
  /** Canonical addresses this key contributes to groups. */
  readonly ips: readonly string[];
  readonly problems: readonly InputProblem[];
}

/** What one update() did. */
interface Change {
  readonly touched: Set<string>;
  problems: boolean;
  addresses: boolean;
}

/** Shared by every key without problems: the index keeps an entry per service. */
const NO_PROBLEMS: readonly InputProblem[] = Object.freeze([]);

/** More services replaced than this and update() diffs by key. */
const MAX_IN_PLACE = 64;

const byProblemOrder = (a: InputProblem, b: InputProblem): number =>
  a.service < b.service ? -1 : a.service > b.service ? 1 : a.field < b.field ? -1 : a.field > b.field ? 1 : 0;

function sameEntries(a: readonly ElectionService[], b: readonly ElectionService[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Makes the group of a newly held address: a caller that keeps something per address (the election) makes it part of the group, one object per address. */
export type GroupMaker<G extends IpGroup> = (ip: IP, text: string, services: readonly ElectionService[]) => G;

const plainGroup: GroupMaker<IpGroup> = (ip, text, services) => ({ ip, text, services });

export class ServiceIndex<G extends IpGroup = IpGroup> {
  private readonly keys = new Map<string, KeyEntry>();
  private readonly byIp = new Map<string, G>();
  private inputs: readonly ElectionService[] = [];
  private problemList: readonly InputProblem[] = [];
  /** The groups in address order (IPv4 first); undefined until asked for after a change of the address set. */
  private ordered: G[] | undefined = [];

  constructor(private readonly makeGroup: GroupMaker<G>) {}

  /** A one-off index of `services`. */
  static of(services: readonly ElectionService[]): ServiceIndex {
    const index = new ServiceIndex(plainGroup);
    index.update(services);
    return index;
  }

  /** Whether the index holds exactly `services` (the same array as the last update()), so a reader of those inputs may use it as is. */
  holds(services: readonly ElectionService[]): boolean {
    return services === this.inputs;
  }

  /** Canonical address -> the services holding it. */
  get groups(): ReadonlyMap<string, G> {
    return this.byIp;
  }

  /** Bad inputs left out, sorted by service then field. */
  get problems(): readonly InputProblem[] {
    return this.problemList;
  }

  /** The held addresses in address order (IPv4 first). */
  order(): readonly G[] {
    if (!this.ordered) this.ordered = [...this.byIp.values()].sort((a, b) => compareIP(a.ip, b.ip));
    return this.ordered;
  }

  /**
   * Makes the index hold exactly `services`. Returns the canonical
   * addresses whose set of holding services changed: held before or now
   * by a service that was added, removed or replaced.
   */
  update(services: readonly ElectionService[]): Set<string> {
    const touched = new Set<string>();
    if (services === this.inputs) return touched;
    const previous = this.inputs;
    this.inputs = services;
    const change: Change = { touched, problems: false, addresses: false };
    if (previous.length === services.length && this.replacedInPlace(previous, services, change)) {
      this.finish(change);
      return touched;
    }

    const next = new Map<string, ElectionService[]>();
    for (const svc of services) {
      const key = serviceKeyOf(svc);
      const same = next.get(key);
      if (same) same.push(svc);
      else next.set(key, [svc]);
    }
    for (const key of this.keys.keys()) if (!next.has(key)) this.apply(key, undefined, change);
    for (const [key, entries] of next) this.apply(key, entries, change);
    this.finish(change);
    return touched;
  }

  /**
   * The usual cases without a map of every key: the same service objects in
   * the same order (only members or nodes changed), or a few of them
   * replaced in place by entries of the same key. False (having applied
   * some replacements, which the full diff then finds done) otherwise.
   */
  private replacedInPlace(previous: readonly ElectionService[], services: readonly ElectionService[], change: Change): boolean {
    const replaced: number[] = [];
    for (let i = 0; i < services.length; i++) {
      if (previous[i] === services[i]) continue;
      if (replaced.length === MAX_IN_PLACE) return false;
      replaced.push(i);
    }
    for (const i of replaced) {
      const key = serviceKeyOf(services[i]!);
      const old = this.keys.get(key);
      if (serviceKeyOf(previous[i]!) !== key || old?.entries.length !== 1 || old.entries[0] !== previous[i]) return false;
      this.apply(key, [services[i]!], change);
    }
    return true;
  }

  private finish(change: Change): void {
    if (change.problems) this.problemList = [...this.keys.values()].flatMap((k) => k.problems).sort(byProblemOrder);
    if (change.addresses) this.ordered = undefined;
  }

  /** Makes the index hold `entries` for `key` (undefined: none), noting what that touches. */
  private apply(key: string, entries: readonly ElectionService[] | undefined, change: Change): void {
    const old = this.keys.get(key);
    if (old && entries && sameEntries(old.entries, entries)) return;
    if (old) {
      for (const ip of old.ips) {
        change.touched.add(ip);
        const g = this.byIp.get(ip)!;
        g.services = g.services.filter((svc) => svc !== old.entries[0]);
        if (g.services.length === 0) {
          this.byIp.delete(ip);
          change.addresses = true;
        }
      }
      if (old.problems.length > 0) change.problems = true;
      this.keys.delete(key);
    }
    if (!entries) return;
    const { entry: added, parsed } = parseEntries(key, entries);
    added.ips.forEach((ip, i) => {
      change.touched.add(ip);
      const g = this.byIp.get(ip);
      if (g) g.services = [...g.services, entries[0]!];
      else {
        // `entries` is this key's one entry (a key listed more than once holds no address).
        this.byIp.set(ip, this.makeGroup(parsed[i]!, ip, entries));
        change.addresses = true;
      }
    });
    if (added.problems.length > 0) change.problems = true;
    this.keys.set(key, added);
  }
}

/** One key's input entries, parsed: the canonical addresses it holds (with their parsed form) and its problems. */
function parseEntries(key: string, entries: readonly ElectionService[]): { entry: KeyEntry; parsed: IP[] } {
  if (entries.length > 1) {
    return { entry: { entries, ips: [], problems: [{ service: key, field: '', message: `service ${key} appears ${entries.length} times in the inputs; ignored` }] }, parsed: [] };
  }
  const svc = entries[0]!;
  if (svc.ips.length === 1) {
    // The usual service: one address, most often already canonical (then its own list serves).
    const p = parseIPDetailed(svc.ips[0]!);
    if (p.ok) {
      const canonical = formatIP(p.ip);
      return { entry: { entries, ips: canonical === svc.ips[0] ? svc.ips : [canonical], problems: NO_PROBLEMS }, parsed: [p.ip] };
    }
  }
  const ips: string[] = [];
  const parsed: IP[] = [];
  const problems: InputProblem[] = [];
  const mine = new Set<string>();
  svc.ips.forEach((text, i) => {
    const p = parseIPDetailed(text);
    if (!p.ok) {
      problems.push({ service: key, field: `ips[${i}]`, message: `${JSON.stringify(text)} is not an IP address: ${p.reason}` });
      return;
    }
    const canonical = formatIP(p.ip);
    if (mine.has(canonical)) return;
    mine.add(canonical);
    ips.push(canonical);
    parsed.push(p.ip);
  });
  // Already canonical and distinct (a file's VIPs, most Services): the service's own list serves.
  const same = problems.length === 0 && ips.length === svc.ips.length && ips.every((ip, i) => ip === svc.ips[i]);
  return { entry: { entries, ips: same ? svc.ips : ips, problems: problems.length ? problems : NO_PROBLEMS }, parsed };
}
