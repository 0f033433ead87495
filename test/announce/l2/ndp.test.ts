import { isDeepStrictEqual } from 'node:util';

import fc from 'fast-check';
import t from 'tap';

import { decodeEthernet } from '../../../src/announce/l2/ethernet.js';
import { decodeIpv6, encodeIpv6, internetChecksum, ipv6MulticastMac, solicitedNodeMulticast, type Ipv6Packet } from '../../../src/announce/l2/ipv6.js';
import { decodeNdp, encodeNdp, icmpv6Checksum, verifyIcmpv6Checksum, type NdpMessage, type NdpOption } from '../../../src/announce/l2/ndp.js';
import { decodeCode, ipv6, mac, record } from './codec-helpers.js';
import { CAPTURE, kernelFrame } from './fixtures.js';
import { unwrap } from '../../support/decoded.js';

const option: fc.Arbitrary<NdpOption> = fc.oneof(
  record({ kind: fc.constant('source-lla' as const), mac }),
  record({ kind: fc.constant('target-lla' as const), mac }),
  fc
    .record({ type: fc.integer({ min: 3, max: 255 }), units: fc.integer({ min: 1, max: 4 }) })
    .chain(({ type, units }) =>
      fc.uint8Array({ minLength: units * 8 - 2, maxLength: units * 8 - 2 }).map((body) => ({ kind: 'raw' as const, type, body: Buffer.from(body) })),
    ),
);
const message: fc.Arbitrary<NdpMessage> = fc.oneof(
  record({ type: fc.constant('neighbor-solicitation' as const), target: ipv6, options: fc.array(option, { maxLength: 4 }) }),
  record({
    type: fc.constant('neighbor-advertisement' as const),
    router: fc.boolean(),
    solicited: fc.boolean(),
    override: fc.boolean(),
    target: ipv6,
    options: fc.array(option, { maxLength: 4 }),
  }),
);

function ipOf(frameName: string): Ipv6Packet {
  return unwrap(decodeIpv6(unwrap(decodeEthernet(kernelFrame(frameName))).payload));
}

t.test('decodes ndisc6\'s solicitation and the kernel\'s advertisement as captured', async (t) => {
  const ns = ipOf('ndisc6-ns');
  t.same([ns.src, ns.dst, ns.hopLimit, ns.nextHeader], [CAPTURE.client.linkLocal, 'ff02::1:ff00:11', 255, 58]);
  t.ok(verifyIcmpv6Checksum(ns.src, ns.dst, ns.payload), 'checksum verifies');
  t.same(unwrap(decodeNdp(ns.payload)), { type: 'neighbor-solicitation', target: CAPTURE.node.ipv6, options: [{ kind: 'source-lla', mac: CAPTURE.client.mac }] });

  const na = ipOf('kernel-na');
  t.same([na.src, na.dst, na.hopLimit], [CAPTURE.node.ipv6, CAPTURE.client.linkLocal, 255], 'the kernel answers from the target address itself');
  t.same(unwrap(decodeNdp(na.payload)), {
    type: 'neighbor-advertisement',
    router: false,
    solicited: true,
    override: true,
    target: CAPTURE.node.ipv6,
    options: [{ kind: 'target-lla', mac: CAPTURE.node.mac }],
  });
});

t.test('the kernel\'s DAD probe keeps its nonce option raw and re-encodes byte for byte', async (t) => {
  const dad = ipOf('kernel-dad-ns');
  t.equal(dad.src, '::');
  t.equal(dad.dst, solicitedNodeMulticast('2001:db8::55'));
  const msg = unwrap(decodeNdp(dad.payload));
  t.equal(msg.options.length, 1);
  const nonce = msg.options[0];
  t.equal(nonce?.kind, 'raw');
  if (nonce?.kind === 'raw') t.same([nonce.type, nonce.body.length], [14, 6], 'RFC 7527 nonce, 6 bytes');
  t.equal(encodeNdp(msg, { src: dad.src, dst: dad.dst }).toString('hex'), dad.payload.toString('hex'));
});

t.test('every captured ND packet re-encodes, checksum included, to the same bytes', async (t) => {
  for (const name of ['ndisc6-ns', 'kernel-na', 'kernel-dad-ns', 'kernel-unsolicited-na']) {
    const ip = ipOf(name);
    const again = encodeIpv6({ ...ip, payload: encodeNdp(unwrap(decodeNdp(ip.payload)), { src: ip.src, dst: ip.dst }) });
    t.equal(again.toString('hex'), unwrap(decodeEthernet(kernelFrame(name))).payload.toString('hex'), name);
  }
});

t.test('checksum: computed over the pseudo-header, detects corruption, independent of how bytes are split', async (t) => {
  const ns = ipOf('ndisc6-ns');
  t.equal(icmpv6Checksum(ns.src, ns.dst, ns.payload), ns.payload.readUInt16BE(2));
  t.notOk(verifyIcmpv6Checksum(ns.src, '2001:db8::1', ns.payload), 'another destination fails the pseudo-header');
  const flipped = Buffer.from(ns.payload);
  flipped[10]! ^= 0x01;
  t.notOk(verifyIcmpv6Checksum(ns.src, ns.dst, flipped));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(64), (bytes, cut) => {
      const b = Buffer.from(bytes);
      const at = Math.min(cut, b.length);
      return internetChecksum([b]) === internetChecksum([b.subarray(0, at), b.subarray(at)]);
    }),
  );
  t.equal(internetChecksum([Buffer.from('0001f203f4f5f6f7', 'hex')]), 0x220d, 'RFC 1071 section 3 example (sum ddf2, complemented)');
});

t.test('solicited-node group and its multicast MAC', async (t) => {
  t.equal(solicitedNodeMulticast('2001:db8::11'), 'ff02::1:ff00:11');
  t.equal(solicitedNodeMulticast('2001:db8::abcd:ef12:3456'), 'ff02::1:ff12:3456');
  t.equal(ipv6MulticastMac('ff02::1:ff12:3456'), '33:33:ff:12:34:56');
  t.equal(ipv6MulticastMac('ff02::1'), '33:33:00:00:00:01');
  t.equal(unwrap(decodeEthernet(kernelFrame('ndisc6-ns'))).dst, ipv6MulticastMac(solicitedNodeMulticast(CAPTURE.node.ipv6)), 'as ndisc6 addressed it');
});

t.test('NDP and IPv6 round trips (property)', async () => {
  fc.assert(
    fc.property(message, ipv6, ipv6, (msg, src, dst) => {
      const bytes = encodeNdp(msg, { src, dst });
      return verifyIcmpv6Checksum(src, dst, bytes) && isDeepStrictEqual(unwrap(decodeNdp(bytes)), msg);
    }),
  );
  fc.assert(
    fc.property(ipv6, ipv6, fc.nat(255), fc.nat(255), fc.nat(0xfffff), fc.nat(255), fc.uint8Array({ maxLength: 64 }), (src, dst, hopLimit, trafficClass, flowLabel, nextHeader, payload) => {
      const p: Ipv6Packet = { src, dst, hopLimit, trafficClass, flowLabel, nextHeader, payload: Buffer.from(payload) };
      return isDeepStrictEqual(unwrap(decodeIpv6(Buffer.concat([encodeIpv6(p), Buffer.alloc(3)]))), p);
    }),
  );
});

t.test('decoding rejects what RFC 4861 and RFC 8200 say to reject', async (t) => {
  const ns = ipOf('ndisc6-ns').payload;
  const patch = (b: Buffer, at: number, v: number): Buffer => {
    const c = Buffer.from(b);
    c[at] = v;
    return c;
  };
  t.equal(decodeCode(() => decodeNdp(ns.subarray(0, 3))), 'truncated');
  t.equal(decodeCode(() => decodeNdp(ns.subarray(0, 23))), 'truncated', 'shorter than the 24 fixed bytes');
  t.equal(decodeCode(() => decodeNdp(patch(ns, 0, 128))), 'unsupported-icmp-type', 'echo request');
  t.equal(decodeCode(() => decodeNdp(patch(ns, 1, 1))), 'bad-icmp-code');
  t.equal(decodeCode(() => decodeNdp(patch(ns, 25, 0))), 'bad-option-length', 'zero-length option');
  t.equal(decodeCode(() => decodeNdp(patch(ns, 25, 2))), 'truncated', 'option longer than the packet');
  t.equal(decodeCode(() => decodeNdp(ns.subarray(0, 25))), 'truncated', 'half an option header');
  const ip = unwrap(decodeEthernet(kernelFrame('ndisc6-ns'))).payload;
  t.equal(decodeCode(() => decodeIpv6(ip.subarray(0, 39))), 'truncated');
  t.equal(decodeCode(() => decodeIpv6(ip.subarray(0, 70))), 'bad-payload-length');
  t.equal(decodeCode(() => decodeIpv6(patch(ip, 0, 0x45))), 'bad-version');
  t.throws(() => encodeNdp({ type: 'neighbor-solicitation', target: '::', options: [{ kind: 'raw', type: 9, body: Buffer.alloc(5) }] }), RangeError);
});

t.test('random bytes never throw: every refusal is an L2DecodeError (fuzz)', async () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
      const b = Buffer.from(bytes);
      decodeCode(() => decodeIpv6(b));
      decodeCode(() => decodeNdp(b));
      if (b.length >= 4) verifyIcmpv6Checksum('::', 'ff02::1', b);
    }),
    { numRuns: 5000 },
  );
  // Mutations of a real NS explore deeper than uniform noise.
  const ns = ipOf('ndisc6-ns').payload;
  fc.assert(
    fc.property(fc.nat(ns.length - 1), fc.nat(255), fc.nat(ns.length), (at, v, cut) => {
      const b = Buffer.from(ns);
      b[at] = v;
      decodeCode(() => decodeNdp(b.subarray(0, cut)));
    }),
    { numRuns: 5000 },
  );
});
