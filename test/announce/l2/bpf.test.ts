// The socket filters, run by a small classic-BPF interpreter over the
// assembled bytes (so the encoding is checked too) against kernel captures.
// The real kernel runs them in the namespace tests.

import { endianness } from 'node:os';

import fc from 'fast-check';
import t from 'tap';

import { assembleBpf, ARP_FILTER, NEIGHBOR_DISCOVERY_FILTER } from '../../../src/announce/l2/bpf.js';
import { kernelFrame } from './fixtures.js';

/** Runs the subset the filters use: ld{h,b} abs, jeq k, ret k. Out-of-bounds loads drop, as in the kernel. */
function runBpf(program: Buffer, packet: Buffer): number {
  const le = endianness() === 'LE';
  const insns = [];
  for (let at = 0; at < program.length; at += 8) {
    insns.push({
      code: le ? program.readUInt16LE(at) : program.readUInt16BE(at),
      jt: program[at + 2]!,
      jf: program[at + 3]!,
      k: le ? program.readUInt32LE(at + 4) : program.readUInt32BE(at + 4),
    });
  }
  let a = 0;
  for (let pc = 0; pc < insns.length; pc++) {
    const { code, jt, jf, k } = insns[pc]!;
    switch (code) {
      case 0x28:
        if (k + 2 > packet.length) return 0;
        a = packet.readUInt16BE(k);
        break;
      case 0x30:
        if (k + 1 > packet.length) return 0;
        a = packet[k]!;
        break;
      case 0x15:
        pc += a === k ? jt : jf;
        break;
      case 0x06:
        return k;
      default:
        throw new Error(`opcode 0x${code.toString(16)} not in the test interpreter`);
    }
  }
  throw new Error('fell off the end of the program');
}

const arpFilter = assembleBpf(ARP_FILTER);
const nsFilter = assembleBpf(NEIGHBOR_DISCOVERY_FILTER);

t.test('the ARP filter passes requests and replies only', async (t) => {
  t.ok(runBpf(arpFilter, kernelFrame('arping-request')) > 0, 'request');
  t.ok(runBpf(arpFilter, kernelFrame('arping-unsolicited-request')) > 0, 'gratuitous request (still a request)');
  t.ok(runBpf(arpFilter, kernelFrame('kernel-arp-reply')) > 0, 'reply');
  t.ok(runBpf(arpFilter, kernelFrame('arping-unsolicited-reply')) > 0, 'gratuitous reply');
  const rarp = Buffer.from(kernelFrame('arping-request'));
  rarp.writeUInt16BE(3, 20);
  t.equal(runBpf(arpFilter, rarp), 0, 'RARP request');
  t.equal(runBpf(arpFilter, kernelFrame('arping-request').subarray(0, 20)), 0, 'truncated');
});

t.test('the ND filter passes Neighbor Solicitations and Advertisements only', async (t) => {
  t.ok(runBpf(nsFilter, kernelFrame('ndisc6-ns')) > 0, 'NS');
  t.ok(runBpf(nsFilter, kernelFrame('kernel-dad-ns')) > 0, 'DAD NS');
  t.ok(runBpf(nsFilter, kernelFrame('kernel-na')) > 0, 'NA');
  t.ok(runBpf(nsFilter, kernelFrame('kernel-unsolicited-na')) > 0, 'unsolicited NA');
  const rs = Buffer.from(kernelFrame('ndisc6-ns'));
  rs[54] = 133;
  t.equal(runBpf(nsFilter, rs), 0, 'Router Solicitation');
  const udp = kernelFrame('ndisc6-ns');
  udp[20] = 17;
  t.equal(runBpf(nsFilter, udp), 0, 'not ICMPv6');
});

t.test('the filters never run off their end, whatever the bytes (fuzz)', async () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
      runBpf(arpFilter, Buffer.from(bytes));
      runBpf(nsFilter, Buffer.from(bytes));
    }),
  );
});
