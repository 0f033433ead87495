import t from 'tap';
import fc from 'fast-check';
import { bfdStates, decodeBfd, encodeBfd, receptionProblem, type BfdControlPacket } from '../../../src/bgp/bfd/packet.js';
import { unwrap } from '../../support/decoded.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const down: BfdControlPacket = {
  version: 1,
  diag: 0,
  state: 'Down',
  poll: false,
  final: false,
  controlPlaneIndependent: false,
  demand: false,
  multipoint: false,
  detectMult: 3,
  myDiscriminator: 1,
  yourDiscriminator: 0,
  desiredMinTxUs: 1_000_000,
  requiredMinRxUs: 300_000,
  requiredMinEchoRxUs: 50_000,
};

t.test('control packet bytes (RFC 5880 4.1)', async (t) => {
  const wire = hex('20 40 03 18  00000001 00000000 000f4240 000493e0 0000c350');
  t.same(encodeBfd(down), wire);
  t.same(unwrap(decodeBfd(wire)), down);
  const upPollFinal = hex('21 e8 05 18  deadbeef 00000001 000493e0 000493e0 00000000');
  t.match(unwrap(decodeBfd(upPollFinal)), { diag: 1, state: 'Up', poll: true, final: false, controlPlaneIndependent: true, detectMult: 5, myDiscriminator: 0xdeadbeef });
  t.same(encodeBfd(unwrap(decodeBfd(upPollFinal))), upPollFinal);
});

t.test('authentication sections are length-checked (RFC 5880 4.2-4.4)', async (t) => {
  const base = '20 44 03';
  const simple = hex(`${base} 1d 00000001 00000000 000f4240 000f4240 00000000  01 05 07 7077`);
  t.match(unwrap(decodeBfd(simple)), { auth: { type: 1, keyId: 7, password: Buffer.from('pw') } });
  const md5 = hex(`${base} 30 00000001 00000000 000f4240 000f4240 00000000  02 18 01 00 0000002a ${'ab'.repeat(16)}`);
  t.match(unwrap(decodeBfd(md5)), { auth: { type: 2, keyId: 1, sequence: 42 } });
  t.same(encodeBfd(unwrap(decodeBfd(md5))), md5);
  t.match(decodeBfd(hex(`${base} 2f 00000001 00000000 000f4240 000f4240 00000000  02 17 01 00 0000002a ${'ab'.repeat(15)}`)), { ok: false, error: { message: /Auth Len 23, must be 24/ } });
  t.match(decodeBfd(hex(`${base} 1b 00000001 00000000 000f4240 000f4240 00000000  01 03 07`)), { ok: false, error: { message: /simple password Auth Len 3/ } });
  t.match(decodeBfd(hex(`${base} 1a 00000001 00000000 000f4240 000f4240 00000000  01 05`)), { ok: false, error: { message: /Auth Len 5 disagrees/ } });
});

t.test('length and version rules (RFC 5880 6.8.6)', async (t) => {
  const good = encodeBfd(down);
  t.match(decodeBfd(good.subarray(0, 23)), { ok: false, error: { message: /needs at least 24/ } });
  const v2 = Buffer.from(good);
  v2[0] = 0x40;
  t.match(decodeBfd(v2), { ok: false, error: { message: /version 2/ } });
  const long = Buffer.from(good);
  long[3] = 30;
  t.match(decodeBfd(long), { ok: false, error: { message: /Length 30 over the 24 bytes/ } });
  const padded = Buffer.concat([good, Buffer.alloc(8)]);
  t.same(unwrap(decodeBfd(padded)), down, 'bytes past Length are ignored');
  t.equal(receptionProblem({ ...down, detectMult: 0 }), 'Detect Mult is zero');
  t.equal(receptionProblem({ ...down, multipoint: true }), 'Multipoint bit set');
  t.equal(receptionProblem({ ...down, myDiscriminator: 0 }), 'My Discriminator is zero');
  t.equal(receptionProblem({ ...down, state: 'Up' }), 'Your Discriminator is zero in state Up');
  t.equal(receptionProblem(down), undefined);
});

t.test('round trip and fuzz', async () => {
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const packet = fc.record({
    version: fc.constant(1),
    diag: fc.integer({ min: 0, max: 31 }),
    state: fc.constantFrom(...bfdStates),
    poll: fc.boolean(),
    final: fc.boolean(),
    controlPlaneIndependent: fc.boolean(),
    demand: fc.boolean(),
    multipoint: fc.boolean(),
    detectMult: fc.integer({ min: 0, max: 255 }),
    myDiscriminator: u32,
    yourDiscriminator: u32,
    desiredMinTxUs: u32,
    requiredMinRxUs: u32,
    requiredMinEchoRxUs: u32,
  });
  fc.assert(fc.property(packet, (p) => JSON.stringify(unwrap(decodeBfd(encodeBfd(p)))) === JSON.stringify(p)));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
      const r = decodeBfd(Buffer.from(bytes));
      return r.ok ? typeof r.value.state === 'string' : typeof r.error.message === 'string' && typeof r.error.code === 'string';
    }),
    { numRuns: 5000 },
  );
});
