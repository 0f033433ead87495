// Entry points: metallb.io objects or a legacy config in, `{ok, config}` or
// `{ok: false, errors}` out. Never a partial model.

import { assemble } from './assemble.js';
import { addCrdObject, METALLB_GROUP } from './crd.js';
import type { CrdKind } from './crd.js';
import { emptyDrafts } from './drafts.js';
import type { Drafts } from './drafts.js';
import { addLegacyConfig, parseLegacyYaml } from './legacy.js';
import type { ObjectRef, ParseResult } from './model.js';
import { Issues, isObj } from './reader.js';

/** The six lists the Kubernetes glue watches, items as the API returns them. */
export interface MetalLBResources {
  readonly ipAddressPools?: readonly unknown[];
  readonly l2Advertisements?: readonly unknown[];
  readonly bgpAdvertisements?: readonly unknown[];
  readonly bgpPeers?: readonly unknown[];
  readonly communities?: readonly unknown[];
  readonly bfdProfiles?: readonly unknown[];
}

const LISTS: readonly [keyof MetalLBResources, CrdKind, string][] = [
  ['ipAddressPools', 'IPAddressPool', 'v1beta1'],
  ['l2Advertisements', 'L2Advertisement', 'v1beta1'],
  ['bgpAdvertisements', 'BGPAdvertisement', 'v1beta1'],
  ['bgpPeers', 'BGPPeer', 'v1beta2'],
  ['communities', 'Community', 'v1beta1'],
  ['bfdProfiles', 'BFDProfile', 'v1beta1'],
];

function finish(issues: Issues, drafts: Drafts, source: 'crd' | 'configmap'): ParseResult {
  const config = assemble(issues, drafts, source);
  if (config && issues.count === 0) return { ok: true, config };
  return { ok: false, errors: issues.errors };
}

/**
 * Builds the model from the metallb.io objects. List items that lack
 * apiVersion/kind (typed list responses omit them) get the list's own.
 */
export function parseResources(res: MetalLBResources): ParseResult {
  const issues = new Issues();
  const drafts = emptyDrafts();
  for (const [key, kind, version] of LISTS) {
    (res[key] ?? []).forEach((item, i) => {
      const obj = isObj(item) ? { apiVersion: `${METALLB_GROUP}/${version}`, kind, ...item } : item;
      addCrdObject(issues, drafts, obj, `${key}[${i}]`);
    });
  }
  return finish(issues, drafts, 'crd');
}

/** Builds the model from a mixed list of metallb.io objects (each with apiVersion and kind). */
export function parseObjects(objects: readonly unknown[]): ParseResult {
  const issues = new Issues();
  const drafts = emptyDrafts();
  objects.forEach((o, i) => addCrdObject(issues, drafts, o, `[${i}]`));
  return finish(issues, drafts, 'crd');
}

/** Builds the model from the YAML text of a legacy config (the ConfigMap's `config` key). */
export function parseLegacyConfig(text: string, ref: ObjectRef = { kind: 'ConfigMap', name: '', namespace: '' }): ParseResult {
  const issues = new Issues();
  const drafts = emptyDrafts();
  const raw = parseLegacyYaml(issues, text);
  if (issues.count === 0) addLegacyConfig(issues, drafts, raw, ref);
  return finish(issues, drafts, 'configmap');
}

/** Builds the model from a legacy MetalLB ConfigMap object (data.config). */
export function parseConfigMap(obj: unknown): ParseResult {
  const cm = isObj(obj) ? obj : {};
  const meta = isObj(cm.metadata) ? cm.metadata : {};
  const data = isObj(cm.data) ? cm.data : {};
  const ref: ObjectRef = {
    kind: 'ConfigMap',
    name: typeof meta.name === 'string' ? meta.name : '',
    namespace: typeof meta.namespace === 'string' ? meta.namespace : '',
  };
  if (typeof data.config !== 'string') {
    return { ok: false, errors: [{ path: 'data.config', code: 'missing-field', message: 'the ConfigMap has no string key "config"' }] };
  }
  return parseLegacyConfig(data.config, ref);
}
