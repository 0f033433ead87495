import t from 'tap';
import { WorkQueue } from '../../src/controller/workqueue.js';
import { VirtualClock } from '../../src/util/clock.js';

const backoff = { initialMs: 100, maxMs: 400, jitter: 0 };

/** A handler whose runs stay open until released, recording what ran. */
function gated(): { handler: (key: string) => Promise<void>; runs: string[]; open: Map<string, () => void>; failNext: Set<string> } {
  const runs: string[] = [];
  const open = new Map<string, () => void>();
  const failNext = new Set<string>();
  const handler = (key: string): Promise<void> =>
    new Promise((resolve, reject) => {
      runs.push(key);
      open.set(key, () => {
        open.delete(key);
        if (failNext.delete(key)) reject(new Error(`${key} failed`));
        else resolve();
      });
    });
  return { handler, runs, open, failNext };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

t.test('a key waits at most once; an add while it runs runs it once more afterwards', async (t) => {
  const g = gated();
  const q = new WorkQueue(g.handler, { concurrency: 1 });
  q.add('a');
  q.add('b');
  q.add('b');
  q.add('b');
  t.equal(q.length, 1, 'a runs, b waits once');
  t.same(g.runs, ['a']);
  q.add('a');
  q.add('a');
  t.equal(q.length, 1, 'a is marked to run again, not queued twice');
  g.open.get('a')?.();
  await tick();
  t.same(g.runs, ['a', 'b'], 'b before the second run of a (it was queued first)');
  g.open.get('b')?.();
  await tick();
  t.same(g.runs, ['a', 'b', 'a']);
  g.open.get('a')?.();
  await q.idle();
  t.same(g.runs, ['a', 'b', 'a']);
});

t.test('concurrency bounds the runs in progress, never two runs of one key', async (t) => {
  const g = gated();
  const q = new WorkQueue(g.handler, { concurrency: 2 });
  for (const k of ['a', 'b', 'c', 'd']) q.add(k);
  t.equal(q.processing, 2);
  t.same(g.runs, ['a', 'b']);
  q.add('a');
  g.open.get('b')?.();
  await tick();
  t.same(g.runs, ['a', 'b', 'c'], 'the freed slot goes to the next key, not to a second run of a');
  g.open.get('a')?.();
  await tick();
  t.same(g.runs, ['a', 'b', 'c', 'd'], 'd was queued before a came back');
  g.open.get('c')?.();
  await tick();
  t.same(g.runs, ['a', 'b', 'c', 'd', 'a']);
  g.open.get('d')?.();
  g.open.get('a')?.();
  await q.idle();
  t.throws(() => new WorkQueue(g.handler, { concurrency: 0 }), /concurrency/);
});

t.test('a failed run is retried after a per-key exponential backoff; success resets it', async (t) => {
  const clock = new VirtualClock();
  const g = gated();
  const q = new WorkQueue(g.handler, { clock, backoff });
  g.failNext.add('a');
  q.add('a');
  g.open.get('a')?.();
  await q.idle();
  t.equal(q.retrying, 1);
  t.equal(q.failuresOf('a'), 1);
  clock.advance(99);
  t.same(g.runs, ['a'], 'not before 100 ms');
  clock.advance(1);
  t.same(g.runs, ['a', 'a']);
  g.failNext.add('a');
  g.open.get('a')?.();
  await q.idle();
  clock.advance(199);
  t.equal(g.runs.length, 2, 'second retry waits 200 ms');
  clock.advance(1);
  t.equal(g.runs.length, 3);
  g.open.get('a')?.();
  await q.idle();
  t.equal(q.failuresOf('a'), 0, 'reset by a success');
  t.equal(q.retrying, 0);
  // An add during a backoff runs at once and replaces the pending retry.
  g.failNext.add('a');
  q.add('a');
  g.open.get('a')?.();
  await q.idle();
  t.equal(q.retrying, 1);
  q.add('a');
  t.equal(q.retrying, 0);
  t.equal(g.runs.length, 5);
  g.open.get('a')?.();
  await q.idle();
  clock.advance(1000);
  t.equal(g.runs.length, 5, 'the replaced retry never fires');
});

t.test('stop drops what waits, cancels retries and waits for the runs in progress', async (t) => {
  const clock = new VirtualClock();
  const g = gated();
  const q = new WorkQueue(g.handler, { clock, backoff });
  g.failNext.add('x');
  q.add('x');
  g.open.get('x')?.();
  await q.idle();
  q.add('a');
  q.add('b');
  let stopped = false;
  const done = q.stop().then(() => (stopped = true));
  await tick();
  t.notOk(stopped, 'a is still running');
  t.equal(q.length, 0);
  t.equal(q.retrying, 0);
  g.open.get('a')?.();
  await done;
  q.add('c');
  clock.advance(1000);
  t.same(g.runs, ['x', 'a'], 'nothing runs after stop');
});
