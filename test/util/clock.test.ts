import t from 'tap';
import { repeat, sleep, VirtualClock } from '../../src/util/clock.js';

t.test('virtual clock fires timers in time then insertion order', async (t) => {
  const c = new VirtualClock(100);
  const seen: string[] = [];
  c.setTimeout(() => seen.push('b@20'), 20);
  c.setTimeout(() => seen.push('a@10'), 10);
  c.setTimeout(() => seen.push('c@20'), 20);
  const cancelled = c.setTimeout(() => seen.push('never'), 15);
  c.clearTimeout(cancelled);
  c.advance(19);
  t.same(seen, ['a@10']);
  t.equal(c.now(), 119);
  c.advance(1);
  t.same(seen, ['a@10', 'b@20', 'c@20']);
  t.equal(c.nextAt(), undefined);
});

t.test('timers scheduled from a firing timer run within the same advance', async (t) => {
  const c = new VirtualClock();
  const at: number[] = [];
  const tick = (): void => {
    at.push(c.now());
    if (at.length < 5) c.setTimeout(tick, 10);
  };
  c.setTimeout(tick, 10);
  c.advance(100);
  t.same(at, [10, 20, 30, 40, 50]);
});

t.test('many timers keep heap order', async (t) => {
  const c = new VirtualClock();
  const fired: number[] = [];
  const delays = Array.from({ length: 500 }, (_, i) => (i * 7919) % 1000);
  for (const d of delays) c.setTimeout(() => fired.push(d), d);
  c.advance(1000);
  t.same(fired, [...delays].sort((a, b) => a - b));
});

t.test('clearing a fired timer is a no-op and leaks nothing', async (t) => {
  const c = new VirtualClock();
  const h = c.setTimeout(() => {}, 5);
  c.setTimeout(() => {}, 50);
  c.advance(10);
  c.clearTimeout(h);
  c.clearTimeout(h);
  t.equal(c.pending, 1, 'only the 50 ms timer is pending');
  c.advance(100);
  t.equal(c.pending, 0);
});

t.test('sleep runs on the injected clock and ends early on abort', async (t) => {
  const clock = new VirtualClock();
  let done: boolean | undefined;
  const p = sleep(clock, 1000).then((v) => { done = v; });
  clock.advance(999);
  await Promise.resolve();
  t.equal(done, undefined);
  clock.advance(1);
  await p;
  t.equal(done, true);
  const ac = new AbortController();
  const q = sleep(clock, 1000, ac.signal);
  ac.abort();
  t.equal(await q, false);
  t.equal(clock.pending, 0, 'its timer was cancelled');
  t.equal(await sleep(clock, 5, ac.signal), false, 'already aborted');
});

t.test('repeat calls every interval, the first one interval from now, until stopped', async (t) => {
  const clock = new VirtualClock();
  const at: number[] = [];
  const stop = repeat(clock, 1000, () => void at.push(clock.now()));
  clock.advance(999);
  t.same(at, [], 'not at once');
  clock.advance(2001);
  t.same(at, [1000, 2000, 3000]);
  stop();
  clock.advance(5000);
  t.same(at, [1000, 2000, 3000], 'nothing after stop()');
  t.equal(clock.pending, 0, 'no timer left behind');
  t.throws(() => repeat(clock, 0, () => {}), /interval 0: expected a positive number/);
});
