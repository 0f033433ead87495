// The layer-2 hold as pure decisions: when a member's view is stale (start-up,
// a link back from an outage, every other member lost at once), what it may
// announce meanwhile, and what makes the view fresh again.
import t from 'tap';
import {
  initialFreshness,
  LONE_NODE_TIMEOUT_MS,
  stepFreshness,
  type FreshnessAction,
  type FreshnessEvent,
  type FreshnessState,
  type Observation,
} from '../../src/speaker/view-freshness.js';

const T = LONE_NODE_TIMEOUT_MS;

/** Drives the decisions like the guard does, recording every action. */
class Run {
  state: FreshnessState = initialFreshness();
  now = 0;
  announced = new Set<string>();
  liveOthers = 2;
  knownOthers = 2;
  readonly actions: FreshnessAction[] = [];

  step(e: FreshnessEvent): FreshnessAction[] {
    const obs: Observation = { now: this.now, announced: this.announced, liveOthers: this.liveOthers, knownOthers: this.knownOthers };
    const r = stepFreshness(this.state, e, obs);
    this.state = r.state;
    this.actions.push(...r.actions);
    return [...r.actions];
  }

  at(ms: number): this {
    this.now = ms;
    return this;
  }

  /** A fresh member that joined a cluster of n1..n2 and announces `announced`. */
  static joined(announced: string[] = ['192.0.2.1']): Run {
    const r = new Run();
    r.step({ type: 'start', seeds: true });
    r.step({ type: 'member', name: 'n1', state: 'alive' });
    r.step({ type: 'member', name: 'n2', state: 'alive' });
    r.announced = new Set(announced);
    r.actions.length = 0;
    return r;
  }

  get held(): boolean {
    return this.state.hold !== undefined;
  }
}

const types = (actions: readonly FreshnessAction[]): string[] => actions.map((a) => a.type);

t.test('start-up: held with nothing kept until a seed answers or a member is heard; no seed: never held', async (t) => {
  const solo = new Run();
  t.same(solo.step({ type: 'start', seeds: false }), [], 'no seed but itself: announces at once');
  t.notOk(solo.held);

  const r = new Run();
  const start = r.step({ type: 'start', seeds: true });
  t.same(types(start), ['hold', 'rejoin', 'wake']);
  t.match(start[0], { type: 'hold', hold: { cause: 'start-up', kept: new Set(), heard: false } });
  t.match(start[2], { type: 'wake', at: T });
  const epoch = (start[1] as { epoch: number }).epoch;
  r.at(30).step({ type: 'answered', epoch: epoch + 7 });
  t.ok(r.held, 'an answer to some other join does not count');
  t.match(r.at(40).step({ type: 'answered', epoch }), [{ type: 'release', reason: 'heard' }], 'the join answered: released');
  t.notOk(r.held);

  const heard = new Run();
  heard.step({ type: 'start', seeds: true });
  heard.at(5).step({ type: 'member', name: 'n1', state: 'lost' });
  t.ok(heard.held, 'a loss is not hearing from anyone');
  t.match(heard.at(10).step({ type: 'member', name: 'n2', state: 'alive' }), [{ type: 'release', reason: 'heard' }], 'another member joined: released');

  const lonely = new Run();
  lonely.step({ type: 'start', seeds: true });
  t.same(lonely.at(T - 1).step({ type: 'tick' }), [], 'not before the timeout');
  t.match(lonely.at(T).step({ type: 'tick' }), [{ type: 'release', reason: 'timeout' }], 'nobody answered: announces alone after the lone-node timeout');
});

t.test('a link back from an outage holds layer 2 until every member lost meanwhile is heard alive again', async (t) => {
  const r = Run.joined(['192.0.2.1', '2001:db8::1']);
  t.same(r.at(1000).step({ type: 'link', name: 'eth0', carrying: false }), [], 'an outage alone holds nothing: nothing goes out on a dead link');
  // Cut off: the others die in its view and the election gives it everything.
  r.liveOthers = 1;
  r.at(1400).step({ type: 'member', name: 'n1', state: 'lost' });
  // n1's addresses, taken over as in an ordinary failover.
  r.announced = new Set(['192.0.2.1', '2001:db8::1', '192.0.2.2']);
  r.liveOthers = 0;
  const alone = r.at(1500).step({ type: 'member', name: 'n2', state: 'lost' });
  t.match(alone, [{ type: 'hold', hold: { cause: 'alone', kept: new Set(['192.0.2.1', '2001:db8::1']) } }, { type: 'wake' }], 'both lost together: held, keeping what it had before the first loss');

  const back = r.at(3000).step({ type: 'link', name: 'eth0', carrying: true });
  t.same(types(back), ['hold-link', 'hold', 'rejoin', 'wake'], 'the link held first, then the rest, and a join as at start-up');
  t.match(back[0], { type: 'hold-link', name: 'eth0' });
  const hold = (back[1] as Extract<FreshnessAction, { type: 'hold' }>).hold;
  t.same([...hold.kept].sort(), ['192.0.2.1', '2001:db8::1'], 'kept: what was announced when the link went, not what it took alone');
  t.same([...hold.awaiting].sort(), ['n1', 'n2'], 'awaiting every member lost since the link went');
  t.equal(hold.deadline, 3000 + T, 'the lone-node timeout runs from the return');

  const epoch = (back[2] as { epoch: number }).epoch;
  t.same(r.at(3005).step({ type: 'answered', epoch }), [], 'a seed answered, but n1 and n2 are still dead in its view');
  t.same(r.at(3010).step({ type: 'member', name: 'n2', state: 'alive' }), [], 'n1 still missing');
  t.ok(r.held);
  t.match(r.at(3020).step({ type: 'member', name: 'n1', state: 'alive' }), [{ type: 'release', reason: 'heard' }], 'everyone back: fresh');
  t.notOk(r.held);
});

t.test('after a link return the hold ends at the lone-node timeout when someone lost never comes back', async (t) => {
  const r = Run.joined();
  r.at(100).step({ type: 'link', name: 'eth0', carrying: false });
  r.at(200).step({ type: 'member', name: 'n1', state: 'lost' });
  const back = r.at(2100).step({ type: 'link', name: 'eth0', carrying: true });
  r.at(2110).step({ type: 'answered', epoch: (back[2] as { epoch: number }).epoch });
  t.ok(r.held, 'n1 really died while the link was down, or is still cut off');
  t.same(r.at(2100 + T - 1).step({ type: 'tick' }), []);
  t.match(r.at(2100 + T).step({ type: 'tick' }), [{ type: 'release', reason: 'timeout', hold: { awaiting: new Set(['n1']) } }]);
});

t.test('a short outage with nobody lost is fresh once a seed answers', async (t) => {
  const r = Run.joined();
  r.at(100).step({ type: 'link', name: 'eth0', carrying: false });
  const back = r.at(150).step({ type: 'link', name: 'eth0', carrying: true });
  t.match(back[1], { type: 'hold', hold: { awaiting: new Set() } });
  t.match(r.at(152).step({ type: 'answered', epoch: (back[2] as { epoch: number }).epoch }), [{ type: 'release', reason: 'heard' }]);
});

t.test('losses while held after a return must be heard again too; at start-up they are ordinary', async (t) => {
  const r = Run.joined();
  r.at(100).step({ type: 'link', name: 'eth0', carrying: false });
  const back = r.at(300).step({ type: 'link', name: 'eth0', carrying: true });
  // A suspicion started while the link was down expires after it is back.
  r.at(310).step({ type: 'member', name: 'n2', state: 'lost' });
  r.at(320).step({ type: 'answered', epoch: (back[2] as { epoch: number }).epoch });
  t.ok(r.held, 'n2, lost after the return, must be heard alive');
  t.match(r.at(330).step({ type: 'member', name: 'n2', state: 'alive' }), [{ type: 'release' }]);

  const s = new Run();
  s.step({ type: 'start', seeds: true });
  s.at(5).step({ type: 'member', name: 'n1', state: 'lost' });
  t.same(s.state.hold?.awaiting, new Set(), 'a loss during start-up is not waited for');
});

t.test('a link that never went down is new, not back; a second outage keeps the first baseline', async (t) => {
  const r = Run.joined();
  t.same(r.step({ type: 'link', name: 'eth1', carrying: true }), [], 'a new link is announced at once');
  r.announced = new Set(['192.0.2.1']);
  r.at(10).step({ type: 'link', name: 'eth0', carrying: false });
  r.announced = new Set(['192.0.2.1', '192.0.2.9']);
  r.at(20).step({ type: 'link', name: 'eth0', carrying: false });
  const back = r.at(30).step({ type: 'link', name: 'eth0', carrying: true });
  t.match(back[1], { type: 'hold', hold: { kept: new Set(['192.0.2.1']) } }, 'the baseline is from when the link first went');
});

t.test('a member alone by configuration is not held when its link returns', async (t) => {
  const r = new Run();
  r.liveOthers = 0;
  r.knownOthers = 0;
  r.step({ type: 'start', seeds: false });
  r.at(10).step({ type: 'link', name: 'eth0', carrying: false });
  t.same(r.at(20).step({ type: 'link', name: 'eth0', carrying: true }), [], 'nobody to hear from');
});

t.test('lost everyone: held only when at least two were lost together; a lone peer lost is a failover', async (t) => {
  const pair = Run.joined();
  pair.liveOthers = 0;
  t.same(pair.at(100).step({ type: 'member', name: 'n1', state: 'lost' }), [], 'its only peer died: take over at once');

  const apart = Run.joined();
  apart.liveOthers = 1;
  apart.at(100).step({ type: 'member', name: 'n1', state: 'lost' });
  apart.liveOthers = 0;
  t.same(apart.at(100 + T + 1).step({ type: 'member', name: 'n2', state: 'lost' }), [], 'deaths further apart than the timeout are not one cut');

  const together = Run.joined(['192.0.2.1']);
  together.liveOthers = 1;
  together.at(100).step({ type: 'member', name: 'n1', state: 'lost' });
  together.liveOthers = 0;
  together.announced = new Set(['192.0.2.1', '192.0.2.2']);
  const held = together.at(400).step({ type: 'member', name: 'n2', state: 'lost' });
  t.match(held[0], { type: 'hold', hold: { cause: 'alone', awaiting: new Set(['n1', 'n2']), kept: new Set(['192.0.2.1']) } });
  t.notOk(types(held).includes('rejoin'), 'no join: the cluster already retries its seeds when alone');
  together.liveOthers = 1;
  t.same(together.at(500).step({ type: 'member', name: 'n1', state: 'alive' }), [], 'one back, one missing');
  t.match(together.at(520).step({ type: 'member', name: 'n2', state: 'alive' }), [{ type: 'release', reason: 'heard' }]);
  t.same(together.state.lost, new Map(), 'nobody lost any more');

  const gone = Run.joined();
  gone.liveOthers = 1;
  gone.at(100).step({ type: 'member', name: 'n1', state: 'lost' });
  gone.liveOthers = 0;
  gone.at(200).step({ type: 'member', name: 'n2', state: 'lost' });
  gone.liveOthers = 1;
  gone.at(300).step({ type: 'member', name: 'n2', state: 'alive' });
  t.match(gone.at(400).step({ type: 'member', name: 'n1', state: 'gone' }), [{ type: 'release', reason: 'heard' }], 'a forgotten member is not waited for');
});

t.test('overlapping causes: the stricter of both', async (t) => {
  const r = Run.joined(['192.0.2.1', '192.0.2.2']);
  r.at(0).step({ type: 'link', name: 'eth0', carrying: false });
  r.announced = new Set(['192.0.2.2', '192.0.2.3']);
  r.at(10).step({ type: 'link', name: 'eth1', carrying: false });
  const first = r.at(1000).step({ type: 'link', name: 'eth0', carrying: true });
  const second = r.at(4000).step({ type: 'link', name: 'eth1', carrying: true });
  const h1 = (first[1] as Extract<FreshnessAction, { type: 'hold' }>).hold;
  const h2 = (second[1] as Extract<FreshnessAction, { type: 'hold' }>).hold;
  t.same([...h2.kept], ['192.0.2.2'], 'kept only what both baselines had');
  t.equal(h2.since, h1.since, 'one hold');
  t.equal(h2.deadline, 4000 + T, 'the later deadline');
  t.ok(h2.epoch > h1.epoch);
  t.same(r.at(4001).step({ type: 'answered', epoch: h1.epoch }), [], 'the answer to the first join predates the second return');
  t.match(r.at(4002).step({ type: 'answered', epoch: h2.epoch }), [{ type: 'release' }]);
});

t.test('the lone-node timeout is validated', async (t) => {
  t.throws(() => initialFreshness(0), /positive/);
  t.throws(() => initialFreshness(Number.NaN), /positive/);
});
