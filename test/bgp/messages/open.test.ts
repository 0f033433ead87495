import t from 'tap';
import fc from 'fast-check';
import { capabilitiesOf, decodeOpenBody, encodeOpen, type OpenMessage } from '../../../src/bgp/messages/open.js';
import { decodeMessage } from '../../../src/bgp/messages/message.js';
import { unwrap } from '../../support/decoded.js';
import { openArb } from '../support/arbitraries.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const MARKER = 'ffffffffffffffffffffffffffffffff';

t.test('OPEN with the capabilities shoal sends, byte for byte', async (t) => {
  const open: OpenMessage = {
    type: 'open',
    version: 4,
    myAs: 65001,
    holdTime: 90,
    bgpId: '192.0.2.1',
    parameters: [
      {
        capabilities: [
          { kind: 'multiprotocol', afi: 1, safi: 1 },
          { kind: 'multiprotocol', afi: 2, safi: 1 },
          { kind: 'route-refresh' },
          { kind: 'four-octet-as', asn: 65001 },
        ],
      },
    ],
  };
  const wire = hex(`${MARKER} 0033 01  04 fde9 005a c0000201 16  02 14  01 04 0001 00 01  01 04 0002 00 01  02 00  41 04 0000fde9`);
  t.same(encodeOpen(open), wire);
  const v = decodeMessage(wire);
  t.same(v, { kind: 'message', message: open, handling: 'ok', errors: [] });
});

t.test('a four-octet AS rides in the capability with AS_TRANS in My AS (RFC 6793 4.1)', async (t) => {
  const wire = hex(`${MARKER} 0025 01  04 5ba0 00b4 c0000202 08  02 06 41 04 000186a0`);
  const m = unwrap(decodeOpenBody(wire.subarray(19)));
  t.match(m, { myAs: 23456, holdTime: 180, bgpId: '192.0.2.2' });
  t.same(capabilitiesOf(m), [{ kind: 'four-octet-as', asn: 100000 }]);
});

t.test('graceful restart (RFC 4724 3) is decoded; unknown capabilities stay raw and re-encode identically', async (t) => {
  // One capability per optional parameter, as FRR sends them: GR with R and
  // N flags, 120 s, IPv4 unicast with F; then FQDN (73) and enhanced route refresh (70), unknown to the codec.
  const body = hex(`04 fde9 0003 c0000203 1c  02 0c 40 0a c078 0001 01 80 0000 0000  02 08 49 06 02 6e 31 02 6c 62  02 02 46 00`);
  const len = (19 + body.length).toString(16).padStart(4, '0');
  const wire = hex(`${MARKER} ${len} 01 ${body.toString('hex')}`);
  const v = decodeMessage(wire);
  if (v.kind !== 'message' || v.message.type !== 'open') throw new Error('not an OPEN');
  const caps = capabilitiesOf(v.message);
  t.same(caps[0], { kind: 'graceful-restart', flags: 0xc, restartTime: 120, families: [{ afi: 1, safi: 1, flags: 0x80 }, { afi: 0, safi: 0, flags: 0 }] });
  t.same(caps[1], { kind: 'unknown', code: 73, value: hex('026e31026c62') });
  t.same(caps[2], { kind: 'unknown', code: 70, value: Buffer.alloc(0) });
  t.equal(v.message.parameters.length, 3, 'grouping into parameters kept');
  t.same(encodeOpen(v.message), wire, 're-encodes to the same bytes');
});

t.test('RFC 9072 extended optional parameters length', async (t) => {
  const many = Array.from({ length: 40 }, (_, i) => ({ kind: 'unknown' as const, code: 200, value: Buffer.from([i, i, i, i, i]) }));
  const open: OpenMessage = { type: 'open', version: 4, myAs: 65001, holdTime: 9, bgpId: '192.0.2.4', parameters: [{ capabilities: many }] };
  const wire = encodeOpen(open);
  t.equal(wire[19 + 9], 255, 'non-extended length is 255');
  t.equal(wire[19 + 10], 255, 'followed by parameter type 255');
  const back = unwrap(decodeOpenBody(wire.subarray(19)));
  t.same(back, { ...open, extendedParameters: true });
  t.same(encodeOpen(back), wire);
});

t.test('structural OPEN errors carry their NOTIFICATION', async (t) => {
  const base = '04 fde9 005a c0000201';
  const cases: Array<[string, string, number, number, RegExp]> = [
    ['unsupported optional parameter type', `${base} 04 01 02 0000`, 2, 4, /type 1 is not supported/],
    ['parameters overrun', `${base} 08 02 02 0200`, 2, 0, /claim 8 bytes, the message holds 4/],
    ['parameter length overrun', `${base} 04 02 05 0200`, 2, 0, /claims 5 bytes, 2 left/],
    ['capability overrun', `${base} 04 02 02 0105`, 2, 0, /claims 5 bytes, 0 left/],
    ['multiprotocol of 3 bytes', `${base} 07 02 05 0103 000100`, 2, 0, /multiprotocol value is 3 bytes/],
    ['route refresh with a value', `${base} 05 02 03 020100`, 2, 0, /must be empty/],
    ['graceful restart of 5 bytes', `${base} 09 02 07 4005 0078000101`, 2, 0, /2 \+ 4n/],
  ];
  for (const [name, body, code, subcode, reason] of cases) {
    const m = decodeOpenBody(hex(body));
    t.match(m, { ok: false, error: { code, subcode, handling: 'session-reset', reason } }, name);
  }
});

t.test('any OPEN survives encode, decode, encode unchanged', async () => {
  fc.assert(
    fc.property(openArb, (open) => {
      const wire = encodeOpen(open);
      const back = decodeOpenBody(wire.subarray(19));
      return back.ok && encodeOpen(back.value).equals(wire);
    }),
    { numRuns: 500 },
  );
});
