// What the controller does about one Service, decided without I/O: the
// allocator's verdict turned into the status and annotation to write and the
// Events to record. The controller (controller.ts) carries plans out.
//
// Addresses a Service's status already carries are registered before
// anything is allocated (Allocator.assign), so a controller restart never
// moves an address. When such an address cannot be registered (another
// Service holds it without a compatible sharing key, no pool contains it, its
// pool no longer admits the Service), that is a conflict: it is reported on
// both Services and left in place, never silently resolved by handing out
// another address. The Service is tried again whenever addresses are freed
// or the configuration changes. Two ways out of a conflict are explicit: a
// request for other addresses (metallb.io/loadBalancerIPs,
// spec.loadBalancerIP), or clearing the status.
//
// Status addresses the controller itself made stale (their pool went away,
// an allocation failed after releasing them) are never registered again:
// the Service gets new addresses or its status is cleared.

import type { V1Service } from '@kubernetes/client-node';
import { Annotation, annotation, type AllocCode, type Allocator, type Failure, type ServiceInput } from '../alloc/index.js';
import { namespacedKey } from '../kube/object-key.js';
import { ingressEqual } from '../kube/status-writer.js';
import { deprecatedAnnotations, ingressOrder, POOL_ANNOTATION, sameIPSet, statusIPs, toServiceInput } from './service-view.js';
import type { Wire } from '../kube/wire.js';

/** Event reasons; MetalLB's where MetalLB has one. */
export const Reason = {
  ipAllocated: 'IPAllocated',
  allocationFailed: 'AllocationFailed',
  clearAssignment: 'ClearAssignment',
  additionalAssignFailed: 'AdditionalAssignFailed',
  deprecatedAnnotation: 'deprecatedAnnotation',
  ipConflict: 'IPConflict',
  configInvalid: 'ConfigInvalid',
} as const;

export type ServiceState = 'allocated' | 'pending' | 'conflict';

export interface ServiceRecord {
  readonly key: string;
  readonly state: ServiceState;
  /** Held addresses (allocated), or the status addresses in dispute (conflict). */
  readonly ips: readonly string[];
  readonly pool: string | undefined;
  /** Why the service is pending or in conflict. */
  readonly problem: { readonly code: AllocCode; readonly message: string } | undefined;
  /** When the state or problem last changed. */
  readonly since: Date;
}

type MutableRecord = { -readonly [K in keyof ServiceRecord]: ServiceRecord[K] };

interface Book extends MutableRecord {
  /** The status addresses are not ours any more: never register them again. */
  stale: boolean;
  /** Bumped when a pool change strands the service; a plan made before that cannot clear `stale`. */
  strandings: number;
  /** `strandings` when the last plan was made. */
  plannedAt: number;
  /** The PreferDualStack note last reported, to report each once. */
  note: string | undefined;
}

export interface PlannedEvent {
  /** The service the event is about, "namespace/name". */
  readonly service: string;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

export interface Plan {
  readonly key: string;
  readonly outcome: ServiceState | 'deleted' | 'not-ours';
  /** status.loadBalancer.ingress to write; undefined leaves the status alone. */
  readonly ingress?: readonly string[];
  /** The pool annotation: a name to set, null to remove, undefined to leave it. */
  readonly poolAnnotation?: string | null;
  readonly events: readonly PlannedEvent[];
  /** Addresses were given back: services waiting for one may get it now. */
  readonly freed: boolean;
  /** New addresses handed out by this plan. */
  readonly granted?: { readonly pool: string; readonly ips: readonly string[] };
  /** Set when the service newly failed, or failed for another reason than last time. */
  readonly failure?: AllocCode;
}

/** Registration failures that leave the status in place; the others (family changes, garbage) make it stale. */
const CONFLICT_CODES: ReadonlySet<AllocCode> = new Set<AllocCode>([
  'ip-in-use',
  'ip-not-in-any-pool',
  'pool-removed',
  'ip-avoided-as-buggy',
  'pool-not-allowed',
  'requested-ips-span-pools',
]);

const quoteList = (ips: readonly string[]): string => JSON.stringify(ips);

export class ServicePlanner {
  private readonly books = new Map<string, Book>();

  constructor(
    private readonly alloc: Allocator,
    private readonly isOurClass: (loadBalancerClass: string | undefined) => boolean,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get(key: string): ServiceRecord | undefined {
    const b = this.books.get(key);
    return b && toRecord(b);
  }

  /** Every service of ours the planner knows, sorted by key. */
  list(): ServiceRecord[] {
    return [...this.books.values()].sort((a, b) => (a.key < b.key ? -1 : 1)).map(toRecord);
  }

  /** Services waiting for an address or in conflict: worth another try when addresses free up. */
  waiting(): string[] {
    return [...this.books.values()].filter((b) => b.state !== 'allocated').map((b) => b.key);
  }

  /**
   * Startup: registers the addresses `svc`'s status carries. Call it for every
   * service, oldest first (the older of two claimants keeps a contested
   * address), before any plan(). Returns the conflict events.
   */
  register(svc: Wire<V1Service>, namespaceLabels: Readonly<Record<string, string>> | undefined): PlannedEvent[] {
    const input = toServiceInput(svc, namespaceLabels);
    const key = namespacedKey(input.namespace, input.name);
    const status = statusIPs(svc);
    if (!this.isOurs(input) || status.length === 0 || this.alloc.get(key)) return [];
    const conflict = this.registerStatus(key, input, status, this.book(key));
    return conflict ? [...conflict.events] : [];
  }

  /** Status addresses that left every pool (Allocator.setPools' stranded): the services get new ones. */
  markStranded(keys: readonly string[]): void {
    for (const k of keys) {
      const b = this.books.get(k);
      if (!b) continue;
      b.stale = true;
      b.strandings++;
    }
  }

  /**
   * The service's status and annotation now say what its last plan wanted.
   * Unless a pool change stranded it while that plan was being written: then
   * what was written is stale already.
   */
  published(key: string): void {
    const b = this.books.get(key);
    if (b && b.plannedAt === b.strandings) b.stale = false;
  }

  /** Decides about the service `key`; `svc` undefined means it was deleted. */
  plan(key: string, svc: Wire<V1Service> | undefined, namespaceLabels: Readonly<Record<string, string>> | undefined): Plan {
    if (!svc) {
      const r = this.alloc.release(key);
      this.books.delete(key);
      return { key, outcome: 'deleted', events: [], freed: r.freed.length > 0 };
    }
    const input = toServiceInput(svc, namespaceLabels);
    const status = statusIPs(svc);
    if (!this.isOurs(input)) return this.notOurs(key, svc, input, status);
    const book = this.book(key);
    book.plannedAt = book.strandings;
    if (!this.alloc.get(key) && status.length > 0 && !book.stale) {
      const conflict = this.registerStatus(key, input, status, book);
      if (conflict) return conflict;
    }
    const held = this.alloc.get(key);
    const d = this.alloc.allocate(input);
    const hasAnnotation = svc.metadata?.annotations?.[POOL_ANNOTATION] !== undefined;
    if (!d.ok) {
      const events: PlannedEvent[] = [];
      const isNew = this.setState(book, 'pending', [], undefined, { code: d.code, message: d.message });
      if (isNew) events.push(ev(key, 'Warning', Reason.allocationFailed, `Failed to allocate IP for "${key}": ${d.message} (${d.code})`));
      // As MetalLB: a service that cannot have an address shows none.
      if (status.length > 0) book.stale = true;
      return this.withDeprecations(svc, {
        key,
        outcome: 'pending',
        ...(status.length > 0 && { ingress: [] }),
        ...(hasAnnotation && { poolAnnotation: null }),
        events,
        freed: d.released.length > 0,
        ...(isNew && { failure: d.code }),
      });
    }
    const pool = d.pool as string;
    const events: PlannedEvent[] = [];
    if (d.replaced) {
      events.push(ev(key, 'Normal', Reason.clearAssignment, `Released IP ${quoteList(d.released)}: ${d.replaced.message} (${d.replaced.code}); assigning a new one`));
    }
    let granted: Plan['granted'];
    if (d.action === 'allocated') {
      granted = { pool, ips: d.ips };
      events.push(ev(key, 'Normal', Reason.ipAllocated, `Assigned IP ${quoteList(d.ips)} from pool "${pool}"`));
    } else if (d.action === 'extended') {
      const added = d.ips.filter((ip) => !(held?.ips ?? []).includes(ip));
      granted = { pool, ips: added };
      events.push(ev(key, 'Normal', Reason.ipAllocated, `Assigned additional IP ${quoteList(added)} from pool "${pool}"`));
    }
    const note = d.note && `${d.note.message} (${d.note.code})`;
    if (note !== undefined && note !== book.note) {
      events.push(ev(key, 'Normal', Reason.additionalAssignFailed, `Cannot assign an additional IP for PreferDualStack: ${note}`));
    }
    book.note = note;
    this.setState(book, 'allocated', d.ips, pool, undefined);
    const ingress = ingressOrder(status, d.ips);
    const writeIngress = !ingressEqual(svc.status?.loadBalancer?.ingress, ingress.map((ip) => ({ ip })));
    const writePool = svc.metadata?.annotations?.[POOL_ANNOTATION] !== pool;
    return this.withDeprecations(svc, {
      key,
      outcome: 'allocated',
      ...(writeIngress && { ingress }),
      ...(writePool && { poolAnnotation: pool }),
      events,
      freed: d.released.length > 0,
      ...(granted && { granted }),
    });
  }

  private isOurs(input: ServiceInput): boolean {
    return input.type === 'LoadBalancer' && this.isOurClass(input.loadBalancerClass);
  }

  private book(key: string): Book {
    let b = this.books.get(key);
    if (!b) {
      b = { key, state: 'pending', ips: [], pool: undefined, problem: undefined, since: this.now(), stale: false, strandings: 0, plannedAt: 0, note: undefined };
      this.books.set(key, b);
    }
    return b;
  }

  /** Updates a record; true when the state or problem changed (worth an Event). */
  private setState(b: Book, state: ServiceState, ips: readonly string[], pool: string | undefined, problem: Book['problem']): boolean {
    const changed = b.state !== state || b.problem?.code !== problem?.code || b.problem?.message !== problem?.message;
    if (changed) b.since = this.now();
    b.state = state;
    b.ips = ips;
    b.pool = pool;
    b.problem = problem;
    return changed;
  }

  /**
   * Registers status addresses the allocator does not hold yet. Returns a
   * conflict plan, or undefined when they are now held or were found stale.
   */
  private registerStatus(key: string, input: ServiceInput, status: readonly string[], book: Book): Plan | undefined {
    // Addresses the service itself no longer asks for are not held even for a
    // moment: they would make a rightful claimant look like a conflict.
    if (requestsOther(input, status)) {
      book.stale = true;
      return undefined;
    }
    const a = this.alloc.assign(input, status);
    const wantPool = annotation(input, Annotation.addressPool) ?? '';
    if (a.ok && wantPool !== '' && a.pool !== wantPool) {
      this.alloc.release(key);
      book.stale = true;
      return undefined;
    }
    if (a.ok) {
      this.setState(book, 'allocated', a.ips, a.pool, undefined);
      return undefined;
    }
    if (!CONFLICT_CODES.has(a.code)) {
      book.stale = true;
      return undefined;
    }
    return this.conflict(key, status, a, book);
  }

  private conflict(key: string, status: readonly string[], f: Failure, book: Book): Plan {
    const events: PlannedEvent[] = [];
    if (this.setState(book, 'conflict', status, undefined, { code: f.code, message: f.message })) {
      events.push(
        ev(key, 'Warning', Reason.ipConflict,
          `IP ${quoteList(status)} in the status cannot be registered: ${f.message} (${f.code}). ` +
          'Left in place, not reallocated: free the address, change the pools, or request another address'),
      );
      for (const other of f.conflict?.with ?? []) {
        events.push(ev(other, 'Warning', Reason.ipConflict, `IP ${f.conflict?.ip ?? ''} is also claimed by the status of ${key}`));
      }
    }
    return { key, outcome: 'conflict', events, freed: false };
  }

  /**
   * A service that is not a LoadBalancer of our class. Its addresses go back;
   * what the controller wrote is taken back: the annotation, and the status
   * when it still lists the released addresses (a service of another class
   * may already carry its new controller's status) or the service is no
   * LoadBalancer at all.
   */
  private notOurs(key: string, svc: Wire<V1Service>, input: ServiceInput, status: readonly string[]): Plan {
    const held = this.alloc.get(key);
    const r = this.alloc.release(key);
    this.books.delete(key);
    const notLB = input.type !== 'LoadBalancer';
    const hasAnnotation = svc.metadata?.annotations?.[POOL_ANNOTATION] !== undefined;
    const ours = held !== undefined || (notLB && hasAnnotation);
    const clearStatus = ours && status.length > 0 && (notLB || sameIPSet(status, held?.ips ?? []));
    return {
      key,
      outcome: 'not-ours',
      ...(clearStatus && { ingress: [] }),
      ...(ours && hasAnnotation && { poolAnnotation: null }),
      events: [],
      freed: r.freed.length > 0,
    };
  }

  /** As MetalLB: a service about to be written that still uses metallb.universe.tf/ annotations is told so. */
  private withDeprecations(svc: Wire<V1Service>, plan: Plan): Plan {
    if (plan.ingress === undefined && plan.poolAnnotation === undefined) return plan;
    const old = deprecatedAnnotations(svc);
    if (old.length === 0) return plan;
    const e = ev(plan.key, 'Warning', Reason.deprecatedAnnotation, `Service uses deprecated annotation ${old.join(', ')}: use the metallb.io/ prefix`);
    return { ...plan, events: [...plan.events, e] };
  }
}

function ev(service: string, type: PlannedEvent['type'], reason: string, message: string): PlannedEvent {
  return { service, type, reason, message };
}

function toRecord(b: Book): ServiceRecord {
  return { key: b.key, state: b.state, ips: b.ips, pool: b.pool, problem: b.problem, since: b.since };
}

/** The service asks for specific addresses other than those in its status: the request wins over a conflict. */
function requestsOther(input: ServiceInput, status: readonly string[]): boolean {
  const asked = annotation(input, Annotation.loadBalancerIPs) || input.loadBalancerIP || '';
  if (asked === '') return false;
  return !sameIPSet(asked.split(',').map((s) => s.trim()), status);
}
