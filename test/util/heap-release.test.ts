// When the speaker and the controller ask V8 to give back committed heap:
// when what is committed is far above what was live over the last
// readings, or when no full collection has run for a while, and not again
// at once; the timer that reads and releases, on a virtual clock.
import t from 'tap';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { VirtualClock } from '../../src/util/clock.js';
import { HeapExcess, readHeap, startHeapRelease, type HeapReading } from '../../src/util/heap-release.js';

const MiB = 1048576;
const heap = (usedMiB: number, totalMiB: number): HeapReading => ({ usedBytes: usedMiB * MiB, totalBytes: totalMiB * MiB });
/** A reading with the full collections counted so far and, when given, the heap used just after the last one. */
const counted = (usedMiB: number, totalMiB: number, full: number, afterMiB?: number): HeapReading => ({ ...heap(usedMiB, totalMiB), fullCollections: full, ...(afterMiB !== undefined && { usedAfterFullBytes: afterMiB * MiB }) });
const opts = { windowReadings: 3, ratio: 2, minExcessBytes: 16 * MiB, holdOffMs: 10_000 };

t.test('a heap committed far above what is live is released; a heap in proportion is not', async (t) => {
  const e = new HeapExcess(opts);
  t.equal(e.offer(0, heap(16, 18)), false, 'steady state at 100 Services: 16 of 18 MiB');
  t.equal(e.offer(5000, heap(25, 57)), true, 'a burst over: 25 of 57 MiB');
  t.equal(e.offer(10_000, heap(25, 28)), false, 'given back');
});

t.test('the live heap is the lowest reading of the window: garbage not collected yet counts as excess', async (t) => {
  const e = new HeapExcess(opts);
  t.equal(e.offer(0, heap(18, 20)), false);
  t.equal(e.offer(5000, heap(55, 58)), true, '55 MiB used, but 18 was enough a moment ago');
  const later = new HeapExcess(opts);
  for (const [i, used] of [55, 56, 55].entries()) t.equal(later.offer(i * 5000, heap(used, 58)), false, 'all readings high: nothing says the heap is mostly garbage');
});

t.test('the heap used just after a full collection is the live estimate; 16 MiB of growth over it asks for one', async (t) => {
  const burst = new HeapExcess({ ...opts, windowReadings: 60 });
  t.equal(burst.offer(0, counted(40, 42, 1, 12)), true, '1,000 Services arrived between two readings: 42 MiB committed, 12 live after the last collection');
  const big = new HeapExcess({ ...opts, windowReadings: 60 });
  t.equal(big.offer(0, counted(32, 36, 4, 30)), false, '30 MiB live after the collection, 32 used');
  t.equal(big.offer(5000, counted(46, 50, 4, 30)), false, '16 MiB of growth: not more than minExcessBytes');
  t.equal(big.offer(10_000, counted(48, 52, 4, 30)), true, '18 MiB of growth, though in proportion: a collection says whether it is garbage');
  t.equal(big.offer(15_000, counted(47, 52, 5, 47)), false, 'it was live: 47 MiB after the collection');
  t.equal(big.offer(30_000, counted(50, 54, 5, 47)), false, 'and that is the new estimate');
});

t.test('releaseAtStart: the first reading asks for a collection, whatever it reads', async (t) => {
  const e = new HeapExcess({ ...opts, releaseAtStart: true });
  t.equal(e.offer(0, heap(16, 18)), true, 'start-up garbage, or a burst right after start: nothing says which yet');
  t.equal(e.offer(10_000, heap(16, 18)), false, 'once only');
  t.equal(new HeapExcess(opts).offer(0, heap(16, 18)), false, 'off unless asked for');
});

t.test('slackBytes: a few MiB committed over the live heap are given back, once per maxQuietMs', async (t) => {
  const e = new HeapExcess({ ...opts, windowReadings: 60, maxQuietMs: 300_000, slackBytes: 4 * MiB });
  t.equal(e.offer(0, counted(14, 24, 1)), true, 'nothing released yet and 10 MiB of slack');
  t.equal(e.offer(5000, counted(14, 16, 2)), false, 'given back');
  t.equal(e.offer(200_000, counted(15, 24, 3)), false, 'V8 collected on its own and kept its pages: 9 MiB of slack, but released 200 s ago');
  t.equal(e.offer(300_000, counted(15, 24, 3)), true, 'five minutes since the last release');
  t.equal(e.offer(600_000, counted(15, 18, 4)), false, '3 MiB of slack: left alone');
});

t.test('garbageBytes: a few MiB of garbage over the live heap ask for a collection, at most once per garbageHoldOffMs', async (t) => {
  const garbage = { ...opts, windowReadings: 60, garbageBytes: 4 * MiB, garbageHoldOffMs: 60_000 };
  const e = new HeapExcess(garbage);
  t.equal(e.offer(0, counted(14, 16, 1, 14)), false, '14 MiB live after the last collection');
  t.equal(e.offer(30_000, counted(17, 19, 1)), false, '3 MiB of garbage: left to fill');
  t.equal(e.offer(35_000, counted(18.5, 20, 1)), true, '4.5 MiB of garbage: collected before V8 lets the heap fill to its limit');
  t.equal(e.offer(40_000, counted(14.2, 16, 2)), false, 'collected');
  t.equal(e.offer(60_000, counted(18.5, 20, 2)), false, '4.3 MiB again, but 25 s after the last release');
  t.equal(e.offer(95_000, counted(18.6, 20, 2)), true, 'a minute after it');
  const off = new HeapExcess({ ...opts, windowReadings: 60 });
  t.equal(off.offer(0, counted(14, 16, 1, 14)), false);
  t.equal(off.offer(35_000, counted(18.5, 20, 1)), false, 'off unless asked for');
});

t.test('a release starts the window afresh: a heap that grew for good is not released on the old low', async (t) => {
  const e = new HeapExcess(opts);
  t.equal(e.offer(0, heap(10, 12)), false, '100 Services');
  t.equal(e.offer(5000, heap(38, 42)), true, '1,000 arrive: 42 MiB committed against 10 live a moment ago');
  t.equal(e.offer(15_000, heap(25, 30)), false, 'collected and given back: 25 MiB is what is live now');
  t.equal(e.offer(30_000, heap(35, 40)), false, 'garbage piling up again over the new low of 25, not over the old 10');
  t.equal(e.offer(35_000, heap(40, 52)), true, 'but far above the new low once more: released again');
});

t.test('both conditions: twice the live heap and more than minExcessBytes over it', async (t) => {
  t.equal(new HeapExcess(opts).offer(0, heap(4, 12)), false, '3x but only 8 MiB over');
  t.equal(new HeapExcess(opts).offer(0, heap(40, 70)), false, '30 MiB over but under 2x');
  t.equal(new HeapExcess(opts).offer(0, heap(30, 61)), true);
});

t.test('at most one release per hold-off, then again while the excess stays', async (t) => {
  const e = new HeapExcess(opts);
  t.equal(e.offer(0, heap(20, 60)), true);
  t.equal(e.offer(5000, heap(20, 60)), false, 'within the hold-off');
  t.equal(e.offer(9999, heap(20, 60)), false);
  t.equal(e.offer(10_000, heap(20, 60)), true, 'the heap was not given back: asked again');
});

t.test('no full collection for maxQuietMs: released, in proportion or not; a collection of its own restarts the wait', async (t) => {
  const quiet = { ...opts, maxQuietMs: 300_000 };
  const e = new HeapExcess(quiet);
  t.equal(e.offer(0, counted(15, 17, 3)), false, 'the first reading starts the quiet time');
  t.equal(e.offer(299_999, counted(20, 22, 3)), false, 'garbage piling up, not yet quiet for long enough');
  t.equal(e.offer(300_000, counted(20, 22, 3)), true, 'five minutes without a full collection: one is asked for');
  t.equal(e.offer(310_000, counted(20, 22, 3)), false, 'V8 did not run it: not asked again every hold-off');
  t.equal(e.offer(599_999, counted(20, 22, 3)), false);
  t.equal(e.offer(600_000, counted(20, 22, 3)), true, 'asked again a quiet time later');
  t.equal(e.offer(605_000, counted(15, 17, 4)), false, 'it ran');
  t.equal(e.offer(800_000, counted(16, 17, 5)), false, 'V8 collected on its own at 800 s...');
  t.equal(e.offer(1_099_999, counted(18, 19, 5)), false, '...so the next quiet time counts from there');
  t.equal(e.offer(1_100_000, counted(18, 19, 5)), true);
  const uncounted = new HeapExcess(quiet);
  t.equal(uncounted.offer(0, heap(15, 17)), false);
  t.equal(uncounted.offer(3_600_000, heap(20, 22)), false, 'readings that do not count collections never trip the quiet time');
});

t.test('readHeap counts full collections', async (t) => {
  const before = readHeap().fullCollections;
  t.type(before, 'number');
  // A full collection on demand, without starting the test runner with --expose-gc.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  let after = before;
  for (let i = 0; i < 100 && after === before; i++) {
    await new Promise((r) => setTimeout(r, 20)); // the observer is told after the collection, asynchronously
    after = readHeap().fullCollections;
  }
  t.ok(after! > before!, `a full collection was counted (${before} -> ${after})`);
  const r = readHeap();
  t.ok(r.usedAfterFullBytes !== undefined && r.usedAfterFullBytes > 0 && r.usedAfterFullBytes <= r.totalBytes, 'with the heap used read just after it');
});

t.test('bad settings are refused with what was given', async (t) => {
  t.throws(() => new HeapExcess({ ...opts, windowReadings: 0 }), /windowReadings >= 1.*"windowReadings":0/);
  t.throws(() => new HeapExcess({ ...opts, ratio: 1 }), /ratio > 1/);
  t.throws(() => new HeapExcess({ ...opts, garbageBytes: -1 }), /garbageBytes >= 0/);
  t.throws(() => new HeapExcess({ ...opts, garbageBytes: 4 * MiB, garbageHoldOffMs: Number.NaN }), /garbageHoldOffMs >= 0/);
});

t.test('startHeapRelease reads every interval and releases when told, until stopped', async (t) => {
  const clock = new VirtualClock();
  const readings = [heap(16, 18), heap(16, 18), heap(25, 57), heap(25, 28)];
  let reads = 0;
  let releases = 0;
  const stop = startHeapRelease(clock, () => void releases++, { intervalMs: 5000, excess: opts, read: () => readings[Math.min(reads++, readings.length - 1)]! });
  clock.advance(4999);
  t.equal(reads, 0, 'the first reading waits one interval');
  clock.advance(1);
  t.equal(reads, 1);
  clock.advance(10_000);
  t.equal(releases, 1, 'released at the third reading');
  clock.advance(10_000);
  t.equal(releases, 1, 'and not again once given back');
  stop();
  const before = reads;
  clock.advance(60_000);
  t.equal(reads, before, 'no reading after stop()');
  t.equal(clock.nextAt(), undefined, 'no timer left');
  t.throws(() => startHeapRelease(clock, () => undefined, { intervalMs: 0 }), /interval 0/);
});

t.test('readHeap reads this process: used within committed', async (t) => {
  const r = readHeap();
  t.ok(r.usedBytes > 0 && r.usedBytes <= r.totalBytes, `${r.usedBytes} of ${r.totalBytes}`);
});
