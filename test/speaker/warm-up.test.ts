// The warm-up driver, through the member's metadata merger, against a
// recording cluster on a virtual clock: it gossips the flag only when it
// changes, keeps the rest of the metadata, and follows the guard's holds.
import { Registry } from 'prom-client';
import t from 'tap';
import type { Meta } from '../../src/cluster/messages.js';
import { VirtualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import type { Hold } from '../../src/speaker/view-freshness.js';
import { MemberMeta } from '../../src/speaker/member-meta.js';
import { FailbackWarmUp } from '../../src/speaker/warm-up.js';

class RecordingCluster {
  meta: Meta;
  readonly sets: Meta[] = [];
  constructor(meta: Meta) {
    this.meta = meta;
  }
  member(): { meta: Meta } {
    return { meta: this.meta };
  }
  setMeta(meta: Meta): void {
    this.meta = meta;
    this.sets.push(meta);
  }
}

const hold = (cause: Hold['cause'], awaiting: string[] = []): Hold => ({ cause, since: 0, deadline: 10_000, kept: new Set(), awaiting: new Set(awaiting), heard: false, epoch: 1 });

t.test('the flag follows the holds and the warm-up, gossiped only on a change', async (t) => {
  const clock = new VirtualClock(0);
  const registry = new Registry();
  const cluster = new RecordingCluster(FailbackWarmUp.startMeta({ version: 'v', 'label:rack': 'a' }, 1000));
  t.same(cluster.meta, { version: 'v', 'label:rack': 'a', ready: '0' }, 'a member starts not ready');
  const w = new FailbackWarmUp({ delayMs: 1000, clock, logger: silentLogger, meta: new MemberMeta(cluster, cluster.meta), registry });
  const gauge = async (): Promise<number | undefined> => (await registry.getSingleMetric('shoal_speaker_ready')!.get()).values[0]?.value;

  w.guarded(hold('start-up'));
  t.same(cluster.sets, [], 'held at start-up: already not ready, nothing to gossip');
  w.guarded(undefined);
  t.same(w.status(), { ready: false, failbackDelayMs: 1000, readyInMs: 1000 });
  clock.advance(999);
  t.equal(w.ready, false);
  clock.advance(1);
  t.equal(w.ready, true, 'ready a warm-up after the view turned fresh');
  t.same(cluster.sets, [{ version: 'v', 'label:rack': 'a', ready: '1' }], 'gossiped once, the rest of the metadata kept');
  t.equal(await gauge(), 1);

  w.guarded(hold('link-return'));
  t.equal(w.ready, true, 'a link back before anyone was lost: still ready');
  w.guarded(hold('alone', ['b', 'c']));
  t.equal(w.ready, false, 'cut off from everyone: not ready');
  t.same(cluster.sets.at(-1), { version: 'v', 'label:rack': 'a', ready: '0' });
  t.equal(await gauge(), 0);
  w.guarded(hold('alone', ['b', 'c']));
  t.equal(cluster.sets.length, 2, 'the same hold again gossips nothing');
  clock.advance(5000);
  t.equal(w.ready, false, 'no warm-up while held');
  w.guarded(undefined);
  clock.advance(1000);
  t.equal(w.ready, true);
  t.equal(cluster.sets.length, 3);
  w.stop();
});

t.test('a delay of 0: ready from the start, nothing to gossip', async (t) => {
  const clock = new VirtualClock(0);
  const cluster = new RecordingCluster(FailbackWarmUp.startMeta({ version: 'v' }, 0));
  t.same(cluster.meta, { version: 'v', ready: '1' });
  const w = new FailbackWarmUp({ delayMs: 0, clock, logger: silentLogger, meta: new MemberMeta(cluster, cluster.meta) });
  w.guarded(hold('start-up'));
  w.guarded(hold('alone', ['b']));
  w.guarded(undefined);
  t.equal(w.ready, true);
  t.same(cluster.sets, []);
  t.same(w.status(), { ready: true, failbackDelayMs: 0 });
});
