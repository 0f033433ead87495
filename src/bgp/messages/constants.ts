// Wire numbers of BGP-4 and the extensions shoal speaks. Every table here is
// append-only: values are assigned by IANA and never change meaning.

/** Message types (RFC 4271 section 4.1, RFC 2918). */
export const MessageType = {
  OPEN: 1,
  UPDATE: 2,
  NOTIFICATION: 3,
  KEEPALIVE: 4,
  ROUTE_REFRESH: 5,
} as const;
export type MessageTypeCode = (typeof MessageType)[keyof typeof MessageType];

export const HEADER_LENGTH = 19;
/** RFC 4271 4.1: without the extended message capability (RFC 8654) no message exceeds this. */
export const MAX_MESSAGE_LENGTH = 4096;
export const MARKER_LENGTH = 16;

/** Path attribute type codes (RFC 4271 5, RFC 1997, RFC 4760, RFC 6793, RFC 8092). */
export const AttrType = {
  ORIGIN: 1,
  AS_PATH: 2,
  NEXT_HOP: 3,
  MULTI_EXIT_DISC: 4,
  LOCAL_PREF: 5,
  ATOMIC_AGGREGATE: 6,
  AGGREGATOR: 7,
  COMMUNITIES: 8,
  ORIGINATOR_ID: 9,
  CLUSTER_LIST: 10,
  MP_REACH_NLRI: 14,
  MP_UNREACH_NLRI: 15,
  AS4_PATH: 17,
  AS4_AGGREGATOR: 18,
  LARGE_COMMUNITIES: 32,
} as const;

/** Attribute flag bits (RFC 4271 4.3). */
export const AttrFlag = {
  OPTIONAL: 0x80,
  TRANSITIVE: 0x40,
  PARTIAL: 0x20,
  EXTENDED_LENGTH: 0x10,
} as const;

/** ORIGIN values (RFC 4271 5.1.1). */
export const Origin = { IGP: 0, EGP: 1, INCOMPLETE: 2 } as const;
export type OriginCode = (typeof Origin)[keyof typeof Origin];

/** AS_PATH segment types (RFC 4271 4.3, RFC 5065 for the confederation ones). */
export const SegmentType = {
  AS_SET: 1,
  AS_SEQUENCE: 2,
  AS_CONFED_SEQUENCE: 3,
  AS_CONFED_SET: 4,
} as const;

/** Address family identifiers and subsequent ones (RFC 4760). */
export const Afi = { IPV4: 1, IPV6: 2 } as const;
export const Safi = { UNICAST: 1 } as const;

/** Capability codes (RFC 5492 registry). */
export const CapabilityCode = {
  MULTIPROTOCOL: 1,
  ROUTE_REFRESH: 2,
  EXTENDED_MESSAGE: 6,
  GRACEFUL_RESTART: 64,
  FOUR_OCTET_AS: 65,
  ADD_PATH: 69,
  ENHANCED_ROUTE_REFRESH: 70,
  FQDN: 73,
  ROUTE_REFRESH_CISCO: 128,
} as const;

/** OPEN optional parameter types (RFC 5492, RFC 9072). */
export const OptParamType = {
  CAPABILITIES: 2,
  EXTENDED_LENGTH: 255,
} as const;

/** RFC 6793: stands in for a four-octet AS number in two-octet fields. */
export const AS_TRANS = 23456;

export const BGP_VERSION = 4;
export const BGP_PORT = 179;
