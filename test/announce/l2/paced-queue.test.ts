// The rate bound behind reassert(): at most `batch` keys per interval, the
// first batch at once, each waiting key once.
import t from 'tap';
import { PacedQueue } from '../../../src/announce/l2/paced-queue.js';
import { VirtualClock } from '../../../src/util/clock.js';

t.test('batches at most `batch` keys per interval, each waiting key once', async (t) => {
  const clock = new VirtualClock();
  const sent: string[] = [];
  const q = new PacedQueue(clock, 3, 100, (k) => sent.push(`${clock.now()}:${k}`));
  q.add(['a', 'b', 'c', 'd', 'a', 'e', 'f', 'g']);
  t.same(sent, ['0:a', '0:b', '0:c'], 'the first batch at once');
  q.add(['d', 'h']);
  t.equal(q.size, 5, 'd is waiting already');
  clock.advance(100);
  clock.advance(100);
  t.same(sent.slice(3), ['100:d', '100:e', '100:f', '200:g', '200:h'], 'then a batch per interval');
  clock.advance(50);
  q.add(['i']);
  t.same(sent.at(-1), '200:h', 'added within the interval after a batch: waits for it');
  clock.advance(50);
  t.same(sent.at(-1), '300:i');
  clock.advance(500);
  t.equal(clock.pending, 0, 'idle: no timer');
  q.add(['j']);
  t.same(sent.at(-1), '800:j', 'idle: at once');
  q.add(['k']);
  q.clear();
  clock.advance(1000);
  t.same(sent.at(-1), '800:j', 'clear() drops what waits');
  t.equal(clock.pending, 0);
});

t.test('a send() that adds keys does not start a second batch', async (t) => {
  const clock = new VirtualClock();
  const sent: string[] = [];
  const q: PacedQueue = new PacedQueue(clock, 1, 10, (k) => {
    sent.push(k);
    if (k === 'a') q.add(['b']);
  });
  q.add(['a']);
  t.same(sent, ['a']);
  clock.advance(10);
  t.same(sent, ['a', 'b']);
});

t.test('options are checked', async (t) => {
  const clock = new VirtualClock();
  t.throws(() => new PacedQueue(clock, 0, 10, () => {}), /batch must be a positive integer, got 0/);
  t.throws(() => new PacedQueue(clock, 1.5, 10, () => {}), /batch/);
  t.throws(() => new PacedQueue(clock, 1, 0, () => {}), /intervalMs must be a positive number of ms/);
  t.throws(() => new PacedQueue(clock, 1, Infinity, () => {}, 'reassert'), /reassertIntervalMs/);
});
