import t from 'tap';
import { Awareness } from '../../src/cluster/awareness.js';
import { BroadcastQueue } from '../../src/cluster/broadcast-queue.js';
import { Suspicion } from '../../src/cluster/suspicion.js';
import { pushPullInterval, retransmitLimit, scaleByHealth, suspicionMinTimeout, suspicionTimeout } from '../../src/cluster/timing.js';
import { VirtualClock } from '../../src/util/clock.js';

t.test('suspicion minimum grows with log10 of the cluster size', async (t) => {
  const rows: Array<[number, number, number, number]> = [
    // mult, members, interval, expected ms
    [4, 1, 1000, 4000],
    [4, 10, 1000, 4000],
    [4, 100, 1000, 8000],
    [4, 1000, 1000, 12000],
    [2, 100, 100, 400],
  ];
  for (const [mult, n, iv, want] of rows) t.equal(suspicionMinTimeout(mult, n, iv), want, `mult ${mult}, n ${n}`);
});

t.test('Lifeguard timeout falls from max to min as confirmations arrive', async (t) => {
  t.equal(suspicionTimeout(1000, 6000, 3, 0), 6000, 'no confirmation: max');
  t.equal(suspicionTimeout(1000, 6000, 3, 1), 3500, 'one of three: log(2)/log(4) of the way');
  t.equal(suspicionTimeout(1000, 6000, 3, 2), 2037);
  t.equal(suspicionTimeout(1000, 6000, 3, 3), 1000, 'all expected: min');
  t.equal(suspicionTimeout(1000, 6000, 3, 10), 1000, 'never below min');
  t.equal(suspicionTimeout(1000, 6000, 0, 0), 1000, 'no confirmations expected: min at once');
});

t.test('retransmit limit, push-pull scaling, health scaling', async (t) => {
  t.equal(retransmitLimit(4, 1), 4);
  t.equal(retransmitLimit(4, 9), 4);
  t.equal(retransmitLimit(4, 10), 8);
  t.equal(retransmitLimit(4, 100), 12);
  t.equal(pushPullInterval(30000, 32), 30000);
  t.equal(pushPullInterval(30000, 64), 60000);
  t.equal(pushPullInterval(30000, 1000), 180000);
  t.equal(scaleByHealth(500, 0), 500);
  t.equal(scaleByHealth(500, 3), 2000);
});

t.test('awareness stays within 0..max-1', async (t) => {
  const a = new Awareness(8);
  t.equal(a.applyDelta(-1), 0);
  t.equal(a.applyDelta(3), 3);
  t.equal(a.applyDelta(100), 7);
  t.equal(new Awareness(1).applyDelta(5), 0, 'max 1 disables it');
});

t.test('a suspicion fires at max alone, sooner with confirmations', async (t) => {
  const clock = new VirtualClock();
  let firedAt = -1;
  const s = new Suspicion(clock, 'a', 1000, 6000, 3, false, () => (firedAt = clock.now()));
  clock.advance(1000);
  t.ok(s.confirm('b'), 'new confirmer counts');
  t.notOk(s.confirm('b'), 'the same confirmer counts once');
  t.notOk(s.confirm('a'), 'the originator is not a confirmation');
  clock.advance(2000);
  t.equal(firedAt, -1, 'not yet at 3000 (timeout 3500)');
  clock.advance(500);
  t.equal(firedAt, 3500, 'fires at the shortened deadline');

  const c2 = new VirtualClock();
  let fired2 = -1;
  const late = new Suspicion(c2, 'a', 1000, 6000, 3, false, () => (fired2 = c2.now()));
  c2.advance(5000);
  late.confirm('b');
  late.confirm('c');
  c2.advance(0);
  t.equal(fired2, 5000, 'a deadline already passed fires at once');
  const c3 = new VirtualClock();
  let fired3 = false;
  const cancelled = new Suspicion(c3, 'a', 10, 10, 0, false, () => (fired3 = true));
  cancelled.cancel();
  c3.advance(100);
  t.notOk(fired3, 'a cancelled suspicion never fires');
});

t.test('broadcast queue: least-sent first, limited retransmits, newer replaces older', async (t) => {
  let limit = 2;
  const q = new BroadcastQueue(() => limit);
  const msg = (s: string): Buffer => Buffer.from(s);
  q.push('a', msg('a1'));
  q.push('b', msg('b1'));
  t.same(q.take(1000).map(String), ['b1', 'a1'], 'newest first among unsent');
  q.push('c', msg('c1'));
  t.same(q.take(1000).map(String), ['c1', 'b1', 'a1'], 'the unsent one goes before the once-sent');
  t.equal(q.length, 1, 'a and b reached the limit of 2 and are gone');
  q.push('c', msg('c2'));
  t.same(q.take(1000).map(String), ['c2'], 'c2 replaced c1');
  t.same(q.take(4).map(String), ['c2'], 'a budget of 4 bytes fits one 2-byte message with its 2-byte length');
  t.equal(q.length, 0);
  let done = 0;
  q.push('d', msg('dddd'), () => done++);
  t.same(q.take(5), [], 'does not fit in 5 bytes');
  limit = 1;
  t.same(q.take(100).map(String), ['dddd']);
  t.equal(done, 1, 'completion callback after the last transmit');
  q.push('e', msg('e'), () => done++);
  q.push('e', msg('e2'));
  t.equal(done, 2, 'replacement also completes the older broadcast');
  const capped = new BroadcastQueue(() => 100, 3);
  for (const k of ['1', '2', '3', '4']) capped.push(k, msg(k));
  t.equal(capped.length, 3, 'the cap bounds the queue');
});
