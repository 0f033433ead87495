// ARP for IPv4 over Ethernet (RFC 826), the only combination a LoadBalancer
// VIP needs. The 28-byte packet:
//
//  0       2       4   5   6       8            14      18           24      28
//  +-------+-------+---+---+-------+------------+-------+------------+-------+
//  | htype | ptype |hln|pln|  op   | sender MAC | s. IP | target MAC | t. IP |
//  +-------+-------+---+---+-------+------------+-------+------------+-------+
//    1       0x0800  6   4   1|2
//
// Bytes after the 28 (Ethernet padding to the 60-byte minimum frame) are
// ignored. Operations other than request and reply (RARP, InARP) are refused
// with `unsupported-operation` so a responder can tell them from garbage.

import { formatIPv4, writeIPv4 } from '../../net/index.js';
import { formatMac, writeMac, ZERO_MAC, type MacAddress } from './mac.js';
import { decoded } from '../../util/decoded.js';
import { l2Refusal, shortOf, type L2Decoded } from './decode-error.js';
import { ETHERTYPE_IPV4 } from './ethernet.js';

export const ARP_HTYPE_ETHERNET = 1;
export const ARP_OP_REQUEST = 1;
export const ARP_OP_REPLY = 2;
export const ARP_PACKET_BYTES = 28;

interface ArpFields {
  senderMac: MacAddress;
  senderIp: string;
  targetMac: MacAddress;
  targetIp: string;
}

export type ArpPacket = ({ op: 'request' } & ArpFields) | ({ op: 'reply' } & ArpFields);

export function decodeArp(buf: Buffer): L2Decoded<ArpPacket> {
  const short = shortOf(buf, 0, 8, 'ARP fixed header');
  if (short) return short;
  const htype = buf.readUInt16BE(0);
  if (htype !== ARP_HTYPE_ETHERNET) return l2Refusal('unsupported-hardware', 0, `hardware type ${htype} is not Ethernet (1)`);
  const ptype = buf.readUInt16BE(2);
  if (ptype !== ETHERTYPE_IPV4) return l2Refusal('unsupported-protocol', 2, `protocol type 0x${ptype.toString(16)} is not IPv4`);
  if (buf[4] !== 6) return l2Refusal('bad-address-length', 4, `hardware address length ${buf[4]} is not 6`);
  if (buf[5] !== 4) return l2Refusal('bad-address-length', 5, `protocol address length ${buf[5]} is not 4`);
  const opcode = buf.readUInt16BE(6);
  let op: 'request' | 'reply';
  if (opcode === ARP_OP_REQUEST) op = 'request';
  else if (opcode === ARP_OP_REPLY) op = 'reply';
  else return l2Refusal('unsupported-operation', 6, `ARP operation ${opcode} is neither request (1) nor reply (2)`);
  const addresses = shortOf(buf, 8, ARP_PACKET_BYTES - 8, 'ARP addresses');
  if (addresses) return addresses;
  return decoded({
    op,
    senderMac: formatMac(buf, 8),
    senderIp: formatIPv4(buf, 14),
    targetMac: formatMac(buf, 18),
    targetIp: formatIPv4(buf, 24),
  });
}

export function encodeArp(p: ArpPacket): Buffer {
  const out = Buffer.alloc(ARP_PACKET_BYTES);
  out.writeUInt16BE(ARP_HTYPE_ETHERNET, 0);
  out.writeUInt16BE(ETHERTYPE_IPV4, 2);
  out[4] = 6;
  out[5] = 4;
  out.writeUInt16BE(p.op === 'request' ? ARP_OP_REQUEST : ARP_OP_REPLY, 6);
  writeMac(p.senderMac, out, 8);
  writeIPv4(p.senderIp, out, 14);
  writeMac(p.targetMac, out, 18);
  writeIPv4(p.targetIp, out, 24);
  return out;
}

/**
 * The two gratuitous forms for announcing that `ip` is now at `mac`.
 *
 * Request form: the ARP Announcement of RFC 5227 section 2.3 (sender and
 * target IP both the address, target MAC zero). Reply form: RFC 5944 section
 * 4.6, where the target MAC repeats the sender MAC; Linux only treats a reply
 * as gratuitous when it does (arp_is_garp), which is what lets it override a
 * neighbour entry within its locktime.
 */
export function gratuitousArp(op: 'request' | 'reply', mac: MacAddress, ip: string): ArpPacket {
  return { op, senderMac: mac, senderIp: ip, targetMac: op === 'request' ? ZERO_MAC : mac, targetIp: ip };
}
