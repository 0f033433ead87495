// Public surface of the config module.
export type {
  BFDProfile,
  BGPAdvertisement,
  BGPPeer,
  Community,
  CommunityAlias,
  Config,
  ConfigError,
  ConfigErrorCode,
  L2Advertisement,
  LabelSelector,
  LabelSelectorRequirement,
  ObjectRef,
  ParseResult,
  Pool,
  PoolIndex,
  SecretRef,
  SelectorOperator,
  ServiceAllocation,
} from './model.js';
export { formatConfigError } from './model.js';
export { buildPoolIndex } from './pool-index.js';
export { parseConfigMap, parseLegacyConfig, parseObjects, parseResources } from './parse.js';
export type { MetalLBResources } from './parse.js';
export { ConfigStore } from './store.js';
export type { Offer } from './store.js';
export { ConfigAcceptance } from './acceptance.js';
export type { Acceptance, AcceptanceMetrics, AcceptanceState } from './acceptance.js';
export { anySelectorMatches, formatSelector, selectorMatches } from './selector.js';
export type { Labels } from './selector.js';
export { formatValidationReport, validateDocuments, validateFiles } from './files.js';
export type { FileError, SourceFile, ValidationReport } from './files.js';
export { configToJSON } from './serialize.js';
export { parseGoDuration, formatGoDuration } from './duration.js';
export { parseCommunity } from './community.js';
