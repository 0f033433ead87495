// Writes an MRT TABLE_DUMP_V2 file (RFC 6396 4.3) of IPv6 unicast routes,
// the one bulk input `gobgp mrt inject global` takes: a PEER_INDEX_TABLE,
// then one RIB_IPV6_UNICAST record per prefix.

import { encodeAttribute } from '../../src/bgp/messages/attributes.js';
import { encodeNlri } from '../../src/bgp/messages/nlri.js';
import { parseIPv4, parseIPv6, type Prefix } from '../../src/net/index.js';

const TABLE_DUMP_V2 = 13;
const PEER_INDEX_TABLE = 1;
const RIB_IPV6_UNICAST = 4;

function record(subtype: number, body: Buffer): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt32BE(0, 0);
  h.writeUInt16BE(TABLE_DUMP_V2, 4);
  h.writeUInt16BE(subtype, 6);
  h.writeUInt32BE(body.length, 8);
  return Buffer.concat([h, body]);
}

export function mrtIpv6Table(opts: { collectorId: string; peerId: string; peerAddress: string; peerAsn: number; nextHop: string; prefixes: readonly Prefix[] }): Buffer {
  // One peer: type 0x03 = IPv6 address, four-octet AS.
  const peer = Buffer.concat([Buffer.from([0x03]), parseIPv4(opts.peerId), parseIPv6(opts.peerAddress), Buffer.alloc(4)]);
  peer.writeUInt32BE(opts.peerAsn, peer.length - 4);
  const index = Buffer.concat([parseIPv4(opts.collectorId), Buffer.from([0, 0, 0, 1]), peer]);
  const ctx = { fourOctetAs: true, ibgp: false };
  // RFC 6396 4.3.4 abbreviates MP_REACH_NLRI in RIB entries to the next hop alone; GoBGP's reader
  // decodes the attribute as in an UPDATE, so the full form with an empty NLRI is written.
  const mpReach = encodeAttribute({ kind: 'mp-reach', afi: 2, safi: 1, nextHops: [opts.nextHop], nlri: [] }, ctx);
  const attrs = Buffer.concat([encodeAttribute({ kind: 'origin', origin: 0 }, ctx), encodeAttribute({ kind: 'as-path', segments: [] }, ctx), mpReach]);
  const parts: Buffer[] = [record(PEER_INDEX_TABLE, index)];
  opts.prefixes.forEach((p, seq) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(seq);
    const entry = Buffer.alloc(8);
    entry.writeUInt16BE(0, 0);
    entry.writeUInt32BE(0, 2);
    entry.writeUInt16BE(attrs.length, 6);
    parts.push(record(RIB_IPV6_UNICAST, Buffer.concat([head, encodeNlri([p]), Buffer.from([0, 1]), entry, attrs])));
  });
  return Buffer.concat(parts);
}
