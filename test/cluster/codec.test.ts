import fc from 'fast-check';
import t from 'tap';
import {
  decodeMessage,
  decodePacket,
  decodeStreamMessage,
  encodeMessage,
  encodePacket,
  encodeStreamMessage,
  pushPullSize,
  MAX_NAME_BYTES,
} from '../../src/cluster/codec.js';
import { Keyring, SEAL_OVERHEAD, sealedHeader } from '../../src/cluster/keyring.js';
import type { Message } from '../../src/cluster/messages.js';

const samples: Message[] = [
  { type: 'ping', seq: 1, target: 'node-b', sourceHost: '192.0.2.1', sourcePort: 7946, sourceName: 'node-a' },
  { type: 'indirect-ping', seq: 0xffffffff, target: 'node-c', targetHost: '2001:db8::3', targetPort: 65535, wantNack: true, sourceHost: '192.0.2.1', sourcePort: 1, sourceName: 'node-a' },
  { type: 'ack', seq: 0 },
  { type: 'nack', seq: 42 },
  { type: 'suspect', incarnation: 7, node: 'node-b', from: 'node-a' },
  { type: 'alive', incarnation: 3, node: 'node-b', host: '192.0.2.2', port: 7946, meta: { node: 'node-b', version: '0.1.0', 'topology.kubernetes.io/zone': 'a' } },
  { type: 'alive', incarnation: 0, node: 'n', host: '2001:db8::2', port: 7946, meta: {} },
  { type: 'dead', incarnation: 9, node: 'node-b', from: 'node-b' },
  {
    type: 'push-pull',
    join: true,
    members: [
      { name: 'node-a', host: '192.0.2.1', port: 7946, incarnation: 1, state: 'alive', meta: { version: '0.1.0' } },
      { name: 'node-b', host: '192.0.2.2', port: 7946, incarnation: 2, state: 'suspect', meta: {} },
      { name: 'node-c', host: '2001:db8::3', port: 7946, incarnation: 3, state: 'dead', meta: {} },
      { name: 'node-d', host: '192.0.2.4', port: 7946, incarnation: 4, state: 'left', meta: {} },
    ],
  },
];

t.test('every message type round-trips', async (t) => {
  for (const m of samples) {
    const d = decodeMessage(encodeMessage(m));
    t.ok(d.ok, `${m.type} decodes`);
    if (d.ok) t.same(d.value, m, `${m.type} is unchanged`);
  }
});

t.test('a packet carries several messages and keeps their order', async (t) => {
  const packet = encodePacket(samples.slice(0, 8).map(encodeMessage));
  const d = decodePacket(packet);
  t.ok(d.ok);
  if (d.ok) {
    t.same(d.value.messages, samples.slice(0, 8));
    t.equal(d.value.unknown, 0);
  }
});

t.test('push-pull state larger than a 64 KiB frame travels as a stream body', async (t) => {
  const members = Array.from({ length: 2000 }, (_, i) => ({ name: `node-${i}`, host: '198.51.100.7', port: 7946, incarnation: i, state: 'alive' as const, meta: { version: '0.1.0' } }));
  const body = encodeStreamMessage({ type: 'push-pull', join: false, members });
  t.ok(body.length > 65535, 'bigger than a frame');
  const d = decodeStreamMessage(body);
  t.ok(d.ok && d.value.type === 'push-pull' && d.value.members.length === 2000);
});

t.test('bad input gives a typed error, never a throw', async (t) => {
  const ping = encodeMessage(samples[0]!);
  const cases: Array<[string, Uint8Array, string]> = [
    ['empty packet', Buffer.alloc(0), 'truncated'],
    ['wrong version byte', Buffer.from([0x07, 0, 1, 0x90]), 'bad-version'],
    ['frame length cut short', Buffer.from([0x01, 0x00]), 'truncated'],
    ['frame longer than the packet', Buffer.concat([Buffer.from([0x01, 0x00, 0xff]), ping]), 'truncated'],
    ['zero-length frame', Buffer.from([0x01, 0x00, 0x00]), 'malformed'],
    ['message cut in the middle', encodePacket([ping]).subarray(0, 10), 'truncated'],
  ];
  for (const [what, buf, code] of cases) {
    const d = decodePacket(buf);
    t.notOk(d.ok, what);
    if (!d.ok) t.equal(d.error.code, code, `${what}: ${d.error.message}`);
  }
  const fields: Array<[string, unknown[], string]> = [
    ['ping with a host name instead of an IP', [1, 1, 'b', 'example.org', 7946, 'a'], 'bad-field'],
    ['port 0', [1, 1, 'b', '192.0.2.1', 0, 'a'], 'bad-field'],
    ['negative seq', [3, -1], 'bad-field'],
    ['incarnation above 32 bits', [5, 2 ** 32, 'b', 'a'], 'bad-field'],
    ['empty node name', [5, 1, '', 'a'], 'bad-field'],
    ['name too long', [5, 1, 'x'.repeat(MAX_NAME_BYTES + 1), 'a'], 'bad-field'],
    ['meta value not a string', [6, 1, 'b', '192.0.2.2', 7946, { k: 1 }], 'bad-field'],
    ['meta is an array', [6, 1, 'b', '192.0.2.2', 7946, ['x']], 'bad-field'],
    ['extra field', [4, 1, 2], 'malformed'],
    ['missing field', [7, 1, 'b'], 'malformed'],
    ['unknown member state', [8, false, [['a', '192.0.2.1', 7946, 1, 9, {}]]], 'bad-field'],
    ['unknown type', [99, 1], 'unknown-type'],
  ];
  const { Packr } = await import('msgpackr');
  const packr = new Packr({ useRecords: false });
  for (const [what, arr, code] of fields) {
    const d = decodeMessage(packr.pack(arr));
    t.notOk(d.ok, what);
    if (!d.ok) t.equal(d.error.code, code, `${what}: ${d.error.message}`);
  }
});

t.test('frames of unknown type are skipped and counted, the rest kept', async (t) => {
  const { Packr } = await import('msgpackr');
  const future = new Packr({ useRecords: false }).pack([200, 'from a newer version']);
  const d = decodePacket(encodePacket([encodeMessage(samples[2]!), future, encodeMessage(samples[3]!)]));
  t.ok(d.ok);
  if (d.ok) {
    t.equal(d.value.unknown, 1);
    t.same(d.value.messages, [samples[2], samples[3]]);
  }
});

t.test('fuzz: random bytes never throw out of the decoders', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      const withVersion = Buffer.concat([Buffer.from([0x01]), bytes]);
      for (const d of [decodePacket(bytes), decodePacket(withVersion), decodeMessage(bytes), decodeStreamMessage(withVersion)]) {
        if (!d.ok && !(d.error.code && d.error.message)) return false;
      }
      return true;
    }),
    { numRuns: 3000, seed: 20261126 },
  );
  t.pass('3000 random inputs decoded or rejected cleanly');
});

t.test('fuzz: mutations of valid packets are decoded or rejected, never thrown', async (t) => {
  const valid = encodePacket(samples.slice(0, 8).map(encodeMessage));
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.nat(valid.length),
      (flips, cut) => {
        const b = Buffer.from(valid);
        for (const [i, v] of flips) b[i] = v;
        const d = decodePacket(b.subarray(0, Math.max(1, cut)));
        if (d.ok) return d.value.messages.every((m) => typeof m.type === 'string');
        return typeof d.error.code === 'string';
      },
    ),
    { numRuns: 5000, seed: 7 },
  );
  t.pass('5000 mutated packets handled');
});

t.test('key ring: sealed packets open with any key, fail with none', async (t) => {
  const k1 = Buffer.alloc(32, 1);
  const k2 = Buffer.alloc(32, 2);
  const at = 1_700_000_000_123;
  const plain = encodePacket([encodeMessage(samples[0]!)]);
  const open = (ring: Keyring, sealed: Buffer): Buffer | undefined => ring.open(sealed)?.plain;
  const sealedWithK1 = new Keyring([k1]).seal(plain, at);
  t.equal(sealedWithK1.length, plain.length + SEAL_OVERHEAD);
  t.not(sealedWithK1.subarray(21, 21 + plain.length).toString('hex'), plain.toString('hex'), 'payload is not in clear');
  t.same(new Keyring([k2, k1]).open(sealedWithK1), { plain, sentAt: at }, 'a secondary key opens it, with the time it was sealed');
  t.equal(open(new Keyring([k2]), sealedWithK1), undefined, 'a foreign key does not');
  const tampered = Buffer.from(sealedWithK1);
  tampered[30] = tampered[30]! ^ 1;
  t.equal(open(new Keyring([k1]), tampered), undefined, 'a flipped bit fails authentication');
  const versionFlipped = Buffer.from(sealedWithK1);
  versionFlipped[0] = 0x02;
  t.equal(open(new Keyring([k1]), versionFlipped), undefined, 'the header byte is checked');
  const restamped = Buffer.from(sealedWithK1);
  restamped[8] = restamped[8]! ^ 1;
  t.equal(sealedHeader(restamped)?.sentAt, at - 1, 'the stamp reads before decryption (last bit flipped)');
  t.equal(open(new Keyring([k1]), restamped), undefined, 'but it is authenticated: a restamped packet does not open');
  t.equal(open(new Keyring([k1]), sealedWithK1.subarray(0, 40)), undefined, 'a short packet is refused');
  t.same(sealedHeader(sealedWithK1)?.nonce, sealedWithK1.subarray(9, 21), 'the nonce follows the stamp');
  const farFuture = Buffer.from(sealedWithK1);
  farFuture.writeUInt32BE(0xffff_ffff, 1);
  t.equal(sealedHeader(farFuture), undefined, 'a stamp past 2^53 ms is not a time');
  t.throws(() => new Keyring([k1]).seal(plain, -1), /non-negative/);

  const ring = new Keyring([k1]);
  ring.usePrimary(k2);
  t.same(open(new Keyring([k2]), ring.seal(plain, at)), plain, 'rotation: the new primary seals');
  t.same(open(ring, sealedWithK1), plain, 'rotation: the old key still opens');
  t.throws(() => ring.remove(k2), /primary/);
  ring.remove(k1);
  t.equal(open(ring, sealedWithK1), undefined, 'a removed key no longer opens');
  t.throws(() => new Keyring([Buffer.alloc(16)]), /32 bytes/);
  t.throws(() => Keyring.fromBase64(['c2hvcnQ=']), /key 0/);
  const b64 = Buffer.alloc(32, 5).toString('base64');
  t.same(open(new Keyring([Buffer.alloc(32, 5)]), Keyring.fromSecretText([b64]).seal(plain, at)), plain, 'a base64 32-byte key is used as it is');
  const metallbStyle = Buffer.alloc(128, 3).toString('base64');
  t.same(open(Keyring.fromSecretText([metallbStyle]), Keyring.fromSecretText([` ${metallbStyle}\n`]).seal(plain, at)), plain, 'longer secrets are hashed, the same way on every member');
  t.equal(open(new Keyring([Buffer.from(metallbStyle.slice(0, 32))]), Keyring.fromSecretText([metallbStyle]).seal(plain, at)), undefined, 'not truncated');
  t.throws(() => Keyring.fromSecretText(['  ']), /empty/);
});

t.test('push-pull size is read from the first bytes of a stream body', async (t) => {
  const member = (i: number) => ({ name: `m${i}`, host: '192.0.2.1', port: 7946, incarnation: 0, state: 'alive' as const, meta: {} });
  for (const n of [0, 15, 16, 65_535, 65_536]) {
    const body = encodeStreamMessage({ type: 'push-pull', join: n % 2 === 0, members: Array.from({ length: n }, (_, i) => member(i)) });
    t.equal(pushPullSize(body), n, `${n} members`);
    t.equal(pushPullSize(body.subarray(0, 9)), n, `${n} members, from the first 9 bytes alone`);
  }
  t.equal(pushPullSize(encodeStreamMessage({ type: 'ack', seq: 1 })), undefined, 'another message');
  t.equal(pushPullSize(Buffer.from([0x01, 0x93, 0x08, 0xc3, 0xdc, 0x01])), undefined, 'a cut header');
});
