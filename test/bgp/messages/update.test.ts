import t from 'tap';
import fc from 'fast-check';
import { decodeUpdateBody, encodeUpdate, endOfRib, endOfRibFamily, prefixesOf, type DecodedUpdate, type UpdateMessage } from '../../../src/bgp/messages/update.js';
import type { WireDecoded, WireError } from '../../../src/bgp/messages/wire-error.js';
import { decodeMessage, type DecodeContext } from '../../../src/bgp/messages/message.js';
import { formatPrefix } from '../../../src/net/index.js';
import { contextArb, updateArb } from '../support/arbitraries.js';
import { prefix } from '../support/prefix.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const MARKER = 'ffffffffffffffffffffffffffffffff';
const ebgp4: DecodeContext = { fourOctetAs: true, ibgp: false, maxLength: 4096 };
const ibgp4: DecodeContext = { fourOctetAs: true, ibgp: true, maxLength: 4096 };
const ebgp2: DecodeContext = { fourOctetAs: false, ibgp: false, maxLength: 4096 };

/** UPDATE body from hex pieces: withdrawn routes, attributes, NLRI. */
function body(attrs: string, nlri = '', withdrawn = ''): Buffer {
  const w = hex(withdrawn);
  const a = hex(attrs);
  const head = Buffer.alloc(2);
  head.writeUInt16BE(w.length);
  const al = Buffer.alloc(2);
  al.writeUInt16BE(a.length);
  return Buffer.concat([head, w, al, a, hex(nlri)]);
}

/** An UPDATE's decoding as these tests read it: the RFC 7606 handling, the error that decided it (none when ok), the message when usable. */
function outcome(d: WireDecoded<DecodedUpdate>): { handling: string; error?: WireError; message?: UpdateMessage } {
  return d.ok ? { handling: d.value.handling, error: d.value.worst, message: d.value.message } : { handling: d.error.handling, error: d.error };
}

const ORIGIN = '40 01 01 00';
const AS_PATH = '40 02 06 02 01 0000fde9';
const NEXT_HOP = '40 03 04 c000020b';
const HOST = '20 c633640a';

t.test('eBGP IPv4 announcement with communities and large communities, byte for byte', async (t) => {
  const m: UpdateMessage = {
    type: 'update',
    withdrawn: [],
    attributes: [
      { kind: 'origin', origin: 0 },
      { kind: 'as-path', segments: [{ type: 2, asns: [65001] }] },
      { kind: 'next-hop', nextHop: '192.0.2.11' },
      { kind: 'communities', communities: [0xffffff01] },
      { kind: 'large-communities', communities: [{ global: 65001, local1: 1, local2: 2 }] },
    ],
    nlri: [prefix('198.51.100.10/32')],
  };
  const wire = hex(`${MARKER} 0046 02  0000 002a  ${ORIGIN} ${AS_PATH} ${NEXT_HOP}  c0 08 04 ffffff01  c0 20 0c 0000fde9 00000001 00000002  ${HOST}`);
  t.same(encodeUpdate(m, ebgp4), wire);
  const v = decodeMessage(wire, ebgp4);
  if (v.kind !== 'message') throw new Error(v.error.reason);
  t.equal(v.handling, 'ok');
  t.same(
    (v.message as UpdateMessage).attributes.map((a) => ({ ...a, flags: undefined })),
    m.attributes.map((a) => ({ ...a, flags: undefined })),
  );
  t.same((v.message as UpdateMessage).nlri, m.nlri);
});

t.test('iBGP IPv6 announcement in MP_REACH_NLRI with global and link-local next hops', async (t) => {
  const m: UpdateMessage = {
    type: 'update',
    withdrawn: [],
    attributes: [
      { kind: 'mp-reach', afi: 2, safi: 1, nextHops: ['2001:db8::11', 'fe80::11'], nlri: [prefix('2001:db8:0:1::10/128')] },
      { kind: 'origin', origin: 0 },
      { kind: 'as-path', segments: [] },
      { kind: 'local-pref', localPref: 200 },
    ],
    nlri: [],
  };
  const wire = hex(`${MARKER} 005e 02  0000 0047
    80 0e 36  0002 01 20 20010db8000000000000000000000011 fe800000000000000000000000000011 00 80 20010db8000000010000000000000010
    ${ORIGIN}  40 02 00  40 05 04 000000c8`);
  t.same(encodeUpdate(m, ibgp4), wire);
  const r = outcome(decodeUpdateBody(wire.subarray(19), ibgp4));
  t.equal(r.handling, 'ok');
  t.same(prefixesOf(r.message!), [prefix('2001:db8:0:1::10/128')]);
});

t.test('two-octet sessions: AS_TRANS in AS_PATH, AS4_PATH decoded (RFC 6793)', async (t) => {
  const attrs = `${ORIGIN} 40 02 04 02 01 5ba0 ${NEXT_HOP} c0 11 06 02 01 000186a0`;
  const r = outcome(decodeUpdateBody(body(attrs, HOST), ebgp2));
  t.equal(r.handling, 'ok');
  t.match(r.message!.attributes, [{ kind: 'origin' }, { kind: 'as-path', segments: [{ type: 2, asns: [23456] }] }, { kind: 'next-hop' }, { kind: 'as4-path', segments: [{ type: 2, asns: [100000] }] }]);
});

t.test('RFC 7606 handling, attribute by attribute', async (t) => {
  type Case = [name: string, body: Buffer, ctx: DecodeContext, handling: string, code?: number, subcode?: number, data?: string];
  const cases: Case[] = [
    ['ORIGIN of 2 bytes', body(`40 01 02 0000 ${AS_PATH} ${NEXT_HOP}`, HOST), ebgp4, 'treat-as-withdraw', 3, 5, '4001020000'],
    ['ORIGIN value 3', body(`40 01 01 03 ${AS_PATH} ${NEXT_HOP}`, HOST), ebgp4, 'treat-as-withdraw', 3, 6, '40010103'],
    ['ORIGIN marked optional', body(`c0 01 01 00 ${AS_PATH} ${NEXT_HOP}`, HOST), ebgp4, 'treat-as-withdraw', 3, 4, 'c0010100'],
    ['AS_PATH segment of count 0', body(`${ORIGIN} 40 02 02 0200 ${NEXT_HOP}`, HOST), ebgp4, 'treat-as-withdraw', 3, 11],
    ['AS_PATH segment type 5', body(`${ORIGIN} 40 02 06 05 01 0000fde9 ${NEXT_HOP}`, HOST), ebgp4, 'treat-as-withdraw', 3, 11],
    ['AS_PATH with a lone trailing octet', body(`${ORIGIN} 40 02 07 02 01 0000fde9 02 ${NEXT_HOP}`, HOST), ebgp4, 'treat-as-withdraw', 3, 11],
    ['NEXT_HOP of 5 bytes', body(`${ORIGIN} ${AS_PATH} 40 03 05 c000020b00`, HOST), ebgp4, 'treat-as-withdraw', 3, 5],
    ['NEXT_HOP 0.0.0.1', body(`${ORIGIN} ${AS_PATH} 40 03 04 00000001`, HOST), ebgp4, 'treat-as-withdraw', 3, 8],
    ['MED of 3 bytes', body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} 80 04 03 000001`, HOST), ebgp4, 'treat-as-withdraw', 3, 5],
    ['LOCAL_PREF from an external peer', body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} 40 05 04 00000064`, HOST), ebgp4, 'attribute-discard'],
    ['LOCAL_PREF of 2 bytes from an internal peer', body(`${ORIGIN} 40 02 00 ${NEXT_HOP} 40 05 02 0064`, HOST), ibgp4, 'treat-as-withdraw', 3, 5],
    ['ORIGINATOR_ID from an external peer', body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} 80 09 04 c0000201`, HOST), ebgp4, 'attribute-discard'],
    ['CLUSTER_LIST of 3 bytes from an internal peer', body(`${ORIGIN} 40 02 00 ${NEXT_HOP} 80 0a 03 c00002`, HOST), ibgp4, 'treat-as-withdraw', 3, 5],
    ['ATOMIC_AGGREGATE of 1 byte', body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} 40 06 01 00`, HOST), ebgp4, 'attribute-discard', 3, 5],
    ['AGGREGATOR of 6 bytes on a four-octet session', body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} c0 07 06 fde9 c0000201`, HOST), ebgp4, 'attribute-discard', 3, 5],
    ['COMMUNITIES of 3 bytes', body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} c0 08 03 ffff01`, HOST), ebgp4, 'treat-as-withdraw', 3, 5],
    ['COMMUNITIES empty', body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} c0 08 00`, HOST), ebgp4, 'treat-as-withdraw', 3, 5],
    ['LARGE_COMMUNITIES of 8 bytes', body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} c0 20 08 0000fde900000001`, HOST), ebgp4, 'treat-as-withdraw', 3, 5],
    ['AS4_PATH between four-octet speakers', body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} c0 11 06 02 01 000186a0`, HOST), ebgp4, 'attribute-discard'],
    ['malformed AS4_PATH from a two-octet speaker', body(`${ORIGIN} 40 02 04 02 01 5ba0 ${NEXT_HOP} c0 11 02 02 00`, HOST), ebgp2, 'attribute-discard', 3, 11],
    ['repeated ORIGIN', body(`${ORIGIN} ${ORIGIN} ${AS_PATH} ${NEXT_HOP}`, HOST), ebgp4, 'attribute-discard', 3, 1],
    ['ORIGIN missing', body(`${AS_PATH} ${NEXT_HOP}`, HOST), ebgp4, 'treat-as-withdraw', 3, 3, '01'],
    ['NEXT_HOP missing with classic NLRI', body(`${ORIGIN} ${AS_PATH}`, HOST), ebgp4, 'treat-as-withdraw', 3, 3, '03'],
    ['attribute overrunning the list', body(`${ORIGIN} ${AS_PATH} 40 03 09 c000020b`, HOST), ebgp4, 'treat-as-withdraw', 3, 5],
    ['two bytes left in the list', body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} 40 01`, HOST), ebgp4, 'treat-as-withdraw', 3, 1],
    ['discard and treat-as-withdraw: the worse wins', body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} 40 06 01 00 c0 08 03 ffff01`, HOST), ebgp4, 'treat-as-withdraw', 3, 5],
    ['unrecognized well-known attribute', body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} 40 63 01 00`, HOST), ebgp4, 'session-reset', 3, 2, '40630100'],
    ['MP_REACH_NLRI twice', body(`80 0e 15 0002 01 10 20010db8000000000000000000000011 00  80 0e 15 0002 01 10 20010db8000000000000000000000011 00 ${ORIGIN} ${AS_PATH}`), ebgp4, 'session-reset', 3, 1],
    ['MP_REACH_NLRI with a 5-byte IPv6 next hop', body(`80 0e 0b 0002 01 05 2001db8000 00 00 ${ORIGIN} ${AS_PATH}`), ebgp4, 'session-reset', 3, 9],
    ['MP_UNREACH_NLRI with a bad prefix', body(`80 0f 05 0002 01 81 00`), ebgp4, 'session-reset', 3, 9],
    ['withdrawn routes length overrunning', hex('0010 0000'), ebgp4, 'session-reset', 3, 1],
    ['total attribute length overrunning', hex('0000 0010 400101'), ebgp4, 'session-reset', 3, 1],
    ['NLRI with a /33', body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP}`, '21 c0000201 00'), ebgp4, 'session-reset', 3, 10],
    ['withdrawn prefix running past its field', body('', '', '20 c00002'), ebgp4, 'session-reset', 3, 10],
  ];
  for (const [name, b, ctx, handling, code, subcode, data] of cases) {
    const r = outcome(decodeUpdateBody(b, ctx));
    t.equal(r.handling, handling, `${name}: ${handling}`);
    if (code !== undefined) t.match(r.error, { code, subcode }, `${name}: NOTIFICATION ${code}/${subcode}`);
    if (data !== undefined) t.equal(r.error?.data.toString('hex'), data, `${name}: data`);
    if (handling === 'session-reset') t.equal(r.message, undefined, `${name}: nothing to act on`);
    else t.ok(r.message, `${name}: message still usable`);
  }
});

t.test('discarded attributes are left out, the rest is kept', async (t) => {
  const r = outcome(decodeUpdateBody(body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} 40 05 04 00000064 c0 08 04 ffffff01`, HOST), ebgp4));
  t.equal(r.handling, 'attribute-discard');
  t.same(r.message!.attributes.map((a) => a.kind), ['origin', 'as-path', 'next-hop', 'communities']);
  const dup = outcome(decodeUpdateBody(body(`40 01 01 02 ${ORIGIN} ${AS_PATH} ${NEXT_HOP}`, HOST), ebgp4));
  t.match(dup.message!.attributes[0], { kind: 'origin', origin: 2 }, 'the first of repeated attributes wins');
});

t.test('treat-as-withdraw names every prefix the UPDATE touched', async (t) => {
  // MP_REACH_NLRI marked transitive is malformed (RFC 7606 3(c)) but parses, so its NLRI is withdrawn too.
  const mp = 'c0 0e 1e 0002 01 10 20010db8000000000000000000000011 00 40 20010db800000001';
  const r = outcome(decodeUpdateBody(body(`${mp} ${ORIGIN} ${AS_PATH} ${NEXT_HOP}`, HOST, '18 cb0071'), ebgp4));
  t.equal(r.handling, 'treat-as-withdraw');
  t.match(r.error, { code: 3, subcode: 4 });
  t.same(prefixesOf(r.message!).map(formatPrefix), ['203.0.113.0/24', '198.51.100.10/32', '2001:db8:0:1::/64']);
});

t.test('MP attributes of families shoal does not speak are kept raw', async (t) => {
  const evpn = '80 0e 09 0019 46 04 c0000201 00';
  const r = outcome(decodeUpdateBody(body(`${evpn} ${ORIGIN} ${AS_PATH}`), ebgp4));
  t.equal(r.handling, 'ok');
  t.match(r.message!.attributes[0], { kind: 'raw', typeCode: 14, flags: 0x80 });
  t.same(encodeUpdate(r.message!, ebgp4).subarray(19), body(`${evpn} ${ORIGIN} ${AS_PATH}`));
});

t.test('unknown optional transitive attributes survive byte for byte', async (t) => {
  const b = body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} e0 63 03 010203 d0 64 0002 beef`, HOST);
  const r = outcome(decodeUpdateBody(b, ebgp4));
  t.equal(r.handling, 'ok');
  t.match(r.message!.attributes.slice(3), [{ kind: 'raw', typeCode: 99, flags: 0xe0 }, { kind: 'raw', typeCode: 100, flags: 0xd0 }]);
  t.same(encodeUpdate(r.message!, ebgp4).subarray(19), b);
});

t.test('End-of-RIB markers (RFC 4724 2)', async (t) => {
  t.equal(encodeUpdate(endOfRib(4), ebgp4).toString('hex'), `${MARKER}001702` + '00000000');
  t.equal(encodeUpdate(endOfRib(6), ebgp4).toString('hex'), `${MARKER}001d02` + '0000' + '0006' + '800f03000201');
  for (const f of [4, 6] as const) {
    const r = outcome(decodeUpdateBody(encodeUpdate(endOfRib(f), ebgp4).subarray(19), ebgp4));
    t.equal(endOfRibFamily(r.message!), f);
  }
});

t.test('any valid UPDATE decodes cleanly and re-encodes to the same bytes', async () => {
  fc.assert(
    fc.property(contextArb.chain((ctx) => fc.tuple(fc.constant(ctx), updateArb(ctx))), ([ctx, m]) => {
      const wire = encodeUpdate(m, ctx);
      const r = outcome(decodeUpdateBody(wire.subarray(19), ctx));
      if (r.handling !== 'ok') throw new Error(`${r.handling}: ${r.error?.reason}`);
      return encodeUpdate(r.message!, ctx).equals(wire);
    }),
    { numRuns: 1000 },
  );
});
