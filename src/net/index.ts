// IP addresses, prefixes and ranges: the one place shoal parses, formats and
// compares them (docs/development.md).
export { FAMILY_BITS, FAMILY_BYTES, familyFromName, familyName, otherFamily } from './family.js';
export type { Family, FamilyName } from './family.js';
export {
  canonicalIP,
  compareIP,
  formatIP,
  formatIPv4,
  formatIPv4Number,
  formatIPv6,
  formatIPv6Plus,
  ipBytes,
  ipFamily,
  ipFromBytes,
  ipKey,
  ipv6Groups,
  isLinkLocalIPv6,
  isMulticastIPv6,
  parseIP,
  parseIPDetailed,
  parseIPv4,
  parseIPv6,
  unmapIPv4,
  writeIP,
  writeIPv4,
  writeIPv6,
} from './ip.js';
export type { IP, IPParse, ParseOptions } from './ip.js';
export { formatPrefix, networkOf, parsePrefix, parsePrefixLength, prefixContaining } from './prefix.js';
export type { Prefix, PrefixParse } from './prefix.js';
export { compareRanges, formatRange, normalizeRanges, parseRange, rangeContains, rangeSize, summarizeRange } from './range.js';
export type { IPRange, RangeParse, RangeParseCode } from './range.js';
export { formatAddress, isValidPort, parseAddress, sameAddress } from './endpoint.js';
export type { Address } from './endpoint.js';
