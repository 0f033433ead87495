import fc from 'fast-check';
import t from 'tap';

import { decodeArp, encodeArp, gratuitousArp } from '../../../src/announce/l2/arp.js';
import { decideArp, gratuitousArpFrames } from '../../../src/announce/l2/arp-responder.js';
import { decodeEthernet, encodeEthernet, ETHERTYPE_ARP } from '../../../src/announce/l2/ethernet.js';
import type { Ownership, OwnershipLookup } from '../../../src/announce/l2/verdict.js';
import { arpRequestFrame } from './frames.js';
import { CAPTURE, kernelFrame } from './fixtures.js';
import { unwrap } from '../../support/decoded.js';

const NODE = { name: 'eth0', mac: CAPTURE.node.mac };
const OTHER_MAC = '02:00:00:00:00:22';
const VIP = '192.0.2.100';

/** Announces the given addresses on eth0 and treats 192.0.2.200 as owned on eth1 only. */
function owning(...ips: string[]): OwnershipLookup {
  return (ip, iface): Ownership => {
    if (ips.includes(ip)) return iface === 'eth0' ? 'announce' : 'other-interface';
    if (ip === '192.0.2.200') return iface === 'eth1' ? 'announce' : 'other-interface';
    return 'not-owned';
  };
}

t.test('answers arping exactly as the Linux kernel did', async (t) => {
  const d = decideArp(kernelFrame('arping-request'), NODE, owning(CAPTURE.node.ipv4));
  t.equal(d.verdict, 'answered');
  t.equal(d.ip, CAPTURE.node.ipv4);
  t.equal(d.reply?.toString('hex'), kernelFrame('kernel-arp-reply').toString('hex'), 'byte for byte the kernel\'s reply');
});

t.test('verdicts for everything that is not ours to answer', async (t) => {
  const ask = (frame: Buffer, lookup = owning(VIP)) => decideArp(frame, NODE, lookup);
  const req = (targetIp: string, extra: { dstMac?: string; senderIp?: string } = {}) =>
    arpRequestFrame({ srcMac: CAPTURE.client.mac, senderIp: extra.senderIp ?? CAPTURE.client.ipv4, targetIp, dstMac: extra.dstMac });

  t.same(ask(req('192.0.2.55')), { verdict: 'not-owned', ip: '192.0.2.55' });
  t.same(ask(req('192.0.2.200')), { verdict: 'wrong-interface', ip: '192.0.2.200' });
  t.equal(decideArp(kernelFrame('kernel-arp-reply'), { name: 'eth0', mac: '02:00:00:00:00:33' }, owning(VIP)).verdict, 'not-request', 'a reply seen by a third host');
  t.equal(ask(kernelFrame('arping-unsolicited-request')).verdict, 'gratuitous', 'another host announcing itself');
  t.equal(ask(kernelFrame('arping-unsolicited-reply')).verdict, 'not-request');
  t.same(ask(req(VIP, { dstMac: OTHER_MAC })), { verdict: 'wrong-destination', ip: VIP }, 'unicast to another host (promiscuous)');
  for (const frame of gratuitousArpFrames(NODE.mac, VIP)) t.equal(ask(frame).verdict, 'from-self');
  for (const frame of gratuitousArpFrames(OTHER_MAC, VIP)) t.same(ask(frame), { verdict: 'conflict', ip: VIP, claim: { mac: OTHER_MAC, probe: false } }, 'someone else claims our VIP');
  t.same(ask(req('192.0.2.55', { senderIp: VIP })), { verdict: 'conflict', ip: VIP, claim: { mac: CAPTURE.client.mac, probe: false } }, 'a request sent from our VIP');
  t.equal(ask(req('192.0.2.55', { senderIp: '192.0.2.200' })).verdict, 'not-owned', 'a claim on another interface\'s address is no conflict here');
});

t.test('unicast refreshes and RFC 5227 probes are answered', async (t) => {
  const unicast = decideArp(arpRequestFrame({ srcMac: CAPTURE.client.mac, senderIp: CAPTURE.client.ipv4, targetIp: VIP, dstMac: NODE.mac }), NODE, owning(VIP));
  t.equal(unicast.verdict, 'answered');
  const probe = decideArp(arpRequestFrame({ srcMac: CAPTURE.client.mac, senderIp: '0.0.0.0', targetIp: VIP }), NODE, owning(VIP));
  t.equal(probe.verdict, 'answered');
  t.same(probe.claim, { mac: CAPTURE.client.mac, probe: true }, 'the prober is reported');
  const eth = unwrap(decodeEthernet(probe.reply!));
  t.equal(eth.dst, CAPTURE.client.mac, 'unicast back to the prober');
  t.same(unwrap(decodeArp(eth.payload)), { op: 'reply', senderMac: NODE.mac, senderIp: VIP, targetMac: CAPTURE.client.mac, targetIp: '0.0.0.0' });
});

t.test('malformed frames', async (t) => {
  const req = kernelFrame('arping-request');
  t.equal(decideArp(req.subarray(0, 30), NODE, owning()).verdict, 'malformed', 'truncated');
  t.equal(decideArp(req.subarray(0, 10), NODE, owning()).verdict, 'malformed', 'shorter than an Ethernet header');
  const ipv6 = Buffer.from(req);
  ipv6.writeUInt16BE(0x86dd, 12);
  t.match(decideArp(ipv6, NODE, owning()), { verdict: 'malformed', detail: /not ARP/ });
  const rarp = Buffer.from(req);
  rarp.writeUInt16BE(3, 20);
  t.equal(decideArp(rarp, NODE, owning()).verdict, 'not-request', 'RARP is a valid frame, just not a request');
  const hlen = Buffer.from(req);
  hlen[18] = 8;
  t.match(decideArp(hlen, NODE, owning()), { verdict: 'malformed', detail: /hardware address length 8/ });
});

t.test('the gratuitous round: the kernel\'s arp_notify frame, then the reply form', async (t) => {
  const [request, reply] = gratuitousArpFrames(CAPTURE.node.mac, CAPTURE.node.ipv4);
  t.equal(request?.toString('hex'), kernelFrame('kernel-gratuitous-arp').toString('hex'));
  const r = unwrap(decodeEthernet(reply!));
  t.equal(r.dst, 'ff:ff:ff:ff:ff:ff');
  t.same(unwrap(decodeArp(r.payload)), { op: 'reply', senderMac: CAPTURE.node.mac, senderIp: CAPTURE.node.ipv4, targetMac: CAPTURE.node.mac, targetIp: CAPTURE.node.ipv4 });
});

t.test('never throws, and answers only what is announced on this interface (property)', async () => {
  const lookup = owning(CAPTURE.node.ipv4);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      decideArp(Buffer.from(bytes), NODE, lookup);
    }),
    { numRuns: 3000 },
  );
  // Single-byte mutations of a real request: whatever gets answered must be a
  // request for the announced address, and the reply must decode.
  const base = kernelFrame('arping-request');
  fc.assert(
    fc.property(fc.nat(base.length - 1), fc.nat(255), (at, v) => {
      const b = Buffer.from(base);
      b[at] = v;
      const d = decideArp(b, NODE, lookup);
      if (d.verdict !== 'answered') return true;
      const asked = unwrap(decodeArp(unwrap(decodeEthernet(b)).payload));
      const reply = unwrap(decodeArp(unwrap(decodeEthernet(d.reply!)).payload));
      return asked.op === 'request' && lookup(asked.targetIp, 'eth0') === 'announce' && reply.senderIp === asked.targetIp && reply.senderMac === NODE.mac;
    }),
    { numRuns: 3000 },
  );
});

t.test('claims on an address we announce, in every form, name the claimant', async (t) => {
  const lookup = owning(VIP);
  const frame = (op: 'request' | 'reply', ethSrc: string, senderMac: string, senderIp: string, targetIp: string, dst = 'ff:ff:ff:ff:ff:ff') =>
    encodeEthernet({ dst, src: ethSrc, ethertype: ETHERTYPE_ARP, payload: encodeArp({ op, senderMac, senderIp, targetMac: dst === 'ff:ff:ff:ff:ff:ff' ? '00:00:00:00:00:00' : dst, targetIp }) });
  t.same(decideArp(frame('reply', OTHER_MAC, OTHER_MAC, VIP, '192.0.2.1', NODE.mac), NODE, lookup).claim, { mac: OTHER_MAC, probe: false }, 'a reply from our VIP, unicast to us');
  t.same(decideArp(frame('reply', OTHER_MAC, OTHER_MAC, VIP, VIP), NODE, lookup).verdict, 'conflict', 'a gratuitous reply');
  const yielded: OwnershipLookup = (ip) => (ip === VIP ? 'yielded' : 'not-owned');
  t.same(decideArp(frame('request', OTHER_MAC, OTHER_MAC, VIP, VIP), NODE, yielded), { verdict: 'conflict', ip: VIP, claim: { mac: OTHER_MAC, probe: false } }, 'claims on a yielded address are still seen');
  t.same(decideArp(arpRequestFrame({ srcMac: CAPTURE.client.mac, senderIp: CAPTURE.client.ipv4, targetIp: VIP }), NODE, yielded), { verdict: 'yielded', ip: VIP }, 'questions for a yielded address are not answered');
});

t.test('a sender hardware address that is not the Ethernet source is inconsistent, never a claimant', async (t) => {
  const lookup = owning(VIP);
  const spoof = (ethSrc: string, senderMac: string, senderIp = VIP) =>
    encodeEthernet({ dst: 'ff:ff:ff:ff:ff:ff', src: ethSrc, ethertype: ETHERTYPE_ARP, payload: encodeArp(gratuitousArp('request', senderMac, senderIp)) });
  const d = decideArp(spoof(OTHER_MAC, '02:00:00:00:00:77'), NODE, lookup);
  t.equal(d.verdict, 'inconsistent');
  t.equal(d.claim, undefined, 'no claimant');
  t.match(d.detail, /02:00:00:00:00:77.*02:00:00:00:00:22/);
  t.equal(decideArp(spoof(OTHER_MAC, NODE.mac), NODE, lookup).verdict, 'inconsistent', 'our MAC sent from elsewhere');
  t.equal(decideArp(spoof(OTHER_MAC, NODE.mac, '192.0.2.55'), NODE, lookup).verdict, 'inconsistent', 'our MAC sent from elsewhere, any address');
});

t.test('every frame gets a verdict and none throws, whatever its bytes (fuzz, with a claim-shaped prefix)', async () => {
  const base = gratuitousArpFrames(OTHER_MAC, VIP)[0]!;
  fc.assert(
    fc.property(fc.nat(base.length), fc.uint8Array({ maxLength: 40 }), fc.constantFrom<Ownership>('announce', 'yielded', 'other-interface', 'not-owned'), (cut, tail, own) => {
      const frame = Buffer.concat([base.subarray(0, cut), Buffer.from(tail)]);
      const d = decideArp(frame, NODE, () => own);
      if (typeof d.verdict !== 'string') throw new Error('no verdict');
      if (d.claim && d.verdict !== 'conflict' && d.verdict !== 'answered') throw new Error(`claim with verdict ${d.verdict}`);
    }),
    { numRuns: 500 },
  );
});
