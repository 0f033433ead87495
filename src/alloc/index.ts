// Public surface of the allocator module.
export { Allocator, classPredicate } from './allocator.js';
export type { AllocatorOptions } from './allocator.js';
export type { AllocCode, Allocation, Conflict, Decision, Failure, FamilyUsage, Granted, PoolChange, PoolUsage, ReleaseResult } from './decisions.js';
export { usageNumber } from './decisions.js';
export { Annotation, ANNOTATION_PREFIX, DEPRECATED_ANNOTATION_PREFIX, annotation, backendKey, portKeys, sharingKey } from './service.js';
export type { IPFamilyPolicy, ServiceInput, ServicePort } from './service.js';
