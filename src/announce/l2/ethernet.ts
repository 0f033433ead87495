// Ethernet II framing (IEEE 802.3 with an EtherType, as ARP and IPv6 use).
//
//  0                   6                  12      14
//  +-------------------+-------------------+-------+------------------
//  | destination MAC   | source MAC        | type  | payload ...
//  +-------------------+-------------------+-------+------------------
//
// VLAN tags never reach us: AF_PACKET delivers frames of a VLAN sub-interface
// already untagged, so an 802.1Q type here is just "not ours".

import { formatMac, writeMac, type MacAddress } from './mac.js';
import { decoded } from '../../util/decoded.js';
import { l2Refusal, shortOf, type L2Decoded } from './decode-error.js';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;

export const ETHERNET_HEADER_BYTES = 14;

export interface EthernetFrame {
  dst: MacAddress;
  src: MacAddress;
  ethertype: number;
  /** Everything after the header, including any padding up to the 60-byte minimum. */
  payload: Buffer;
}

export function decodeEthernet(buf: Buffer): L2Decoded<EthernetFrame> {
  const short = shortOf(buf, 0, ETHERNET_HEADER_BYTES, 'Ethernet header');
  if (short) return short;
  const ethertype = buf.readUInt16BE(12);
  // Values up to 1500 are 802.3 lengths (LLC frames), not EtherTypes.
  if (ethertype < 0x0600) return l2Refusal('not-ethernet-ii', 12, `type/length field ${ethertype} is an 802.3 length, not an EtherType`);
  return decoded({ dst: formatMac(buf, 0), src: formatMac(buf, 6), ethertype, payload: buf.subarray(ETHERNET_HEADER_BYTES) });
}

/**
 * No padding is added: the sending NIC pads short frames to 60 bytes, and the
 * Linux kernel's own ARP goes out unpadded in the same way.
 */
export function encodeEthernet(frame: EthernetFrame): Buffer {
  if (!Number.isInteger(frame.ethertype) || frame.ethertype < 0x0600 || frame.ethertype > 0xffff) {
    throw new RangeError(`EtherType must be 0x0600..0xffff, got ${frame.ethertype}`);
  }
  const out = Buffer.allocUnsafe(ETHERNET_HEADER_BYTES + frame.payload.length);
  writeMac(frame.dst, out, 0);
  writeMac(frame.src, out, 6);
  out.writeUInt16BE(frame.ethertype, 12);
  frame.payload.copy(out, ETHERNET_HEADER_BYTES);
  return out;
}
