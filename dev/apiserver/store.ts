// The double's registry: objects of every served resource type in memory,
// one global resourceVersion counter (etcd's revision), a bounded change log
// per type, and the watchers to tell. It implements the generic semantics
// of the real API server's registry (optimistic concurrency, status
// subresource, finalizers, namespaces, generateName, no-op updates that do
// not bump the resourceVersion) and delegates per-kind rules to strategies.

import { randomUUID } from 'node:crypto';
import {
  alreadyExists,
  ApiError,
  badRequest,
  conflict,
  expired,
  invalid,
  notFound,
  staleObject,
  type FieldError,
} from './api-errors.js';
import { ChangeLog, type Change, type ChangeType, type StoredObject } from './history.js';
import type { PatchSchema } from './patch.js';
import { matchesLabels, type LabelSelector } from './selectors.js';
import { ServiceAllocator } from './service-ips.js';
import { createStrategies, nameProblemFor, type KindStrategy, type Obj } from './strategy.js';
import { validateObjectMeta } from './validation.js';
import {
  apiVersionOf,
  builtinResources,
  metallbResources,
  namespaces as namespaceType,
  type ResourceType,
} from '../../src/kube/resources.js';
import { namespacedKey } from '../../src/kube/object-key.js';
import { formatWireTime } from '../../src/kube/wire.js';

export type { StoredObject } from './history.js';

export interface StoreOptions {
  /** Changes kept per resource type for watch resume and paginated lists; older ones answer 410. */
  historyLimit?: number;
  /** One or two (dual-stack) service CIDRs; the first one's family is the cluster default. */
  serviceCidrs?: string[];
  /** Resource types served; the default is every built-in and metallb.io type shoal uses. */
  resources?: readonly ResourceType[];
  /** Whether custom resource types start installed (their CRDs present). */
  installCustomResources?: boolean;
  now?: () => Date;
  random?: () => number;
  uid?: () => string;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: LabelSelector;
  fieldMatch?: (obj: Record<string, unknown>) => boolean;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListResult {
  items: StoredObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: LabelSelector;
  fieldMatch?: (obj: Record<string, unknown>) => boolean;
  resourceVersion?: string;
}

export interface WatchSink {
  event(type: ChangeType, object: StoredObject): void;
  /** The store ended the watch (its resource type was uninstalled). */
  end(): void;
}

export interface Subscription {
  close(): void;
}

export interface WriteOptions {
  subresource?: 'status';
  dryRun?: boolean;
}

export interface DeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

interface Watcher {
  opts: WatchOptions;
  sink: WatchSink;
}

interface Table {
  type: ResourceType;
  strategy: KindStrategy;
  installed: boolean;
  objects: Map<string, StoredObject>;
  log: ChangeLog;
  watchers: Set<Watcher>;
}

const defaultNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const generateNameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function withoutMeta(o: Obj, drop: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...o };
  for (const k of drop) delete out[k];
  return out;
}

export function keyOf(o: { metadata: { namespace?: unknown; name?: unknown } }): string {
  const ns = o.metadata.namespace;
  return namespacedKey(typeof ns === 'string' ? ns : undefined, String(o.metadata.name));
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.rv, start: t.start })).toString('base64url');
}

function decodeContinue(s: string): ContinueToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    throw badRequest(`continue key is not valid: "${s}" is not a token this server issued`);
  }
  const p = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (p.v !== 'meta.k8s.io/v1' || typeof p.rv !== 'number' || typeof p.start !== 'string') {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  return { rv: p.rv, start: p.start };
}

function parseRv(s: string, what: string): number {
  if (!/^\d+$/.test(s)) throw badRequest(`Invalid value: "${s}": ${what} must be a non-negative integer`);
  return Number(s);
}

export class ObjectStore {
  private rv = 0;
  private readonly tables = new Map<ResourceType, Table>();
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly newUid: () => string;

  constructor(opts: StoreOptions = {}) {
    const types = opts.resources ?? [...builtinResources, ...metallbResources];
    const allocator = new ServiceAllocator(opts.serviceCidrs ?? ['10.96.0.0/16']);
    const strategies = createStrategies(types, allocator);
    const limit = opts.historyLimit ?? 1000;
    for (const t of types) {
      this.tables.set(t, {
        type: t,
        strategy: strategies.get(t)!,
        installed: t.builtin || (opts.installCustomResources ?? true),
        objects: new Map(),
        log: new ChangeLog(limit),
        watchers: new Set(),
      });
    }
    this.now = opts.now ?? (() => new Date());
    this.random = opts.random ?? Math.random;
    this.newUid = opts.uid ?? randomUUID;
    if (this.tables.has(namespaceType)) {
      for (const ns of defaultNamespaces) this.create(namespaceType, undefined, { metadata: { name: ns } });
    }
  }

  /** The current global resourceVersion (etcd revision). */
  get resourceVersion(): number {
    return this.rv;
  }

  get types(): ResourceType[] {
    return [...this.tables.keys()];
  }

  isInstalled(type: ResourceType): boolean {
    return this.table(type).installed;
  }

  /** Strategic merge patch strategies of a type; undefined when the server refuses that patch type. */
  patchSchema(type: ResourceType): PatchSchema | undefined {
    return this.table(type).strategy.patchSchema;
  }

  deleteReturnsObject(type: ResourceType): boolean {
    return this.table(type).strategy.deleteReturnsObject;
  }

  /** Serve a custom resource type from now on, as creating its CRD does. */
  install(type: ResourceType): void {
    this.table(type).installed = true;
  }

  /** Stop serving a type, as deleting its CRD does: its objects are deleted and its watches end. */
  uninstall(type: ResourceType): void {
    const t = this.table(type);
    for (const obj of [...t.objects.values()]) this.remove(t, obj);
    for (const w of [...t.watchers]) {
      t.watchers.delete(w);
      w.sink.end();
    }
    t.installed = false;
  }

  /** Forget every change up to now in every type: older resourceVersions answer 410 Gone. */
  compact(): void {
    for (const t of this.tables.values()) t.log.compact(this.rv);
  }

  get(type: ResourceType, namespace: string | undefined, name: string): StoredObject {
    const t = this.served(type);
    const obj = t.objects.get(this.key(t, namespace, name));
    if (!obj) throw notFound(this.subject(t, name));
    return structuredClone(obj);
  }

  list(type: ResourceType, opts: ListOptions = {}): ListResult {
    const t = this.served(type);
    if (opts.resourceVersionMatch !== undefined) {
      if (opts.resourceVersion === undefined || opts.resourceVersion === '') {
        throw badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
      }
      if (!['Exact', 'NotOlderThan'].includes(opts.resourceVersionMatch)) {
        throw badRequest(`resourceVersionMatch "${opts.resourceVersionMatch}" is not supported: "Exact", "NotOlderThan"`);
      }
    }
    if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 0)) {
      throw badRequest(`limit must be a non-negative integer, got ${opts.limit}`);
    }
    let snapshotRv = this.rv;
    let start = '';
    if (opts.continue) {
      if (opts.resourceVersion !== undefined && opts.resourceVersion !== '' && opts.resourceVersion !== '0') {
        throw badRequest('specifying resource version is not allowed when using continue');
      }
      const tok = decodeContinue(opts.continue);
      snapshotRv = tok.rv;
      start = tok.start;
      if (!t.log.covers(snapshotRv) || snapshotRv > this.rv) {
        throw expired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      }
    } else if (opts.resourceVersion !== undefined && opts.resourceVersion !== '' && opts.resourceVersion !== '0') {
      const want = parseRv(opts.resourceVersion, 'resourceVersion');
      if (want > this.rv) {
        throw new ApiError(504, 'Timeout', `Too large resource version: ${want}, current: ${this.rv}`, { retryAfterSeconds: 1 });
      }
      if (opts.resourceVersionMatch === 'Exact') {
        if (!t.log.covers(want)) throw expired(`The resourceVersion for the provided list is too old.`);
        snapshotRv = want;
      }
    }
    const source = snapshotRv === this.rv ? t.objects : t.log.snapshotAt(snapshotRv, t.objects, keyOf);
    const keys = [...source.keys()].filter((k) => k >= start).sort();
    const items: StoredObject[] = [];
    let i = 0;
    for (; i < keys.length; i++) {
      if (opts.limit && items.length >= opts.limit) break;
      const obj = source.get(keys[i]!)!;
      if (this.matches(obj, opts)) items.push(obj);
    }
    const result: ListResult = { items: items.map((o) => structuredClone(o)), resourceVersion: String(snapshotRv) };
    if (opts.limit && i < keys.length) {
      // More remain only if one of the rest matches; the real server checks the same way.
      const rest = keys.slice(i).filter((k) => this.matches(source.get(k)!, opts));
      if (rest.length > 0) {
        result.continue = encodeContinue({ rv: snapshotRv, start: keys[i - 1]! + '\u0000' });
        if (!opts.labelSelector?.length && !opts.fieldMatch) result.remainingItemCount = rest.length;
      }
    }
    return result;
  }

  create(type: ResourceType, namespace: string | undefined, body: unknown, opts: WriteOptions = {}): StoredObject {
    const t = this.served(type);
    const obj = this.decode(t, body, namespace);
    const meta = obj.metadata;
    if (!meta['name'] && typeof meta['generateName'] === 'string' && meta['generateName'] !== '') {
      meta['name'] = this.generateName(t, namespace, meta['generateName']);
    }
    const name = meta['name'];
    if (typeof name !== 'string' || name === '') {
      throw invalid(t.type.kind, t.type.group, '', [{ field: 'metadata.name', type: 'FieldValueRequired', detail: 'name or generateName is required' }]);
    }
    this.checkNamespaceExists(t, namespace);
    const key = this.key(t, namespace, name);
    if (t.objects.has(key)) throw alreadyExists(this.subject(t, name));
    for (const k of ['resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink', 'managedFields']) delete meta[k];
    meta['uid'] = this.newUid();
    meta['creationTimestamp'] = this.timestamp();
    if (t.strategy.tracksGeneration) meta['generation'] = 1;
    else delete meta['generation'];
    t.strategy.prepareForCreate?.(obj);
    this.validate(t, obj, undefined, false);
    const allocErrs = t.strategy.allocate?.(obj, undefined) ?? [];
    if (allocErrs.length > 0) throw invalid(t.type.kind, t.type.group, name, allocErrs);
    if (opts.dryRun) {
      t.strategy.release?.(obj);
      return obj as StoredObject;
    }
    return structuredClone(this.commit(t, 'ADDED', obj, undefined));
  }

  /** PUT semantics. Returns the stored object and whether the PUT created it. */
  update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    opts: WriteOptions = {},
  ): { object: StoredObject; created: boolean } {
    const t = this.served(type);
    const obj = this.decode(t, body, namespace);
    const bodyName = obj.metadata['name'];
    if (bodyName !== undefined && bodyName !== name) {
      throw badRequest(`the name of the object (${String(bodyName)}) does not match the name on the URL (${name})`);
    }
    obj.metadata['name'] = name;
    const old = t.objects.get(this.key(t, namespace, name));
    if (!old) {
      if (opts.subresource || !t.strategy.allowCreateOnUpdate || obj.metadata['resourceVersion']) {
        throw notFound(this.subject(t, name));
      }
      return { object: this.create(type, namespace, obj, opts), created: true };
    }
    return { object: this.applyUpdate(t, old, obj, opts), created: false };
  }

  /** PATCH semantics: `apply` turns the current object into the desired one (a copy it may change). */
  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    apply: (current: Record<string, unknown>) => unknown,
    opts: WriteOptions = {},
  ): StoredObject {
    const t = this.served(type);
    const old = t.objects.get(this.key(t, namespace, name));
    if (!old) throw notFound(this.subject(t, name));
    const patched = apply(structuredClone(old) as Record<string, unknown>);
    const obj = this.decode(t, patched, namespace);
    if (obj.metadata['name'] !== name) {
      throw invalid(t.type.kind, t.type.group, name, [{ field: 'metadata.name', type: 'FieldValueInvalid', detail: `${JSON.stringify(obj.metadata['name'])}: field is immutable` }]);
    }
    return this.applyUpdate(t, old, obj, opts);
  }

  /** DELETE semantics. `finalizing` is true when finalizers keep the object (now marked for deletion). */
  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): { object: StoredObject; finalizing: boolean } {
    const t = this.served(type);
    const old = t.objects.get(this.key(t, namespace, name));
    if (!old) throw notFound(this.subject(t, name));
    const pre = opts.preconditions;
    if (pre?.uid !== undefined && pre.uid !== old.metadata['uid']) {
      throw conflict(this.subject(t, name), `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${String(old.metadata['uid'])}`);
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(
        this.subject(t, name),
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`,
      );
    }
    const finalizers = old.metadata['finalizers'];
    if (Array.isArray(finalizers) && finalizers.length > 0) {
      if (old.metadata['deletionTimestamp'] || opts.dryRun) return { object: structuredClone(old), finalizing: true };
      const next = structuredClone(old) as Obj;
      next.metadata['deletionTimestamp'] = this.timestamp();
      next.metadata['deletionGracePeriodSeconds'] = 0;
      return { object: structuredClone(this.commit(t, 'MODIFIED', next, old)), finalizing: true };
    }
    if (opts.dryRun) return { object: structuredClone(old), finalizing: false };
    return { object: structuredClone(this.remove(t, old)), finalizing: false };
  }

  watch(type: ResourceType, opts: WatchOptions, sink: WatchSink): Subscription {
    const t = this.served(type);
    const w: Watcher = { opts, sink };
    const rvText = opts.resourceVersion ?? '';
    if (rvText === '' || rvText === '0') {
      // "Get state and start at most recent": synthetic ADDED events for what exists now.
      for (const key of [...t.objects.keys()].sort()) {
        const obj = t.objects.get(key)!;
        if (this.matches(obj, opts)) sink.event('ADDED', obj);
      }
    } else {
      const from = parseRv(rvText, 'resourceVersion');
      if (from > this.rv) {
        throw new ApiError(504, 'Timeout', `Too large resource version: ${from}, current: ${this.rv}`, { retryAfterSeconds: 1 });
      }
      if (!t.log.covers(from)) throw expired(`too old resource version: ${from} (${t.log.compactedRv + 1})`);
      for (const c of t.log.since(from)) this.deliver(w, c);
    }
    t.watchers.add(w);
    return { close: () => { t.watchers.delete(w); } };
  }

  private applyUpdate(t: Table, old: StoredObject, obj: Obj, opts: WriteOptions): StoredObject {
    const name = old.metadata.name;
    const rv = obj.metadata['resourceVersion'];
    if (rv !== undefined && rv !== '' && rv !== old.metadata.resourceVersion) {
      throw conflict(this.subject(t, name), staleObject);
    }
    if ((rv === undefined || rv === '') && !t.strategy.allowUnconditionalUpdate) {
      throw invalid(t.type.kind, t.type.group, name, [{ field: 'metadata.resourceVersion', type: 'FieldValueInvalid', detail: '0: must be specified for an update' }]);
    }
    const uid = obj.metadata['uid'];
    if (uid !== undefined && uid !== '' && uid !== old.metadata['uid']) {
      throw conflict(this.subject(t, name), `Precondition failed: UID in precondition: ${String(uid)}, UID in object meta: ${String(old.metadata['uid'])}`);
    }
    let next: Obj;
    if (opts.subresource === 'status') {
      if (!t.type.statusSubresource) throw notFound(this.subject(t, name));
      if (t.strategy.statusWriteKeepsMetadata) {
        next = { ...obj, spec: structuredClone(old['spec']) };
        if (old['spec'] === undefined) delete next['spec'];
      } else {
        next = { ...(structuredClone(old) as Obj), status: obj['status'] };
        if (obj['status'] === undefined) delete next['status'];
      }
    } else {
      next = obj;
      if (t.type.statusSubresource) {
        next['status'] = structuredClone(old['status']);
        if (old['status'] === undefined) delete next['status'];
      }
    }
    const meta = next.metadata;
    for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'namespace']) {
      if (old.metadata[k] === undefined) delete meta[k];
      else meta[k] = old.metadata[k];
    }
    delete meta['managedFields'];
    delete meta['selfLink'];
    const errs: FieldError[] = [];
    if (old.metadata['deletionTimestamp']) {
      const before = new Set((old.metadata['finalizers'] as string[] | undefined) ?? []);
      const added = ((meta['finalizers'] as string[] | undefined) ?? []).filter((f) => !before.has(f));
      if (added.length > 0) {
        errs.push({ field: 'metadata.finalizers', type: 'FieldValueForbidden', detail: `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}` });
      }
    }
    if (opts.subresource === 'status') t.strategy.prepareForStatusUpdate?.(next, old);
    else t.strategy.prepareForUpdate?.(next, old);
    if (errs.length > 0) throw invalid(t.type.kind, t.type.group, name, errs);
    this.validate(t, next, old, opts.subresource === 'status');
    if (t.strategy.tracksGeneration) {
      const ignore = ['metadata', 'status', 'apiVersion', 'kind'];
      if (!jsonEqual(withoutMeta(next, ignore), withoutMeta(old, ignore))) meta['generation'] = Number(old.metadata['generation'] ?? 0) + 1;
    }
    meta['resourceVersion'] = old.metadata.resourceVersion;
    if (jsonEqual(next, old)) return structuredClone(old);
    // A dry run must not take cluster IPs or node ports, so it shows none newly allocated.
    if (opts.dryRun) return next as StoredObject;
    const allocErrs = opts.subresource === 'status' ? [] : t.strategy.allocate?.(next, old) ?? [];
    if (allocErrs.length > 0) throw invalid(t.type.kind, t.type.group, name, allocErrs);
    const finalizers = meta['finalizers'];
    if (meta['deletionTimestamp'] && (!Array.isArray(finalizers) || finalizers.length === 0)) {
      // The last finalizer is gone from an object marked for deletion: it goes now.
      const committed = this.commit(t, 'MODIFIED', next, old);
      return structuredClone(this.remove(t, committed));
    }
    return structuredClone(this.commit(t, 'MODIFIED', next, old));
  }

  private validate(t: Table, obj: Obj, old: Obj | undefined, statusOnly: boolean): void {
    const name = String(obj.metadata['name']);
    const errs: FieldError[] = [];
    const np = nameProblemFor(t.strategy, name);
    if (np && !old) errs.push({ field: 'metadata.name', type: 'FieldValueInvalid', detail: `${JSON.stringify(name)}: ${np}` });
    errs.push(...validateObjectMeta(obj.metadata));
    if (!statusOnly) errs.push(...(t.strategy.validate?.(obj, old) ?? []));
    if (statusOnly || !old) errs.push(...(t.strategy.validateStatus?.(obj) ?? []));
    if (errs.length > 0) throw invalid(t.type.kind, t.type.group, name, errs);
  }

  private remove(t: Table, old: StoredObject): StoredObject {
    if (t.type === namespaceType) this.deleteNamespaceContents(old.metadata.name);
    const gone = structuredClone(old) as Obj;
    t.strategy.release?.(gone);
    return this.commit(t, 'DELETED', gone, old);
  }

  /** The double deletes a namespace's objects at once; a real cluster does it in the background. */
  private deleteNamespaceContents(ns: string): void {
    for (const t of this.tables.values()) {
      if (!t.type.namespaced) continue;
      for (const obj of [...t.objects.values()]) {
        if (obj.metadata.namespace === ns) this.remove(t, obj);
      }
    }
  }

  private commit(t: Table, type: ChangeType, obj: Obj, prev: StoredObject | undefined): StoredObject {
    this.rv++;
    obj.metadata['resourceVersion'] = String(this.rv);
    const stored = deepFreeze(obj as StoredObject);
    const key = keyOf(stored);
    if (type === 'DELETED') t.objects.delete(key);
    else t.objects.set(key, stored);
    const change: Change = prev ? { type, rv: this.rv, object: stored, prev } : { type, rv: this.rv, object: stored };
    t.log.append(change);
    for (const w of [...t.watchers]) {
      try {
        this.deliver(w, change);
      } catch {
        // A watcher that cannot take events is dropped; the change itself stands.
        t.watchers.delete(w);
      }
    }
    return stored;
  }

  /** Sends one change as the watcher sees it through its selectors, as the real server filters. */
  private deliver(w: Watcher, c: Change): void {
    const now = this.matches(c.object, w.opts);
    const before = c.prev !== undefined && c.type === 'MODIFIED' && this.matches(c.prev, w.opts);
    if (c.type === 'ADDED') {
      if (now) w.sink.event('ADDED', c.object);
    } else if (c.type === 'DELETED') {
      if (now) w.sink.event('DELETED', c.object);
    } else if (now && before) {
      w.sink.event('MODIFIED', c.object);
    } else if (now) {
      w.sink.event('ADDED', c.object);
    } else if (before) {
      // It left the selection: to this watcher the object is gone.
      w.sink.event('DELETED', c.object);
    }
  }

  private matches(obj: StoredObject, o: { namespace?: string; labelSelector?: LabelSelector; fieldMatch?: (x: Record<string, unknown>) => boolean }): boolean {
    if (o.namespace !== undefined && obj.metadata.namespace !== o.namespace) return false;
    if (o.labelSelector && !matchesLabels(o.labelSelector, obj.metadata['labels'] as Record<string, string> | undefined)) return false;
    if (o.fieldMatch && !o.fieldMatch(obj)) return false;
    return true;
  }

  private decode(t: Table, body: unknown, namespace: string | undefined): Obj {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw badRequest(`the body of a ${t.type.kind} must be a JSON object`);
    }
    const obj = structuredClone(body) as Obj;
    const apiVersion = obj['apiVersion'];
    const versions = [t.type.version, ...t.type.otherVersions].map((v) => apiVersionOf(t.type, v));
    if (apiVersion !== undefined && !versions.includes(String(apiVersion))) {
      throw badRequest(`the API version in the data (${String(apiVersion)}) does not match the expected API version (${apiVersionOf(t.type)})`);
    }
    if (obj['kind'] !== undefined && obj['kind'] !== t.type.kind) {
      throw badRequest(`the kind in the data (${String(obj['kind'])}) does not match the expected kind (${t.type.kind})`);
    }
    obj['apiVersion'] = apiVersionOf(t.type);
    obj['kind'] = t.type.kind;
    if (obj.metadata === undefined) obj.metadata = {};
    if (obj.metadata === null || typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) {
      throw badRequest('metadata must be a JSON object');
    }
    if (t.type.namespaced) {
      if (namespace === undefined || namespace === '') throw badRequest(`a ${t.type.kind} needs a namespace`);
      const ns = obj.metadata['namespace'];
      if (ns !== undefined && ns !== '' && ns !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata['namespace'] = namespace;
    } else {
      delete obj.metadata['namespace'];
    }
    return obj;
  }

  private checkNamespaceExists(t: Table, namespace: string | undefined): void {
    if (!t.type.namespaced) return;
    const nsTable = this.tables.get(namespaceType);
    if (!nsTable || namespace === undefined) return;
    if (!nsTable.objects.has(namespace)) {
      throw notFound({ group: '', resource: 'namespaces', name: namespace });
    }
  }

  private generateName(t: Table, namespace: string | undefined, prefix: string): string {
    // As the real server: at most 58 characters of prefix plus five random ones.
    const base = prefix.slice(0, 58);
    for (let attempt = 0; attempt < 16; attempt++) {
      let suffix = '';
      for (let i = 0; i < 5; i++) suffix += generateNameAlphabet[Math.floor(this.random() * generateNameAlphabet.length)];
      const name = base + suffix;
      if (!t.objects.has(this.key(t, namespace, name))) return name;
    }
    throw alreadyExists(this.subject(t, `${base}*`));
  }

  private timestamp(): string {
    return formatWireTime(this.now());
  }

  private key(t: Table, namespace: string | undefined, name: string): string {
    return namespacedKey(t.type.namespaced ? namespace : undefined, name);
  }

  private subject(t: Table, name: string): { group: string; resource: string; name: string } {
    return { group: t.type.group, resource: t.type.plural, name };
  }

  private table(type: ResourceType): Table {
    const t = this.tables.get(type);
    if (!t) throw new Error(`resource type ${type.plural}.${type.group} is not served by this store`);
    return t;
  }

  private served(type: ResourceType): Table {
    const t = this.table(type);
    if (!t.installed) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
    return t;
  }
}
