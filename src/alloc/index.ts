// Public surface of the allocator module.
export { Allocator, classPredicate } from './allocator.js';
export type { AllocatorOptions } from './allocator.js';
export type { AllocCode, Allocation, Conflict, Decision, Failure, FamilyUsage, Granted, PoolChange, PoolUsage, ReleaseResult } from './decisions.js';
export { usageNumber } from './decisions.js';
export { Annotation, ANNOTATION_PREFIX, DEPRECATED_ANNOTATION_PREFIX, annotation, backendKey, portKeys, sharingKey } from './service.js';
export type { IPFamilyName, IPFamilyPolicy, ServiceInput, ServicePort } from './service.js';
export { compareIP, formatIP, isBuggyIPv4, parseIP, parseIPDetailed } from './ip.js';
export type { Family, IP } from './ip.js';
export { formatRange, parseRange, rangeSize, summarizeRange } from './range.js';
export type { IPRange, Prefix } from './range.js';
