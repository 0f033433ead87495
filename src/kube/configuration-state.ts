// MetalLB's ConfigurationState object for one component: "controller", or
// "speaker-<node>" for each speaker, in shoal's namespace, labelled
// metallb.io/component-type (and metallb.io/node-name for speakers). Its
// status says whether the last configuration candidate was accepted
// (result Valid) or refused (Invalid, errorSummary with every error and its
// path), with one condition of type configReconcilerValid as MetalLB's
// config reconciler reports it (reason Reconciled or ConfigurationError).
// Built from ConfigAcceptance's state, the one place that tracks it.

import type { AcceptanceState } from '../config/acceptance.js';
import { formatConfigError } from '../config/index.js';
import { configurationStates } from './resources.js';
import type { DesiredStatusObject } from './status-objects.js';
import { formatWireTime } from './wire.js';

export const LABEL_COMPONENT_TYPE = 'metallb.io/component-type';
export const LABEL_NODE_NAME = 'metallb.io/node-name';
export const CONDITION_CONFIG_VALID = 'configReconcilerValid';
const MESSAGE_LIMIT = 32768;

export type Component = { kind: 'controller' } | { kind: 'speaker'; node: string };

export function configurationStateName(c: Component): string {
  return c.kind === 'controller' ? 'controller' : `speaker-${c.node}`;
}

/** The ConfigurationState `component` should show, or undefined before any candidate was judged. */
export function desiredConfigurationState(namespace: string, c: Component, st: AcceptanceState): DesiredStatusObject | undefined {
  const refusal = st.stale ? st.lastRefusal : undefined;
  let result: 'Valid' | 'Invalid';
  let condition: Record<string, unknown>;
  if (refusal) {
    const all = refusal.errors.map(formatConfigError).join('\n');
    // The CRD bounds a condition message at 32 KiB.
    const summary = all.length <= MESSAGE_LIMIT ? all : `${all.slice(0, MESSAGE_LIMIT - 40)}\n... (${refusal.errors.length} errors in all)`;
    result = 'Invalid';
    condition = { type: CONDITION_CONFIG_VALID, status: 'False', reason: 'ConfigurationError', message: summary, lastTransitionTime: formatWireTime(refusal.at) };
  } else if (st.loadedAt) {
    result = 'Valid';
    condition = { type: CONDITION_CONFIG_VALID, status: 'True', reason: 'Reconciled', message: '', lastTransitionTime: formatWireTime(st.loadedAt) };
  } else {
    return undefined;
  }
  const status: Record<string, unknown> = { result, conditions: [condition] };
  if (result === 'Invalid') status['errorSummary'] = condition['message'];
  return {
    type: configurationStates,
    namespace,
    name: configurationStateName(c),
    owned: true,
    labels: c.kind === 'controller' ? { [LABEL_COMPONENT_TYPE]: 'controller' } : { [LABEL_COMPONENT_TYPE]: 'speaker', [LABEL_NODE_NAME]: c.node },
    status,
  };
}

