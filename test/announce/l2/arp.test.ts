import { isDeepStrictEqual } from 'node:util';

import fc from 'fast-check';
import t from 'tap';

import { decodeArp, encodeArp, gratuitousArp, type ArpPacket } from '../../../src/announce/l2/arp.js';
import { decodeEthernet, encodeEthernet, ETHERTYPE_ARP } from '../../../src/announce/l2/ethernet.js';
import { decodeCode, mac, record } from './codec-helpers.js';
import { CAPTURE, kernelFrame, kernelFrames } from './fixtures.js';
import { unwrap } from '../../support/decoded.js';

const ipv4 = fc.ipV4();
const arpPacket: fc.Arbitrary<ArpPacket> = record({
  op: fc.constantFrom('request' as const, 'reply' as const),
  senderMac: mac,
  senderIp: ipv4,
  targetMac: mac,
  targetIp: ipv4,
});

t.test('the kernel fixtures loaded', async (t) => {
  t.equal(kernelFrames().size, 9, 'nine captured frames');
  t.equal(kernelFrame('arping-request').length, 42);
});

t.test('decodes arping\'s request and the kernel\'s reply as captured', async (t) => {
  const req = unwrap(decodeEthernet(kernelFrame('arping-request')));
  t.same({ dst: req.dst, src: req.src, ethertype: req.ethertype }, { dst: 'ff:ff:ff:ff:ff:ff', src: CAPTURE.client.mac, ethertype: ETHERTYPE_ARP });
  t.same(unwrap(decodeArp(req.payload)), {
    op: 'request',
    senderMac: CAPTURE.client.mac,
    senderIp: CAPTURE.client.ipv4,
    // iputils arping fills the target MAC with broadcast, not zero
    targetMac: 'ff:ff:ff:ff:ff:ff',
    targetIp: CAPTURE.node.ipv4,
  });
  const reply = unwrap(decodeEthernet(kernelFrame('kernel-arp-reply')));
  t.same(unwrap(decodeArp(reply.payload)), {
    op: 'reply',
    senderMac: CAPTURE.node.mac,
    senderIp: CAPTURE.node.ipv4,
    targetMac: CAPTURE.client.mac,
    targetIp: CAPTURE.client.ipv4,
  });
});

t.test('every captured ARP frame re-encodes to the same bytes', async (t) => {
  for (const name of ['arping-request', 'kernel-arp-reply', 'arping-unsolicited-request', 'arping-unsolicited-reply', 'kernel-gratuitous-arp']) {
    const raw = kernelFrame(name);
    const eth = unwrap(decodeEthernet(raw));
    const again = encodeEthernet({ ...eth, payload: encodeArp(unwrap(decodeArp(eth.payload))) });
    t.equal(again.toString('hex'), raw.toString('hex'), name);
  }
});

t.test('our gratuitous request form is the kernel\'s arp_notify frame', async (t) => {
  const ours = gratuitousArp('request', CAPTURE.node.mac, CAPTURE.node.ipv4);
  t.same(ours, unwrap(decodeArp(unwrap(decodeEthernet(kernelFrame('kernel-gratuitous-arp'))).payload)));
  const reply = gratuitousArp('reply', CAPTURE.node.mac, CAPTURE.node.ipv4);
  t.equal(reply.targetMac, CAPTURE.node.mac, 'reply form repeats the sender MAC (RFC 5944 4.6)');
});

t.test('ARP round trip (property)', async () => {
  fc.assert(fc.property(arpPacket, (p) => {
    const bytes = encodeArp(p);
    return bytes.length === 28 && isDeepStrictEqual(unwrap(decodeArp(bytes)), p);
  }));
});

t.test('Ethernet round trip (property)', async () => {
  fc.assert(
    fc.property(mac, mac, fc.integer({ min: 0x0600, max: 0xffff }), fc.uint8Array({ maxLength: 100 }), (dst, src, ethertype, payload) => {
      const frame = { dst, src, ethertype, payload: Buffer.from(payload) };
      const back = unwrap(decodeEthernet(encodeEthernet(frame)));
      return back.dst === dst && back.src === src && back.ethertype === ethertype && back.payload.equals(frame.payload);
    }),
  );
});

t.test('ARP decoding checks every length and field', async (t) => {
  const good = encodeArp(gratuitousArp('request', '02:00:00:00:00:01', '192.0.2.1'));
  t.equal(decodeCode(() => decodeArp(good.subarray(0, 7))), 'truncated');
  t.equal(decodeCode(() => decodeArp(good.subarray(0, 27))), 'truncated');
  t.equal(decodeCode(() => decodeArp(Buffer.concat([good, Buffer.alloc(18)]))), undefined, 'Ethernet padding after the packet is ignored');
  const patch = (at: number, bytes: number[]): Buffer => {
    const b = Buffer.from(good);
    Buffer.from(bytes).copy(b, at);
    return b;
  };
  t.equal(decodeCode(() => decodeArp(patch(0, [0, 6]))), 'unsupported-hardware');
  t.equal(decodeCode(() => decodeArp(patch(2, [0x86, 0xdd]))), 'unsupported-protocol');
  t.equal(decodeCode(() => decodeArp(patch(4, [8]))), 'bad-address-length');
  t.equal(decodeCode(() => decodeArp(patch(5, [16]))), 'bad-address-length');
  t.equal(decodeCode(() => decodeArp(patch(6, [0, 3]))), 'unsupported-operation', 'RARP request');
  const short = decodeArp(good.subarray(0, 20));
  const err = short.ok ? undefined : short.error;
  t.match(err?.message, /ARP addresses needs 20 bytes, only 12 left \(at byte 8\)/, 'says what and where');
  t.equal(decodeCode(() => decodeEthernet(Buffer.alloc(13))), 'truncated');
  t.equal(decodeCode(() => decodeEthernet(Buffer.from('ffffffffffff02000000000100400000', 'hex'))), 'not-ethernet-ii', '802.3 length field');
});

t.test('random bytes never throw: every refusal is an L2DecodeError (fuzz)', async () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
      const b = Buffer.from(bytes);
      decodeCode(() => decodeEthernet(b));
      decodeCode(() => decodeArp(b));
    }),
    { numRuns: 5000 },
  );
});
