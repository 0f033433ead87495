import { isDeepStrictEqual } from 'node:util';
import t from 'tap';
import fc from 'fast-check';
import { BgpStreamReader } from '../../../src/bgp/messages/reader.js';
import { encodeMessage, type DecodeContext, type MessageVerdict } from '../../../src/bgp/messages/message.js';
import { encodeKeepalive } from '../../../src/bgp/messages/keepalive.js';
import { encodeRouteRefresh } from '../../../src/bgp/messages/route-refresh.js';
import { encodeNotification } from '../../../src/bgp/messages/notification.js';
import { encodeOpen } from '../../../src/bgp/messages/open.js';
import { encodeUpdate } from '../../../src/bgp/messages/update.js';
import { chunksArb, contextArb, cut, messageArb } from '../support/arbitraries.js';
import { prefix } from '../support/prefix.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const MARKER = 'ffffffffffffffffffffffffffffffff';

function drain(r: BgpStreamReader): MessageVerdict[] {
  const out: MessageVerdict[] = [];
  for (let v = r.next(); v; v = r.next()) out.push(v);
  return out;
}

function readAll(chunks: Buffer[], ctx?: DecodeContext): MessageVerdict[] {
  const r = new BgpStreamReader(ctx);
  const out: MessageVerdict[] = [];
  for (const c of chunks) {
    r.push(c);
    out.push(...drain(r));
  }
  return out;
}

/** A verdict is well-formed when it is one of the two shapes with sane wire values. */
function wellFormed(v: MessageVerdict): boolean {
  if (v.kind === 'message') return typeof v.message.type === 'string' && ['ok', 'attribute-discard', 'treat-as-withdraw'].includes(v.handling);
  const e = v.error;
  return (
    Number.isInteger(e.code) && e.code >= 1 && e.code <= 7 && Number.isInteger(e.subcode) && e.subcode >= 0 && e.subcode <= 255 &&
    Buffer.isBuffer(e.data) && e.handling === 'session-reset' && e.reason.length > 0 && !e.reason.startsWith('internal')
  );
}

t.test('a stream cut at every single point gives the same verdicts', async (t) => {
  const ctx: DecodeContext = { fourOctetAs: true, ibgp: false, maxLength: 4096 };
  const stream = Buffer.concat([
    encodeOpen({ type: 'open', version: 4, myAs: 65001, holdTime: 90, bgpId: '192.0.2.1', parameters: [{ capabilities: [{ kind: 'route-refresh' }] }] }),
    encodeKeepalive(),
    encodeUpdate({ type: 'update', withdrawn: [], attributes: [{ kind: 'origin', origin: 0 }, { kind: 'as-path', segments: [{ type: 2, asns: [65001] }] }, { kind: 'next-hop', nextHop: '192.0.2.1' }], nlri: [prefix('198.51.100.1/32')] }, ctx),
    encodeRouteRefresh({ afi: 1, safi: 1 }),
    encodeNotification({ code: 6, subcode: 2, data: Buffer.alloc(0) }),
  ]);
  const whole = readAll([stream], ctx);
  t.same(whole.map((v) => (v.kind === 'message' ? v.message.type : 'error')), ['open', 'keepalive', 'update', 'route-refresh', 'notification']);
  for (let i = 0; i <= stream.length; i++) {
    const split = readAll([stream.subarray(0, i), stream.subarray(i)], ctx);
    if (!isDeepStrictEqual(split, whole)) t.fail(`cut at ${i} changed the verdicts`);
  }
  const byteByByte = readAll([...stream].map((b) => Buffer.from([b])), ctx);
  t.same(byteByByte, whole, 'one byte at a time');
});

t.test('the decode context can change between messages of one chunk', async (t) => {
  const four: DecodeContext = { fourOctetAs: true, ibgp: false, maxLength: 4096 };
  const update = encodeUpdate({ type: 'update', withdrawn: [], attributes: [{ kind: 'origin', origin: 0 }, { kind: 'as-path', segments: [{ type: 2, asns: [100000] }] }, { kind: 'next-hop', nextHop: '192.0.2.1' }], nlri: [prefix('198.51.100.1/32')] }, four);
  const r = new BgpStreamReader();
  r.push(Buffer.concat([encodeKeepalive(), update]));
  t.match(r.next(), { kind: 'message', message: { type: 'keepalive' } });
  r.context = four;
  t.match(r.next(), { kind: 'message', handling: 'ok', message: { attributes: [{}, { segments: [{ asns: [100000] }] }] } });
  t.equal(r.next(), undefined);
});

t.test('framing errors (RFC 4271 6.1) stop the reader', async (t) => {
  const cases: Array<[string, Buffer, number, number, string]> = [
    ['marker not all ones', hex(`${MARKER.slice(0, 30)}fe 0013 04`), 1, 1, ''],
    ['length under 19', hex(`${MARKER} 0012 04`), 1, 2, '0012'],
    ['length over 4096', hex(`${MARKER} 1001 02`), 1, 2, '1001'],
    ['unknown type', hex(`${MARKER} 0013 09`), 1, 3, '09'],
    ['KEEPALIVE of 20 bytes', hex(`${MARKER} 0014 04 00`), 1, 2, '0014'],
    ['OPEN of 28 bytes', hex(`${MARKER} 001c 01 ${'00'.repeat(9)}`), 1, 2, '001c'],
    ['ROUTE-REFRESH of 24 bytes', hex(`${MARKER} 0018 05 0001 00 01 00`), 7, 1, `${MARKER}00180500010001` + '00'],
  ];
  for (const [name, wire, code, subcode, data] of cases) {
    const r = new BgpStreamReader();
    r.push(Buffer.concat([wire, encodeKeepalive()]));
    const v = r.next();
    t.match(v, { kind: 'error', error: { code, subcode } }, name);
    if (v?.kind === 'error') t.equal(v.error.data.toString('hex'), data, `${name}: data`);
    t.equal(r.next(), undefined, `${name}: nothing after the error`);
    t.ok(r.isStopped);
  }
  const r = new BgpStreamReader();
  r.push(hex(`${MARKER} 0014 03 06`));
  t.match(r.next(), { kind: 'error', messageType: 3 }, 'a broken NOTIFICATION is marked as one, so it is not answered');
});

t.test('a message of exactly 4096 bytes is accepted; extended length needs negotiation', async (t) => {
  const ctx: DecodeContext = { fourOctetAs: true, ibgp: false, maxLength: 4096 };
  const data = Buffer.alloc(4096 - 21, 0xab);
  const big = encodeNotification({ code: 6, subcode: 0, data });
  t.equal(big.length, 4096);
  t.match(readAll([big], ctx), [{ kind: 'message', message: { type: 'notification', data } }]);
});

t.test('fuzz: random bytes never throw and every verdict is well-formed', async () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, withMarker) => {
      const buf = withMarker ? Buffer.concat([Buffer.alloc(16, 0xff), Buffer.from(bytes)]) : Buffer.from(bytes);
      return readAll([buf]).every(wellFormed);
    }),
    { numRuns: 3000 },
  );
});

t.test('fuzz: mutated valid streams in random chunks never throw; verdicts stay well-formed', async () => {
  const streamArb = contextArb.chain((ctx) =>
    fc.tuple(fc.constant(ctx), fc.array(messageArb(ctx), { minLength: 1, maxLength: 4 }).map((ms) => Buffer.concat(ms.map((m) => encodeMessage(m, ctx))))),
  );
  fc.assert(
    fc.property(
      streamArb.chain(([ctx, buf]) =>
        fc.tuple(
          fc.constant(ctx),
          fc.constant(buf),
          fc.array(fc.tuple(fc.nat(buf.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
          fc.nat(buf.length),
          chunksArb(buf.length),
        ),
      ),
      ([ctx, buf, flips, truncate, cuts]) => {
        const mutated = Buffer.from(buf);
        for (const [i, v] of flips) mutated[i] = v;
        const input = mutated.subarray(0, Math.max(truncate, 1));
        const verdicts = readAll(cut(input, cuts.filter((c) => c <= input.length)), ctx);
        return verdicts.every(wellFormed);
      },
    ),
    { numRuns: 3000 },
  );
});

t.test('unmutated valid streams decode to exactly their messages', async () => {
  fc.assert(
    fc.property(
      contextArb.chain((ctx) => fc.tuple(fc.constant(ctx), fc.array(messageArb(ctx), { minLength: 1, maxLength: 5 }))),
      fc.array(fc.nat(), { maxLength: 6 }),
      ([ctx, ms], rawCuts) => {
        const buf = Buffer.concat(ms.map((m) => encodeMessage(m, ctx)));
        const cuts = rawCuts.map((c) => c % (buf.length + 1)).sort((a, b) => a - b);
        const verdicts = readAll(cut(buf, cuts), ctx);
        return verdicts.length === ms.length && verdicts.every((v, i) => v.kind === 'message' && v.handling === 'ok' && encodeMessage(v.message, ctx).equals(encodeMessage(ms[i]!, ctx)));
      },
    ),
    { numRuns: 1000 },
  );
});
