// Public surface of the controller module.
export { Controller, DEFAULT_NAMESPACE } from './controller.js';
export type { ControllerOptions } from './controller.js';
export { CONFIG_SOURCE_MODES, attributeErrors, selectConfig } from '../kube/config-source.js';
export type { ConfigCandidate, ConfigObject, ConfigSourceMode } from '../kube/config-source.js';
export { Reason, ServicePlanner } from './plan.js';
export type { Plan, PlannedEvent, ServiceRecord, ServiceState } from './plan.js';
export { POOL_ANNOTATION } from './service-view.js';
export { controllerStatusSection, controllerStatusText } from './status.js';
export type { ControllerStatus } from './status.js';
export { WorkQueue } from './workqueue.js';
export type { WorkQueueOptions } from './workqueue.js';
