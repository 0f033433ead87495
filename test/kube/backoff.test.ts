import t from 'tap';
import { backoffDelay, sleep, validateBackoff } from '../../src/kube/backoff.js';
import { VirtualClock } from '../../src/util/clock.js';

t.test('delays grow by the factor, stop at the cap, and jitter downward only', async (t) => {
  const p = { initialMs: 100, maxMs: 1000 };
  t.same([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, p, () => 0)), [100, 200, 400, 800, 1000, 1000]);
  t.same([0, 1, 4].map((a) => backoffDelay(a, p, () => 1)), [50, 100, 500], 'default jitter: at most half the delay off');
  t.equal(backoffDelay(2, { ...p, factor: 3, jitter: 0 }, () => 0.9), 900);
  t.equal(backoffDelay(-1, p, () => 0), 100, 'negative attempts count as the first');
  for (let a = 0; a < 50; a++) {
    const d = backoffDelay(a, p, Math.random);
    t.ok(d >= 50 && d <= 1000, `attempt ${a}: ${d}`);
  }
});

t.test('policies are validated', async (t) => {
  t.throws(() => validateBackoff({ initialMs: 0, maxMs: 10 }));
  t.throws(() => validateBackoff({ initialMs: 20, maxMs: 10 }));
  t.throws(() => validateBackoff({ initialMs: 1, maxMs: 10, factor: 0.5 }));
  t.throws(() => validateBackoff({ initialMs: 1, maxMs: 10, jitter: 2 }));
  t.doesNotThrow(() => validateBackoff({ initialMs: 1, maxMs: 1, factor: 1, jitter: 0 }));
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
