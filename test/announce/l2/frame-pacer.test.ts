import t from 'tap';

import { FramePacer, MAX_FRAMES_PER_TURN, MAX_REFUSALS, MAX_TURN_MS, PACER_RETRY_MS, type PacedJob, type SendOutcome } from '../../../src/announce/l2/frame-pacer.js';
import { VirtualClock, type Clock, type TimerHandle } from '../../../src/util/clock.js';

/** A job of `count` frames named `${name}${i}`, sent into `log` as `name@ms`; `refuse(frame)` says what the kernel does. */
function job(clock: VirtualClock, log: string[], name: string, count: number, refuse: (frame: string) => boolean = () => false): PacedJob & { given: string[] } {
  let i = 0;
  const given: string[] = [];
  return {
    given,
    sendNext(giveUp: boolean): SendOutcome | 'done' {
      if (i >= count) return 'done';
      const frame = `${name}${i}`;
      if (giveUp) {
        given.push(frame);
        i++;
        return 'failed';
      }
      if (refuse(frame)) return 'refused';
      log.push(`${frame}@${clock.now()}`);
      i++;
      return 'sent';
    },
  };
}

const at = (entry: string): number => Number(entry.split('@')[1]);

t.test('the burst goes at once, the rest at the rate; any window holds at most burst + rate', async (t) => {
  const clock = new VirtualClock();
  const log: string[] = [];
  const pacer = new FramePacer({ clock, framesPerSecond: 1000, burst: 100, lanes: 1 });
  pacer.add(0, job(clock, log, 'a', 1100));
  t.equal(log.length, MAX_FRAMES_PER_TURN, 'the first turn of the burst, before add returns');
  clock.advance(0);
  t.equal(log.length, 100, 'the rest of the burst in the turns that follow, at the same time');
  clock.advance(2000);
  t.equal(log.length, 1100);
  t.ok(at(log.at(-1)!) <= 1000 + PACER_RETRY_MS, `1,000 frames past the burst take 1 s at 1,000/s (last at ${at(log.at(-1)!)} ms)`);
  const times = log.map(at);
  for (const windowMs of [10, 100, 1000]) {
    let worst = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[j]! < times[i]! - windowMs + 1) j++;
      worst = Math.max(worst, i - j + 1);
    }
    t.ok(worst <= 100 + windowMs, `at most ${100 + windowMs} frames in any ${windowMs} ms (saw ${worst})`);
  }
  t.equal(pacer.jobs, 0);
  t.equal(clock.pending, 0, 'no timer once idle');
});

t.test('a turn of the event loop sends at most MAX_FRAMES_PER_TURN frames; the next turn comes after pending I/O (a 0 ms timer)', async (t) => {
  // A clock stopped at 0 whose timers run one at a time, when the test says: each run is one turn.
  const timers: { fn: () => void; ms: number }[] = [];
  const clock: Clock = { now: () => 0, setTimeout: (fn, ms) => timers.push({ fn, ms }) as unknown as TimerHandle, clearTimeout: () => {} };
  const turn = (): number => {
    const next = timers.shift()!;
    t.equal(next.ms, 0, 'the next turn is a 0 ms timer');
    next.fn();
    return timers.length;
  };
  const log: string[] = [];
  const burst = MAX_FRAMES_PER_TURN * 2 + 5;
  const pacer = new FramePacer({ clock, framesPerSecond: 1000, burst, lanes: 2 });
  pacer.add(1, job(clock as VirtualClock, log, 'low', burst));
  t.equal(log.length, MAX_FRAMES_PER_TURN, 'the first turn, before add returns');
  pacer.add(0, job(clock as VirtualClock, log, 'top', 2));
  t.equal(log.length, MAX_FRAMES_PER_TURN, 'a job added while a turn is pending waits for that turn');
  turn();
  t.equal(log.length, 2 * MAX_FRAMES_PER_TURN);
  t.same(log.slice(MAX_FRAMES_PER_TURN, MAX_FRAMES_PER_TURN + 2), ['top0@0', 'top1@0'], 'a takeover queued between two turns goes first in the next');
  turn();
  t.equal(log.length, burst, 'the rest of the burst');
  t.same(timers.map((x) => x.ms), [PACER_RETRY_MS], 'then the budget is spent: the ordinary wait');
  // Skipped frames count as attempts too.
  let skipped = 0;
  timers.length = 0;
  const skipping = new FramePacer({ clock, framesPerSecond: 1000, burst: 10, lanes: 1 });
  skipping.add(0, { sendNext: () => (skipped++ < 1000 ? 'failed' : 'done') });
  t.equal(skipped, MAX_FRAMES_PER_TURN, 'a job that only skips frames is cut into turns as well');
  turn();
  t.equal(skipped, 2 * MAX_FRAMES_PER_TURN);
});

t.test('a turn also ends after MAX_TURN_MS of sending, whatever the count', async (t) => {
  // Every send takes 1 ms of this clock: a turn holds MAX_TURN_MS frames, not MAX_FRAMES_PER_TURN.
  let now = 0;
  const timers: (() => void)[] = [];
  const clock: Clock = { now: () => now, setTimeout: (fn) => timers.push(fn) as unknown as TimerHandle, clearTimeout: () => {} };
  let sent = 0;
  const slow: PacedJob = {
    sendNext: () => {
      if (sent >= 100) return 'done';
      now += 1;
      sent++;
      return 'sent';
    },
  };
  const pacer = new FramePacer({ clock, framesPerSecond: 1_000_000, burst: 1000, lanes: 1 });
  pacer.add(0, slow);
  t.ok(MAX_TURN_MS < MAX_FRAMES_PER_TURN);
  t.equal(sent, MAX_TURN_MS, 'the first turn stops once its sends took MAX_TURN_MS');
  timers.shift()!();
  t.equal(sent, 2 * MAX_TURN_MS, 'and so does the next');
  while (timers.length) timers.shift()!();
  t.equal(sent, 100, 'every frame goes in the end');
});

t.test('a lane is served only when the lanes before it are empty', async (t) => {
  const clock = new VirtualClock();
  const log: string[] = [];
  const pacer = new FramePacer({ clock, framesPerSecond: 100, burst: 2, lanes: 3 });
  pacer.add(2, job(clock, log, 'low', 3));
  t.same(log, ['low0@0', 'low1@0']);
  pacer.add(1, job(clock, log, 'mid', 2));
  pacer.add(0, job(clock, log, 'top', 2));
  clock.advance(1000);
  t.same(
    log.map((l) => l.split('@')[0]),
    ['low0', 'low1', 'top0', 'top1', 'mid0', 'mid1', 'low2'],
    'what is queued above goes first, even when the lane below started earlier',
  );
});

t.test('a refused frame is tried again after a pause, and given up after MAX_REFUSALS', async (t) => {
  const clock = new VirtualClock();
  const log: string[] = [];
  let refusals = 2;
  const pacer = new FramePacer({ clock, framesPerSecond: 1000, burst: 10, lanes: 2 });
  const a = job(clock, log, 'a', 3, (f) => f === 'a1' && refusals-- > 0);
  pacer.add(0, a);
  t.same(log, ['a0@0'], 'stops at the refusal');
  clock.advance(PACER_RETRY_MS * 3);
  t.same(log, ['a0@0', `a1@${2 * PACER_RETRY_MS}`, `a2@${2 * PACER_RETRY_MS}`], 'the same frame again, nothing lost');
  t.same(a.given, []);

  const b = job(clock, log, 'b', 2, (f) => f === 'b0');
  const c = job(clock, log, 'c', 1);
  pacer.add(1, b);
  clock.advance(PACER_RETRY_MS);
  pacer.add(0, c);
  clock.advance(PACER_RETRY_MS * (MAX_REFUSALS + 2));
  t.same(c.given, [], 'a job above that arrived meanwhile is not the one given up');
  t.same(b.given, ['b0'], 'a frame refused every time is given up');
  t.ok(log.some((l) => l.startsWith('b1@')), 'and the job goes on');
  t.ok(log.some((l) => l.startsWith('c0@')));
});

t.test('options are checked', async (t) => {
  const clock = new VirtualClock();
  t.throws(() => new FramePacer({ clock, framesPerSecond: 0, burst: 1, lanes: 1 }), /gratuitousFramesPerSecond must be a positive number, got 0/);
  t.throws(() => new FramePacer({ clock, framesPerSecond: Infinity, burst: 1, lanes: 1 }), /gratuitousFramesPerSecond/);
  t.throws(() => new FramePacer({ clock, framesPerSecond: 10, burst: 0.5, lanes: 1 }), /gratuitousBurst must be a positive integer, got 0.5/);
  const pacer = new FramePacer({ clock, framesPerSecond: 10, burst: 1, lanes: 1 });
  t.throws(() => pacer.add(1, job(clock, [], 'x', 1)), /no pacing lane 1/);
});
