import t from 'tap';
import { backoffMs, jittered, keepaliveIntervalMs, negotiateHoldTime } from '../../../src/bgp/fsm/timers.js';
import { collisionWinner } from '../../../src/bgp/fsm/negotiate.js';

t.test('hold time negotiation (RFC 4271 4.2)', async (t) => {
  const table: Array<[number, number, number | undefined]> = [
    [90, 180, 90],
    [90, 30, 30],
    [90, 0, 0],
    [0, 90, 0],
    [90, 3, 3],
    [90, 2, undefined],
    [90, 1, undefined],
  ];
  for (const [local, peer, want] of table) t.equal(negotiateHoldTime(local, peer), want, `${local} vs ${peer}`);
});

t.test('keepalive interval', async (t) => {
  t.equal(keepaliveIntervalMs(90), 30_000);
  t.equal(keepaliveIntervalMs(3), 1000);
  t.equal(keepaliveIntervalMs(0), 0, 'no keepalives without a hold time');
  t.equal(keepaliveIntervalMs(90, 10), 10_000, 'configured');
  t.equal(keepaliveIntervalMs(9, 10), 3000, 'never above a third of a smaller negotiated hold time');
});

t.test('backoff doubles, caps, and jitters between 0.75 and 1', async (t) => {
  const policy = { minMs: 500, maxMs: 5000 };
  t.same([1, 2, 3, 4, 5, 6, 50].map((f) => backoffMs(f, policy, () => 1)), [500, 1000, 2000, 4000, 5000, 5000, 5000]);
  t.same([1, 4, 50].map((f) => backoffMs(f, policy, () => 0)), [375, 3000, 3750]);
  t.equal(jittered(1000, () => 0.5), 875);
});

t.test('collision winner: higher identifier keeps its own connection; equal identifiers compare AS (RFC 6286)', async (t) => {
  t.equal(collisionWinner({ routerId: '192.0.2.2', asn: 1 }, { routerId: '192.0.2.1', asn: 1 }), 'locally-initiated');
  t.equal(collisionWinner({ routerId: '192.0.2.1', asn: 1 }, { routerId: '192.0.2.2', asn: 1 }), 'remotely-initiated');
  t.equal(collisionWinner({ routerId: '10.0.0.1', asn: 1 }, { routerId: '9.255.255.255', asn: 1 }), 'locally-initiated', 'compared as numbers, not text');
  t.equal(collisionWinner({ routerId: '192.0.2.1', asn: 65002 }, { routerId: '192.0.2.1', asn: 65001 }), 'locally-initiated');
  t.equal(collisionWinner({ routerId: '192.0.2.1', asn: 65001 }, { routerId: '192.0.2.1', asn: 65002 }), 'remotely-initiated');
});
