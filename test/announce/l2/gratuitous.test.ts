import t from 'tap';

import { DEFAULT_ARP_SCHEDULE_MS, DEFAULT_NDP_SCHEDULE_MS, GratuitousScheduler, validateSchedule } from '../../../src/announce/l2/gratuitous.js';
import { VirtualClock } from '../../../src/util/clock.js';

t.test('rounds fire at their delays, the first before start returns', async (t) => {
  const clock = new VirtualClock(1000);
  const s = new GratuitousScheduler(clock);
  const at: number[] = [];
  s.start('a', [0, 250, 1000], () => at.push(clock.now() - 1000));
  t.same(at, [0], 'zero delay is synchronous');
  t.equal(s.remaining('a'), 2);
  clock.advance(5000);
  t.same(at, [0, 250, 1000]);
  t.equal(s.remaining('a'), 0);
});

t.test('cancel stops what is pending at once; restart replaces', async (t) => {
  const clock = new VirtualClock();
  const s = new GratuitousScheduler(clock);
  const fired: string[] = [];
  s.start('a', [0, 100, 200], () => fired.push(`a@${clock.now()}`));
  s.start('b', [50, 150], () => fired.push(`b@${clock.now()}`));
  clock.advance(120);
  s.cancel('a');
  clock.advance(1000);
  t.same(fired, ['a@0', 'b@50', 'a@100', 'b@150']);
  s.start('b', [10], () => fired.push(`b2@${clock.now()}`));
  s.start('b', [20], () => fired.push(`b3@${clock.now()}`));
  clock.advance(100);
  t.same(fired.slice(4), ['b3@1140'], 'only the latest schedule for a key runs');
  s.start('c', [0, 10], () => fired.push('c'));
  s.cancelAll();
  clock.advance(100);
  t.equal(fired.filter((f) => f === 'c').length, 1);
  t.equal(clock.pending, 0, 'no timer left behind');
});

t.test('a round that cancels its own key stops the schedule', async (t) => {
  const clock = new VirtualClock();
  const s = new GratuitousScheduler(clock);
  let n = 0;
  s.start('a', [0, 0, 10], () => {
    n++;
    s.cancel('a');
  });
  clock.advance(100);
  t.equal(n, 1);
});

t.test('schedules are validated', async (t) => {
  t.same(validateSchedule('x', [0, 0, 5]), [0, 0, 5]);
  t.throws(() => validateSchedule('x', []), /at least one round/);
  t.throws(() => validateSchedule('x', [0, -1]), /x\[1\]: -1/);
  t.throws(() => validateSchedule('x', [0, Infinity]), RangeError);
  t.throws(() => validateSchedule('x', [100, 50]), /comes before the previous round/);
  t.doesNotThrow(() => validateSchedule('arp', DEFAULT_ARP_SCHEDULE_MS));
  t.same(DEFAULT_NDP_SCHEDULE_MS.length, 3, 'RFC 4861 MAX_NEIGHBOR_ADVERTISEMENT');
  t.ok(DEFAULT_NDP_SCHEDULE_MS.every((d, i) => i === 0 || d - DEFAULT_NDP_SCHEDULE_MS[i - 1]! >= 1000), 'at least RetransTimer apart');
});
