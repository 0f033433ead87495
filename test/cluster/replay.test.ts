// The replay window of sealed packets, the per-second allowance of new
// members, and the reading of the kernel's UDP drop counts: small pure
// pieces of the defences in docs/gossip.md ("Gossip under attack").
import t from 'tap';
import { TokenBucket } from '../../src/cluster/rate.js';
import { ReplayWindow } from '../../src/cluster/replay.js';
import { parseProcNetUdp } from '../../src/cluster/udp-drops.js';

const nonce = (n: number): Buffer => {
  const b = Buffer.alloc(12);
  b.writeUInt32BE(n, 8);
  return b;
};

t.test('replay window: stamps within the window once each, nothing else', async (t) => {
  const w = new ReplayWindow(30_000);
  const now = 1_000_000;
  t.equal(w.check(now, nonce(1), now), 'fresh');
  w.remember(now, nonce(1), now);
  t.equal(w.check(now, nonce(1), now + 5), 'replayed', 'the same nonce again');
  t.equal(w.check(now, nonce(2), now + 5), 'fresh', 'another nonce, same stamp');
  t.equal(w.check(now - 30_000, nonce(3), now), 'fresh', 'at the old edge');
  t.equal(w.check(now - 30_001, nonce(3), now), 'too-old');
  t.equal(w.check(now + 30_000, nonce(3), now), 'fresh', 'at the new edge (a clock ahead of ours)');
  t.equal(w.check(now + 30_001, nonce(3), now), 'too-new');
  t.equal(w.check(now, nonce(1), now + 31_000), 'too-old', 'a remembered packet is refused as too old once the window has passed it');
  w.remember(now + 40_000, nonce(4), now + 40_000);
  t.equal(w.size, 1, 'nonces older than the window are forgotten');
});

t.test('replay window: bounded memory, and what it forgot early it refuses', async (t) => {
  const w = new ReplayWindow(30_000, 100);
  const now = 5_000_000;
  for (let i = 0; i < 150; i++) w.remember(now - 20_000 + i * 100, nonce(i), now);
  t.ok(w.size <= 100, `at most 100 nonces kept (${w.size})`);
  t.equal(w.check(now - 20_000, nonce(0), now), 'too-old', 'the oldest were dropped and their stamps are now too old');
  t.equal(w.check(now - 20_000 + 149 * 100, nonce(149), now), 'replayed', 'the newest are still known');
  t.throws(() => new ReplayWindow(0), /positive/);
});

t.test('token bucket: a burst, then the rate', async (t) => {
  const b = new TokenBucket(2, 3, 0);
  t.same([b.take(0), b.take(0), b.take(0), b.take(0)], [true, true, true, false], 'three saved up');
  t.equal(b.take(400), false, 'not yet a whole token');
  t.equal(b.take(500), true, 'two a second');
  t.equal(b.take(100_000), true);
  t.same([b.take(100_000), b.take(100_000), b.take(100_000)], [true, true, false], 'saves up no more than the burst');
});

t.test('/proc/net/udp rows: port, inode and drops', async (t) => {
  const text = [
    '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            ',
    '  225: 0100007F:1F0A 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 48213 2 0000000000000000 17        ',
    ' 1043: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 19283 2 0000000000000000 0         ',
    'garbage line',
  ].join('\n');
  t.same(parseProcNetUdp(text), [
    { localPort: 7946, inode: 48213, drops: 17 },
    { localPort: 68, inode: 19283, drops: 0 },
  ]);
  const v6 = '  12: 00000000000000000000000001000000:1F0A 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 5551 2 0000000000000000 3';
  t.same(parseProcNetUdp(v6), [{ localPort: 7946, inode: 5551, drops: 3 }], 'IPv6 rows too');
});
