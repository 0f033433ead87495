// Classic BPF socket filters, so the kernel wakes the responders only for the
// frames they act on: ARP requests and replies (a reply can be another host's
// claim on an address we announce), and ICMPv6 Neighbor Solicitations and
// Advertisements (an NA can be such a claim). On a busy segment that is a
// small fraction of the ARP and IPv6 traffic an AF_PACKET socket would
// otherwise copy to user space.
//
// Offsets are from the start of the Ethernet header (AF_PACKET SOCK_RAW). The
// filters only pre-select by type; every other check (lengths, hop limit,
// checksum, ownership) is made by the pure decision code so it is counted by
// verdict and tested.

import { endianness } from 'node:os';

import { ETHERNET_HEADER_BYTES } from './ethernet.js';
import { NEXT_HEADER_ICMPV6 } from './ipv6.js';
import { ICMPV6_NEIGHBOR_ADVERTISEMENT, ICMPV6_NEIGHBOR_SOLICITATION } from './ndp.js';
import { ARP_OP_REPLY, ARP_OP_REQUEST } from './arp.js';

// Opcodes from linux/bpf_common.h.
const BPF_LD_H_ABS = 0x28; // A <- u16 at k
const BPF_LD_B_ABS = 0x30; // A <- u8 at k
const BPF_JEQ_K = 0x15; // if A == k then jt else jf
const BPF_RET_K = 0x06; // accept k bytes (0 drops)

/** Accept up to this many bytes of a matching frame: the whole of any frame we handle. */
const ACCEPT_BYTES = 0xffff;

export interface BpfInstruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** struct sock_filter[] in host byte order, as SO_ATTACH_FILTER takes it. */
export function assembleBpf(program: readonly BpfInstruction[]): Buffer {
  const le = endianness() === 'LE';
  const out = Buffer.alloc(program.length * 8);
  program.forEach((ins, i) => {
    const at = i * 8;
    if (le) {
      out.writeUInt16LE(ins.code, at);
      out.writeUInt32LE(ins.k >>> 0, at + 4);
    } else {
      out.writeUInt16BE(ins.code, at);
      out.writeUInt32BE(ins.k >>> 0, at + 4);
    }
    out[at + 2] = ins.jt;
    out[at + 3] = ins.jf;
  });
  return out;
}

const ld = (code: number, k: number): BpfInstruction => ({ code, jt: 0, jf: 0, k });
const jeq = (k: number, jt: number, jf: number): BpfInstruction => ({ code: BPF_JEQ_K, jt, jf, k });
const ret = (k: number): BpfInstruction => ({ code: BPF_RET_K, jt: 0, jf: 0, k });

/** ARP operation == request or reply (the socket is already bound to the ARP EtherType). */
export const ARP_FILTER: readonly BpfInstruction[] = [
  ld(BPF_LD_H_ABS, ETHERNET_HEADER_BYTES + 6),
  jeq(ARP_OP_REQUEST, 1, 0),
  jeq(ARP_OP_REPLY, 0, 1),
  ret(ACCEPT_BYTES),
  ret(0),
];

/** IPv6 next header == ICMPv6 and ICMPv6 type == Neighbor Solicitation or Advertisement. */
export const NEIGHBOR_DISCOVERY_FILTER: readonly BpfInstruction[] = [
  ld(BPF_LD_B_ABS, ETHERNET_HEADER_BYTES + 6),
  jeq(NEXT_HEADER_ICMPV6, 0, 4),
  ld(BPF_LD_B_ABS, ETHERNET_HEADER_BYTES + 40),
  jeq(ICMPV6_NEIGHBOR_SOLICITATION, 1, 0),
  jeq(ICMPV6_NEIGHBOR_ADVERTISEMENT, 0, 1),
  ret(ACCEPT_BYTES),
  ret(0),
];

/** Nothing: for a socket held only for a membership, so the kernel queues nothing on it. */
export const DROP_ALL_FILTER: readonly BpfInstruction[] = [ret(0)];
