import t from 'tap';
import { backoffDelay, exponentialDelay, validateBackoff } from '../../src/util/backoff.js';

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

t.test('the exponential part alone: a table of growth, cap and overflow', async (t) => {
  const table: Array<[number, { initialMs: number; maxMs: number; factor?: number }, number]> = [
    [0, { initialMs: 250, maxMs: 10_000 }, 250],
    [3, { initialMs: 250, maxMs: 10_000 }, 2000],
    [6, { initialMs: 250, maxMs: 10_000 }, 10_000],
    [2, { initialMs: 100, maxMs: 10_000, factor: 1.5 }, 225],
    [5, { initialMs: 100, maxMs: 10_000, factor: 1 }, 100],
    [-3, { initialMs: 100, maxMs: 10_000 }, 100],
    [5000, { initialMs: 1, maxMs: 3_600_000 }, 3_600_000],
  ];
  for (const [attempt, p, want] of table) t.equal(exponentialDelay(attempt, p), want, `attempt ${attempt} of ${JSON.stringify(p)}`);
});
