import fc from 'fast-check';
import t from 'tap';

import { decodeEthernet, encodeEthernet, ETHERTYPE_IPV6 } from '../../../src/announce/l2/ethernet.js';
import { decodeIpv6, encodeIpv6, NEXT_HEADER_ICMPV6 } from '../../../src/announce/l2/ipv6.js';
import { decodeNdp, encodeNdp, icmpv6Checksum, verifyIcmpv6Checksum } from '../../../src/announce/l2/ndp.js';
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
  t.same(ask(nsFrame({ srcMac: '02:00:00:00:00:42', src: VIP, target: '2001:db8::1' })), { verdict: 'conflict', ip: VIP, claim: { mac: '02:00:00:00:00:42', probe: false } }, 'another host sourcing from our VIP');
  t.equal(decideNdp(kernelFrame('kernel-na'), { name: 'eth0', mac: '02:00:00:00:00:33' }, owning(VIP)).verdict, 'not-request', 'an NA for an address we do not announce');
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

const OTHER = '02:00:00:00:00:42';

/** An NA for target from ethSrc, with a target link-layer option naming lla (none when undefined). */
function naFrame(ethSrc: string, target: string, lla: string | undefined, hopLimit = 255): Buffer {
  const icmp = encodeNdp(
    { type: 'neighbor-advertisement', router: false, solicited: false, override: true, target, options: lla ? [{ kind: 'target-lla', mac: lla }] : [] },
    { src: target, dst: 'ff02::1' },
  );
  const ip = encodeIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: NEXT_HEADER_ICMPV6, hopLimit, src: target, dst: 'ff02::1', payload: icmp });
  return encodeEthernet({ dst: '33:33:00:00:00:01', src: ethSrc, ethertype: ETHERTYPE_IPV6, payload: ip });
}

t.test('an NA for an address we announce is a claim by its sender', async (t) => {
  const ask = (frame: Buffer, lookup = owning(VIP)) => decideNdp(frame, NODE, lookup);
  t.same(ask(unsolicitedNaFrame(OTHER, VIP)), { verdict: 'conflict', ip: VIP, claim: { mac: OTHER, probe: false } }, 'unsolicited NA');
  t.same(ask(naFrame(OTHER, VIP, undefined)), { verdict: 'conflict', ip: VIP, claim: { mac: OTHER, probe: false } }, 'NA without a link-layer option');
  t.same(ask(unsolicitedNaFrame(OTHER, '2001:db8::55')), { verdict: 'not-request', ip: '2001:db8::55' }, 'an NA for someone else\'s address');
  t.equal(ask(unsolicitedNaFrame(NODE.mac, VIP)).verdict, 'from-self');
  const yielded: OwnershipLookup = (ip) => (ip === VIP ? 'yielded' : 'not-owned');
  t.equal(ask(unsolicitedNaFrame(OTHER, VIP), yielded).verdict, 'conflict', 'claims on a yielded address are still seen');
  t.same(ask(nsFrame({ ...CLIENT, target: VIP }), yielded), { verdict: 'yielded', ip: VIP }, 'questions for a yielded address are not answered');
  t.equal(ask(naFrame(OTHER, VIP, OTHER, 64)).verdict, 'bad-hop-limit', 'an NA that crossed a router');
});

t.test('a link-layer option that is not the Ethernet source is inconsistent, never a claimant', async (t) => {
  const ask = (frame: Buffer) => decideNdp(frame, NODE, owning(VIP));
  const na = ask(naFrame(OTHER, VIP, '02:00:00:00:00:77'));
  t.equal(na.verdict, 'inconsistent');
  t.equal(na.claim, undefined);
  t.equal(ask(naFrame(OTHER, VIP, NODE.mac)).verdict, 'inconsistent', 'our MAC in the option, sent from elsewhere');
  const ns = ask(nsFrame({ srcMac: OTHER, src: VIP, target: '2001:db8::1', options: [{ kind: 'source-lla', mac: '02:00:00:00:00:77' }] }));
  t.equal(ns.verdict, 'inconsistent', 'NS from our VIP with a foreign source option');
});

t.test('a DAD probe for our address is answered and its sender reported', async (t) => {
  const d = decideNdp(nsFrame({ srcMac: OTHER, src: '::', target: VIP }), NODE, owning(VIP));
  t.equal(d.verdict, 'answered');
  t.same(d.claim, { mac: OTHER, probe: true });
});

t.test('every ND frame gets a verdict and none throws (fuzz over a claim-shaped NA)', async () => {
  const base = unsolicitedNaFrame(OTHER, VIP);
  fc.assert(
    fc.property(fc.nat(base.length), fc.uint8Array({ maxLength: 40 }), fc.constantFrom<Ownership>('announce', 'yielded', 'other-interface', 'not-owned'), (cut, tail, own) => {
      const d = decideNdp(Buffer.concat([base.subarray(0, cut), Buffer.from(tail)]), NODE, () => own);
      if (typeof d.verdict !== 'string') throw new Error('no verdict');
    }),
    { numRuns: 500 },
  );
});
