// The ready flag's pure parts: what the metadata says, what a hold of the
// layer-2 guard means for the warm-up, and the warm-up's steps.
import t from 'tap';
import { initialWarmUp, readyFromMeta, stepWarmUp, warmUpEvent, withReadiness, withReady, type WarmUpEvent, type WarmUpState } from '../../src/speaker/readiness.js';
import type { Hold } from '../../src/speaker/view-freshness.js';

t.test('the flag in the metadata', async (t) => {
  t.equal(readyFromMeta(undefined), true, 'no metadata: ready');
  t.equal(readyFromMeta({ version: '0.1.0' }), true, 'a member from before the flag: ready');
  t.equal(readyFromMeta({ ready: '1' }), true);
  t.equal(readyFromMeta({ ready: '0' }), false);
  t.same(withReady({ version: 'v', 'label:rack': 'a' }, false), { version: 'v', 'label:rack': 'a', ready: '0' }, 'the rest is kept');
  t.same(withReadiness([{ name: 'a', state: 'alive', meta: { ready: '0' } }, { name: 'b', state: 'dead', meta: {} }]), [
    { name: 'a', state: 'alive', ready: false },
    { name: 'b', state: 'dead', ready: true },
  ]);
});

const hold = (cause: Hold['cause'], awaiting: string[] = []): Hold => ({ cause, since: 0, deadline: 10_000, kept: new Set(), awaiting: new Set(awaiting), heard: false, epoch: 1 });

t.test('what a hold means for the warm-up', async (t) => {
  t.same(warmUpEvent(undefined), { type: 'fresh' }, 'no hold: the view is fresh');
  t.same(warmUpEvent(hold('start-up')), { type: 'stale' }, 'start-up');
  t.same(warmUpEvent(hold('alone', ['b', 'c'])), { type: 'stale' }, 'every other member lost');
  t.same(warmUpEvent(hold('link-return', ['b'])), { type: 'stale' }, 'a link back after members were lost: the others lost us too');
  t.equal(warmUpEvent(hold('link-return')), undefined, 'a link back before anyone was lost: the others never noticed');
});

function steps(delay: number, events: [number, WarmUpEvent][]): { ready: boolean; wakeAt: number | undefined }[] {
  let s: WarmUpState = initialWarmUp(delay);
  return events.map(([now, e]) => {
    const step = stepWarmUp(s, e, now);
    s = step.state;
    return { ready: s.ready, wakeAt: step.wakeAt };
  });
}

t.test('the warm-up', async (t) => {
  const stale = { type: 'stale' } as const;
  const fresh = { type: 'fresh' } as const;
  const tick = { type: 'tick' } as const;
  t.equal(initialWarmUp(10_000).ready, false, 'a member starts not ready');
  t.equal(initialWarmUp(0).ready, true, 'without a delay, ready from the start');
  t.same(
    steps(1000, [
      [0, stale],
      [50, fresh],
      [500, tick],
      [1050, tick],
    ]),
    [
      { ready: false, wakeAt: undefined },
      { ready: false, wakeAt: 1050 },
      { ready: false, wakeAt: 1050 },
      { ready: true, wakeAt: undefined },
    ],
    'ready the delay after the view turned fresh',
  );
  t.same(
    steps(1000, [
      [0, fresh],
      [600, fresh],
      [1000, tick],
    ]).map((s) => s.ready),
    [false, false, true],
    'fresh again without a cut between keeps the first start',
  );
  t.same(
    steps(1000, [
      [0, fresh],
      [900, stale],
      [1000, tick],
      [1200, fresh],
      [2199, tick],
      [2200, tick],
    ]),
    [
      { ready: false, wakeAt: 1000 },
      { ready: false, wakeAt: undefined },
      { ready: false, wakeAt: undefined },
      { ready: false, wakeAt: 2200 },
      { ready: false, wakeAt: 2200 },
      { ready: true, wakeAt: undefined },
    ],
    'a cut during the warm-up starts it again from the next fresh view',
  );
  t.same(
    steps(1000, [
      [0, fresh],
      [1000, tick],
      [5000, stale],
    ]).map((s) => s.ready),
    [false, true, false],
    'a ready member cut off is not ready any more',
  );
  t.same(
    steps(0, [
      [0, stale],
      [10, fresh],
    ]).map((s) => s.ready),
    [true, true],
    'a delay of 0: always ready',
  );
  for (const bad of [-1, 1.5, Number.NaN, 3_600_001]) t.throws(() => initialWarmUp(bad), RangeError, `delay ${bad} refused`);
});
