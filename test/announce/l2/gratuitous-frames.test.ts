import fc from 'fast-check';
import t from 'tap';

import { gratuitousArpFrames } from '../../../src/announce/l2/arp-responder.js';
import { decodeEthernet } from '../../../src/announce/l2/ethernet.js';
import { GratuitousFrames, protocolOfCanonical, ROUND_FRAMES } from '../../../src/announce/l2/gratuitous-frames.js';
import { decodeIpv6, encodeIpv6, fillIcmpv6Checksum, NEXT_HEADER_ICMPV6 } from '../../../src/announce/l2/ipv6.js';
import { icmpv6Checksum, verifyIcmpv6Checksum } from '../../../src/announce/l2/ndp.js';
import { unsolicitedNaFrame } from '../../../src/announce/l2/ndp-responder.js';
import { formatIPv4, formatIPv6 } from '../../../src/net/index.js';
import { unwrap } from '../../support/decoded.js';

const MACS = ['02:00:00:00:00:01', '02:aa:bb:cc:dd:ee'];
const v4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => formatIPv4(Buffer.from(b)));
const v6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIPv6(Buffer.from(b)));

t.test('rewritten frames are byte for byte the frames built from scratch', (t) => {
  const frames = new GratuitousFrames();
  // One instance over many addresses, families and MACs in turn: nothing of
  // the address before may leak into the next frame.
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.oneof(v4, v6), fc.constantFrom(...MACS)), { minLength: 1, maxLength: 20 }), (cases) => {
      for (const [ip, mac] of cases) {
        const protocol = protocolOfCanonical(ip);
        const expected = protocol === 'arp' ? gratuitousArpFrames(mac, ip) : [unsolicitedNaFrame(mac, ip)];
        t.equal(expected.length, ROUND_FRAMES[protocol]);
        expected.forEach((want, i) => {
          if (!frames.write(protocol, mac, ip, i).equals(want)) throw new Error(`${protocol} frame ${i} for ${ip} from ${mac} differs`);
        });
      }
    }),
  );
  t.end();
});

t.test('a rewritten NA carries a valid checksum', (t) => {
  const frames = new GratuitousFrames();
  for (const ip of ['2001:db8::1', '2001:db8:1::ffff', 'fe80::1', '::1']) {
    const packet = unwrap(decodeIpv6(unwrap(decodeEthernet(frames.write('ndp', MACS[0]!, ip, 0))).payload));
    t.equal(packet.src, ip);
    t.ok(verifyIcmpv6Checksum(packet.src, packet.dst, packet.payload), `checksum for ${ip}`);
  }
  t.end();
});

t.test('a frame is reused: writing the next one changes it', (t) => {
  const frames = new GratuitousFrames();
  const first = frames.write('arp', MACS[0]!, '192.0.2.1', 0);
  const copy = Buffer.from(first);
  const second = frames.write('arp', MACS[0]!, '192.0.2.2', 0);
  t.equal(second, first, 'the same buffer');
  t.notSame(second, copy);
  t.end();
});

t.test('there is no frame past a round', (t) => {
  const frames = new GratuitousFrames();
  t.throws(() => frames.write('ndp', MACS[0]!, '2001:db8::1', 1), RangeError);
  t.throws(() => frames.write('arp', MACS[0]!, '192.0.2.1', 2), RangeError);
  t.end();
});

t.test('fillIcmpv6Checksum agrees with icmpv6Checksum, odd lengths included', (t) => {
  fc.assert(
    fc.property(v6, v6, fc.uint8Array({ minLength: 4, maxLength: 41 }), (src, dst, body) => {
      const packet = encodeIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: NEXT_HEADER_ICMPV6, hopLimit: 255, src, dst, payload: Buffer.from(body) });
      const frame = Buffer.concat([Buffer.alloc(14), packet]);
      fillIcmpv6Checksum(frame, 14);
      return frame.readUInt16BE(14 + 40 + 2) === icmpv6Checksum(src, dst, Buffer.from(body));
    }),
  );
  t.end();
});

t.test('protocolOfCanonical', (t) => {
  t.equal(protocolOfCanonical('192.0.2.1'), 'arp');
  t.equal(protocolOfCanonical('2001:db8::1'), 'ndp');
  t.equal(protocolOfCanonical('::ffff:192.0.2.1'), 'ndp');
  t.end();
});
