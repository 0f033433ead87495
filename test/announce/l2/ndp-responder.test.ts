import fc from 'fast-check';
import t from 'tap';

import { decodeEthernet } from '../../../src/announce/l2/ethernet.js';
import { decodeIpv6 } from '../../../src/announce/l2/ipv6.js';
import { decodeNdp, icmpv6Checksum, verifyIcmpv6Checksum } from '../../../src/announce/l2/ndp.js';
import { decideNdp, unsolicitedNaFrame } from '../../../src/announce/l2/ndp-responder.js';
import type { Ownership, OwnershipLookup } from '../../../src/announce/l2/verdict.js';
import { CAPTURE, kernelFrame } from './fixtures.js';
import { nsFrame } from './frames.js';
import { unwrap } from '../../support/decoded.js';

const NODE = { name: 'eth0', mac: CAPTURE.node.mac };
const CLIENT = { srcMac: CAPTURE.client.mac, src: CAPTURE.client.ipv6 };
const VIP = '2001:db8::100';

function owning(...ips: string[]): OwnershipLookup {
  return (ip, iface): Ownership => {
    if (ips.includes(ip)) return iface === 'eth0' ? 'announce' : 'other-interface';
    if (ip === '2001:db8::200') return 'other-interface';
    return 'not-owned';
  };
}

function advertisement(frame: Buffer) {
  const eth = unwrap(decodeEthernet(frame));
  const ip = unwrap(decodeIpv6(eth.payload));
  return { eth, ip, na: unwrap(decodeNdp(ip.payload)), checksumOk: verifyIcmpv6Checksum(ip.src, ip.dst, ip.payload) };
}

t.test('answers ndisc6 exactly as the Linux kernel did', async (t) => {
  const d = decideNdp(kernelFrame('ndisc6-ns'), NODE, owning(CAPTURE.node.ipv6));
  t.equal(d.verdict, 'answered');
  t.equal(d.reply?.toString('hex'), kernelFrame('kernel-na').toString('hex'), 'byte for byte the kernel\'s NA (S and O set, from the target)');
});

t.test('the unsolicited NA is the kernel\'s ndisc_notify frame', async (t) => {
  t.equal(unsolicitedNaFrame(CAPTURE.node.mac, CAPTURE.node.ipv6).toString('hex'), kernelFrame('kernel-unsolicited-na').toString('hex'));
  const a = advertisement(unsolicitedNaFrame(NODE.mac, VIP));
  t.same([a.eth.dst, a.ip.dst, a.ip.hopLimit], ['33:33:00:00:00:01', 'ff02::1', 255]);
  t.match(a.na, { router: false, solicited: false, override: true, target: VIP, options: [{ kind: 'target-lla', mac: NODE.mac }] });
});

t.test('a DAD probe for an owned address is answered to all-nodes, S clear (RFC 4861 7.2.4)', async (t) => {
  const d = decideNdp(kernelFrame('kernel-dad-ns'), NODE, owning('2001:db8::55'));
  t.equal(d.verdict, 'answered');
  const a = advertisement(d.reply!);
  t.same([a.eth.dst, a.ip.src, a.ip.dst, a.ip.hopLimit, a.checksumOk], ['33:33:00:00:00:01', '2001:db8::55', 'ff02::1', 255, true]);
  t.match(a.na, { type: 'neighbor-advertisement', router: false, solicited: false, override: true, target: '2001:db8::55' });
});

t.test('a unicast NS (a client re-validating its entry) is answered; one without SLLA goes back to the frame source', async (t) => {
  const frame = nsFrame({ ...CLIENT, target: VIP, dst: VIP, dstMac: NODE.mac, options: [] });
  const d = decideNdp(frame, NODE, owning(VIP));
  t.equal(d.verdict, 'answered');
  const a = advertisement(d.reply!);
  t.same([a.eth.dst, a.ip.src, a.ip.dst, a.checksumOk], [CAPTURE.client.mac, VIP, CAPTURE.client.ipv6, true]);
  t.match(a.na, { solicited: true, override: true, router: false, options: [{ kind: 'target-lla', mac: NODE.mac }] });
  const viaOption = decideNdp(nsFrame({ ...CLIENT, target: VIP, options: [{ kind: 'source-lla', mac: '02:00:00:00:00:77' }] }), NODE, owning(VIP));
  t.equal(advertisement(viaOption.reply!).eth.dst, '02:00:00:00:00:77', 'the source link-layer option wins over the frame source');
});

t.test('RFC 4861 7.1.1 validity checks', async (t) => {
  const ask = (frame: Buffer) => decideNdp(frame, NODE, owning(VIP));
  t.match(ask(nsFrame({ ...CLIENT, target: VIP, hopLimit: 64 })), { verdict: 'bad-hop-limit', detail: 'hop limit 64' });
  t.equal(ask(nsFrame({ ...CLIENT, target: VIP, hopLimit: 254 })).verdict, 'bad-hop-limit');
  const corrupt = nsFrame({ ...CLIENT, target: VIP });
  corrupt[14 + 40 + 8 + 15]! ^= 0x40;
  t.equal(ask(corrupt).verdict, 'bad-checksum');
  t.match(ask(nsFrame({ ...CLIENT, target: 'ff02::1' })), { verdict: 'malformed', detail: /multicast/ });
  t.match(ask(nsFrame({ srcMac: CLIENT.srcMac, src: '::', target: VIP, options: [{ kind: 'source-lla', mac: CLIENT.srcMac }] })), {
    verdict: 'malformed',
    detail: /source link-layer/,
  });
  t.match(ask(nsFrame({ srcMac: CLIENT.srcMac, src: '::', target: VIP, dst: VIP, dstMac: NODE.mac })), { verdict: 'malformed', detail: /solicited-node/ });
  // A zero-length option, with the checksum fixed up so only the option is wrong.
  const zeroOption = kernelFrame('ndisc6-ns');
  zeroOption[14 + 40 + 25] = 0;
  const ip = unwrap(decodeIpv6(unwrap(decodeEthernet(zeroOption)).payload));
  zeroOption.writeUInt16BE(icmpv6Checksum(ip.src, ip.dst, ip.payload), 14 + 40 + 2);
  t.match(decideNdp(zeroOption, NODE, owning(CAPTURE.node.ipv6)), { verdict: 'malformed', detail: /length 0/ });
  t.equal(ask(kernelFrame('ndisc6-ns').subarray(0, 70)).verdict, 'malformed', 'truncated');
});

t.test('verdicts for what is not ours to answer', async (t) => {
  const ask = (frame: Buffer) => decideNdp(frame, NODE, owning(VIP));
  t.same(ask(nsFrame({ ...CLIENT, target: '2001:db8::55' })), { verdict: 'not-owned', ip: '2001:db8::55' });
  t.same(ask(nsFrame({ ...CLIENT, target: '2001:db8::200' })), { verdict: 'wrong-interface', ip: '2001:db8::200' });
  t.same(ask(nsFrame({ ...CLIENT, target: VIP, dst: VIP, dstMac: '02:00:00:00:00:22' })), { verdict: 'wrong-destination', ip: VIP }, 'unicast to another MAC');
  t.same(ask(nsFrame({ ...CLIENT, target: VIP, dst: 'ff02::1:ff00:55' })), { verdict: 'wrong-destination', ip: VIP }, 'another solicited-node group');
  t.equal(ask(nsFrame({ ...CLIENT, srcMac: NODE.mac, target: VIP })).verdict, 'from-self');
  t.same(ask(nsFrame({ srcMac: '02:00:00:00:00:42', src: VIP, target: '2001:db8::1' })), { verdict: 'conflict', ip: VIP }, 'another host sourcing from our VIP');
  t.equal(decideNdp(kernelFrame('kernel-na'), { name: 'eth0', mac: '02:00:00:00:00:33' }, owning(VIP)).verdict, 'not-request');
  t.equal(ask(kernelFrame('arping-request')).verdict, 'malformed', 'not IPv6 at all');
});

t.test('never throws, and every answer is a valid NA for an announced target (property)', async () => {
  const lookup = owning(VIP, CAPTURE.node.ipv6);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
      decideNdp(Buffer.from(bytes), NODE, lookup);
    }),
    { numRuns: 3000 },
  );
  const base = kernelFrame('ndisc6-ns');
  fc.assert(
    fc.property(fc.nat(base.length - 1), fc.nat(255), (at, v) => {
      const b = Buffer.from(base);
      b[at] = v;
      const d = decideNdp(b, NODE, lookup);
      if (d.verdict !== 'answered') return true;
      const a = advertisement(d.reply!);
      return a.checksumOk && a.ip.hopLimit === 255 && a.na.type === 'neighbor-advertisement' && lookup(a.na.target, 'eth0') === 'announce';
    }),
    { numRuns: 3000 },
  );
});
