// Where the configuration comes from, for the controller and the speaker:
// the metallb.io objects in shoal's namespace, or MetalLB's legacy ConfigMap
// (name `config` by default), watched through informers and turned into one
// candidate for ConfigStore.
//
// Which source counts (`--config-source`):
// - crd: the metallb.io objects only; the ConfigMap is not even watched.
// - configmap: the ConfigMap only.
// - auto (default): whichever exists. When both exist the candidate is
//   refused with `mixed-sources` and the running controller keeps its last
//   good configuration. This is MetalLB's migration story made safe: run on
//   the ConfigMap, apply the converted metallb.io objects at leisure (they
//   cannot take effect half-applied), then delete the ConfigMap, which
//   switches to them in one step. A controller that starts with both finds
//   no usable configuration and says why until one of them is removed.
// - Neither: no candidate at all. A running controller keeps its last good
//   configuration (an empty one is never taken for the operator's intent:
//   deleting every pool in one go is more often an uninstall than a wish to
//   revoke every address).

import type { KubeConfig, V1ConfigMap } from '@kubernetes/client-node';
import { parseConfigMap, parseResources, type ConfigError, type MetalLBResources, type ParseResult } from '../config/index.js';
import { objectPath } from '../config/crd.js';
import type { BackoffPolicy } from '../util/backoff.js';
import { Informer } from './informer.js';
import {
  bfdProfiles,
  bgpAdvertisements,
  bgpPeers,
  communities,
  configMaps,
  ipAddressPools,
  l2Advertisements,
  type CustomObject,
  type ResourceType,
} from './resources.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';

import type { ConfigSourceMode } from './defaults.js';
import type { Wire, KubeObject } from './wire.js';
export { CONFIG_SOURCE_MODES, type ConfigSourceMode } from './defaults.js';

/** A Kubernetes object the configuration was read from, for Events about it. */
export interface ConfigObject {
  readonly type: ResourceType;
  readonly obj: KubeObject;
}

export type ConfigCandidate =
  | { readonly kind: 'none'; readonly why: string }
  | {
      readonly kind: 'config';
      readonly source: 'crd' | 'configmap' | 'mixed';
      readonly result: ParseResult;
      /** The objects it was read from (for mixed: the ConfigMap). */
      readonly objects: readonly ConfigObject[];
    };

/** The metallb.io kinds that make up a configuration, with the MetalLBResources list each fills. */
const CRD_LISTS: readonly [keyof MetalLBResources, ResourceType<CustomObject>][] = [
  ['ipAddressPools', ipAddressPools],
  ['l2Advertisements', l2Advertisements],
  ['bgpAdvertisements', bgpAdvertisements],
  ['bgpPeers', bgpPeers],
  ['communities', communities],
  ['bfdProfiles', bfdProfiles],
];

export interface CrdObjects {
  readonly type: ResourceType<CustomObject>;
  readonly items: readonly CustomObject[];
}

const byName = (a: KubeObject, b: KubeObject): number => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1);

/** Pure: the candidate for `mode` given what exists. */
export function selectConfig(mode: ConfigSourceMode, crds: readonly CrdObjects[], configMap: Wire<V1ConfigMap> | undefined): ConfigCandidate {
  const objects: ConfigObject[] = crds.flatMap((c) => [...c.items].sort(byName).map((obj) => ({ type: c.type, obj })));
  const useCrds = mode !== 'configmap' && objects.length > 0;
  const useMap = mode !== 'crd' && configMap !== undefined;
  if (!useCrds && !useMap) {
    return { kind: 'none', why: mode === 'configmap' ? 'the legacy ConfigMap does not exist' : mode === 'crd' ? 'no metallb.io configuration objects exist' : 'neither metallb.io objects nor the legacy ConfigMap exist' };
  }
  const fromCrds = (): ParseResult => {
    const res: Record<string, CustomObject[]> = {};
    for (const [key, type] of CRD_LISTS) res[key] = [...(crds.find((c) => c.type === type)?.items ?? [])].sort(byName);
    return parseResources(res as MetalLBResources);
  };
  if (useCrds && useMap) {
    const cm = configMap as Wire<V1ConfigMap>;
    const alone = fromCrds();
    const verdict = alone.ok ? 'they are valid on their own' : `they have ${alone.errors.length} error(s) on their own`;
    const error: ConfigError = {
      path: objectPath('ConfigMap', cm.metadata?.namespace ?? '', cm.metadata?.name ?? ''),
      code: 'mixed-sources',
      message:
        `both this legacy ConfigMap and ${objects.length} metallb.io object(s) exist (${verdict}); neither is used while both exist: ` +
        'delete the ConfigMap once the metallb.io objects are complete, or start the controller with --config-source',
    };
    return { kind: 'config', source: 'mixed', result: { ok: false, errors: [error] }, objects: [{ type: configMaps, obj: cm }] };
  }
  if (useCrds) return { kind: 'config', source: 'crd', result: fromCrds(), objects };
  return { kind: 'config', source: 'configmap', result: parseConfigMap(configMap), objects: [{ type: configMaps, obj: configMap as Wire<V1ConfigMap> }] };
}

/**
 * Groups errors by the object they are about: a CRD error's path starts with
 * `Kind namespace/name`; every error of a legacy config belongs to its
 * ConfigMap. Errors no object claims are returned apart.
 */
export function attributeErrors(errors: readonly ConfigError[], objects: readonly ConfigObject[]): { byObject: Map<ConfigObject, ConfigError[]>; unattributed: ConfigError[] } {
  const byObject = new Map<ConfigObject, ConfigError[]>();
  const unattributed: ConfigError[] = [];
  const only = objects.length === 1 && objects[0]?.type === configMaps ? objects[0] : undefined;
  const prefixes = objects.map((o) => ({ o, prefix: objectPath(o.type.kind, o.obj.metadata?.namespace ?? '', o.obj.metadata?.name ?? '') }));
  for (const e of errors) {
    const owner = only ?? prefixes.find((p) => e.path === p.prefix || e.path.startsWith(`${p.prefix} `))?.o;
    if (!owner) {
      unattributed.push(e);
      continue;
    }
    const list = byObject.get(owner) ?? [];
    list.push(e);
    byObject.set(owner, list);
  }
  return { byObject, unattributed };
}

export interface ConfigSourceOptions {
  namespace: string;
  mode: ConfigSourceMode;
  /**
   * The metallb.io kinds read; default all six. The controller reads only
   * IPAddressPools, as MetalLB's does: peers and advertisements are the
   * speakers' business, and a mistake in them does not hold up allocation.
   */
  kinds?: readonly ResourceType<CustomObject>[];
  /** Name of the legacy ConfigMap; default "config". */
  configMapName?: string;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  backoff?: BackoffPolicy;
}

/** The informers behind selectConfig. */
export class ConfigSource {
  private readonly crdInformers: Informer<CustomObject>[] = [];
  private readonly mapInformer: Informer<Wire<V1ConfigMap>> | undefined;
  private readonly listeners: (() => void)[] = [];
  readonly configMapName: string;

  constructor(kc: KubeConfig, private readonly opts: ConfigSourceOptions) {
    this.configMapName = opts.configMapName ?? 'config';
    const common = {
      namespace: opts.namespace,
      ...(opts.clock && { clock: opts.clock }),
      ...(opts.random && { random: opts.random }),
      ...(opts.logger && { logger: opts.logger }),
      ...(opts.backoff && { backoff: opts.backoff }),
    };
    const changed = (): void => {
      for (const fn of this.listeners) fn();
    };
    const watchAll = <T extends KubeObject>(inf: Informer<T>): Informer<T> => inf.onAdd(changed).onUpdate(changed).onDelete(changed);
    if (opts.mode !== 'configmap') {
      for (const type of opts.kinds ?? CRD_LISTS.map(([, t]) => t)) this.crdInformers.push(watchAll(new Informer(kc, type, common)));
    }
    if (opts.mode !== 'crd') {
      this.mapInformer = watchAll(new Informer(kc, configMaps, { ...common, fieldSelector: `metadata.name=${this.configMapName}` }));
    }
  }

  get mode(): ConfigSourceMode {
    return this.opts.mode;
  }

  /** Called after any change of a watched object, the first list's additions included. */
  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  start(): void {
    for (const inf of this.informers()) inf.start();
  }

  async synced(): Promise<void> {
    await Promise.all(this.informers().map((inf) => inf.synced()));
  }

  get hasSynced(): boolean {
    return this.informers().every((inf) => inf.hasSynced);
  }

  /** metallb.io kinds whose CRD the API server does not serve. */
  missingCrds(): string[] {
    return this.crdInformers.filter((inf) => !inf.installed).map((inf) => inf.type.kind);
  }

  candidate(): ConfigCandidate {
    const crds = this.crdInformers.map((inf) => ({ type: inf.type, items: inf.list() }));
    return selectConfig(this.opts.mode, crds, this.mapInformer?.getByName(this.configMapName, this.opts.namespace));
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers().map((inf) => inf.stop()));
  }

  private informers(): Informer<KubeObject>[] {
    return [...this.crdInformers, ...(this.mapInformer ? [this.mapInformer] : [])] as Informer<KubeObject>[];
  }
}
